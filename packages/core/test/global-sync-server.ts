/**
 * Vitest global setup of the browser project: a real `cairn-server` (in-memory storage, rate limit off) on a
 * free loopback port, so that real-Chromium tests sync over real HTTP and Server-Sent Events.
 */
import { type RunningServer, startServer } from '@cairn/server'
import type { TestProject } from 'vitest/node'

let server: RunningServer | undefined

export async function setup(project: TestProject): Promise<void> {
  // the test pages run on Vitest's origin: an open server grants no foreign origin unless told to
  server = await startServer({ port: 0, host: '127.0.0.1', rateLimit: false, corsOrigin: '*' })
  project.provide('syncUrl', server.url)
}

export async function teardown(): Promise<void> {
  await server?.close()
}

declare module 'vitest' {
  export interface ProvidedContext {
    syncUrl: string
  }
}
