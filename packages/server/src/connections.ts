import type { IncomingMessage, ServerResponse } from 'node:http'
import type { Socket } from 'node:net'
import type { ServerType } from '@hono/node-server'

/**
 * Tracks the sockets of a Node server and their in-flight responses, so a graceful shutdown can end idle
 * keep-alive sockets at once and tell each busy one `Connection: close` in its response (then end it once
 * that response is sent), instead of resetting a connection a client is about to reuse.
 */
export class ConnectionTracker {
  readonly #inFlight = new Map<Socket, Set<ServerResponse>>()
  #draining = false

  constructor(server: ServerType) {
    server.on('connection', (socket: Socket) => {
      this.#inFlight.set(socket, new Set())
      socket.once('close', () => this.#inFlight.delete(socket))
    })
    server.on('request', (request: IncomingMessage, response: ServerResponse) => this.#track(request, response))
  }

  #track(request: IncomingMessage, response: ServerResponse): void {
    const socket = request.socket
    const responses = this.#inFlight.get(socket) ?? new Set<ServerResponse>()
    this.#inFlight.set(socket, responses)
    responses.add(response)
    if (this.#draining) closeAfter(response)
    const finished = () => {
      if (!responses.delete(response)) return
      if (this.#draining && responses.size === 0) socket.end()
    }
    response.once('finish', finished)
    response.once('close', finished)
  }

  /** Ends idle sockets now; busy ones answer `Connection: close` where still possible and end after it. */
  drain(): void {
    this.#draining = true
    for (const [socket, responses] of this.#inFlight) {
      if (responses.size === 0) socket.end()
      for (const response of responses) closeAfter(response)
    }
  }

  /** Destroys every socket (the shutdown deadline passed). */
  destroyAll(): void {
    for (const socket of this.#inFlight.keys()) socket.destroy()
  }
}

function closeAfter(response: ServerResponse): void {
  if (!response.headersSent) response.setHeader('Connection', 'close')
}
