import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { ServerType } from '@hono/node-server'

/**
 * Tracks the sockets of a Node server and their in-flight requests, so a graceful shutdown can end
 * idle keep-alive sockets at once and each busy one right after its last response, instead of waiting
 * for clients to drop them.
 */
export class ConnectionTracker {
  readonly #inFlight = new Map<Socket, number>()
  #draining = false

  constructor(server: ServerType) {
    server.on('connection', (socket: Socket) => {
      this.#inFlight.set(socket, 0)
      socket.once('close', () => this.#inFlight.delete(socket))
    })
    server.on('request', (request: IncomingMessage, response: ServerResponse) => {
      const socket = request.socket
      this.#inFlight.set(socket, (this.#inFlight.get(socket) ?? 0) + 1)
      let done = false
      const finished = () => {
        if (done) return
        done = true
        const left = (this.#inFlight.get(socket) ?? 1) - 1
        this.#inFlight.set(socket, left)
        if (this.#draining && left === 0) socket.end()
      }
      response.once('finish', finished)
      response.once('close', finished)
    })
  }

  /** Ends idle sockets now and busy ones when their responses finish. */
  drain(): void {
    this.#draining = true
    for (const [socket, count] of this.#inFlight) if (count === 0) socket.end()
  }

  /** Destroys every socket (the shutdown deadline passed). */
  destroyAll(): void {
    for (const socket of this.#inFlight.keys()) socket.destroy()
  }
}
