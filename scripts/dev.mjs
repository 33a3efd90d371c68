#!/usr/bin/env node
/** `npm run dev`: the sync server (port 8787, SQLite in ./data) and the demo app's Vite dev server with hot reload. */
import { spawn, spawnSync } from 'node:child_process'

// The bin runs the compiled server (and the compiled core it imports): build them first (≈3 s).
if (spawnSync('npm', ['run', 'build', '-w', '@cairn/core', '-w', '@cairn/server'], { stdio: 'inherit' }).status !== 0)
  process.exit(1)

const children = [
  spawn('npx', ['cairn-server', '--port', '8787', '--db', './data/cairn.db'], { stdio: 'inherit' }),
  spawn('npm', ['run', 'dev', '-w', 'demo-app'], { stdio: 'inherit' }),
]
const stop = () => {
  for (const child of children) child.kill('SIGTERM')
}
process.on('SIGINT', stop)
process.on('SIGTERM', stop)
for (const child of children) child.on('exit', stop)
