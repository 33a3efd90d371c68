import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import { isAbsolute, join, resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import type { AnyDomain } from '@cairn/core/domain'
import type { EventAuthorizer } from './refusal.js'

/** What a domain module gives the server: the domain, and optionally its per-event authorization hook. */
export interface LoadedDomain {
  domain: AnyDomain
  /** The module's `authorizeEvent` export, when it has one. */
  authorizeEvent?: EventAuthorizer
}

/** A domain module that cannot be used: a readable message, printed without a stack. */
export class DomainModuleError extends Error {
  override name = 'DomainModuleError'
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null

/** Whether a value has the shape of `defineDomain(...)`: aggregates, each with an events map. */
export function isDomain(value: unknown): value is AnyDomain {
  if (!isRecord(value) || !isRecord(value.aggregates)) return false
  return Object.values(value.aggregates).every((aggregate) => isRecord(aggregate) && isRecord(aggregate.events))
}

const looksLikePath = (specifier: string) =>
  specifier.startsWith('.') || isAbsolute(specifier) || /\.(m?js|cjs|ts|mts)$/.test(specifier)

/** A file path relative to `cwd`, or a package name resolved from `cwd` (like the app that owns it would). */
function resolveSpecifier(specifier: string, cwd: string): string {
  if (looksLikePath(specifier)) {
    const path = resolve(cwd, specifier)
    if (!existsSync(path)) throw new DomainModuleError(`domain module ${path} does not exist`)
    return pathToFileURL(path).href
  }
  try {
    return pathToFileURL(createRequire(join(cwd, 'package.json')).resolve(specifier)).href
  } catch {
    // an ESM-only package (no "require" condition): let import() resolve it
    return specifier
  }
}

function pickDomain(module: Record<string, unknown>, specifier: string, exportName: string | undefined): AnyDomain {
  if (exportName !== undefined) {
    const named = module[exportName]
    if (!isDomain(named)) throw new DomainModuleError(`${specifier} has no domain exported as "${exportName}"`)
    return named
  }
  for (const name of ['domain', 'default']) if (isDomain(module[name])) return module[name]
  const domains = Object.entries(module).filter(([, value]) => isDomain(value))
  if (domains.length === 1) return domains[0]![1] as AnyDomain
  if (domains.length > 1)
    throw new DomainModuleError(
      `${specifier} exports several domains (${domains.map(([n]) => n).join(', ')}): pick one with ${specifier}#<name>`,
    )
  throw new DomainModuleError(
    `${specifier} exports no domain: export the result of defineDomain(...) as "domain" (or name it with ${specifier}#<name>)`,
  )
}

/**
 * Loads the app's domain module, the same one its worker runs: `./domain.js`, `/abs/path.mjs`, or a package
 * export such as `@my-app/domain`, optionally `#exportName`. Uses the export named `domain`, else
 * the default export, else the only export shaped like a domain. A `.ts` module needs a TypeScript loader in
 * the running Node (e.g. `node --import tsx`); compiled JavaScript always works.
 * @throws DomainModuleError with a readable message.
 */
export async function loadDomainModule(spec: string, cwd: string = process.cwd()): Promise<LoadedDomain> {
  const hash = spec.lastIndexOf('#')
  const specifier = hash > 0 ? spec.slice(0, hash) : spec
  const exportName = hash > 0 ? spec.slice(hash + 1) : undefined
  let module: Record<string, unknown>
  try {
    module = (await import(resolveSpecifier(specifier, cwd))) as Record<string, unknown>
  } catch (error) {
    if (error instanceof DomainModuleError) throw error
    const reason = error instanceof Error ? error.message.split('\n')[0] : String(error)
    const hint = /\.m?ts$/.test(specifier)
      ? ' (a .ts module needs a TypeScript loader: compile it to JavaScript, or run Node with --import tsx)'
      : ''
    throw new DomainModuleError(`cannot load domain module ${specifier}: ${reason}${hint}`)
  }
  const domain = pickDomain(module, specifier, exportName)
  const authorizeEvent = module.authorizeEvent
  if (authorizeEvent !== undefined && typeof authorizeEvent !== 'function')
    throw new DomainModuleError(`${specifier} exports authorizeEvent, but it is not a function`)
  return authorizeEvent ? { domain, authorizeEvent: authorizeEvent as EventAuthorizer } : { domain }
}
