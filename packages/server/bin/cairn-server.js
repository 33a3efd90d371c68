#!/usr/bin/env node
// The compiled CLI (`npm run build -w @cairn/server` writes dist/; the published package ships it).
await import('../dist/cli.js')
