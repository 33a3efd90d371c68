/** @cairn/core/testing — deterministic test kit: given/when/then specs and an in-process runtime. */
export * from './aggregate-spec'
export * from './memory-sync-server'
export * from './projection-spec'
export * from './test-runtime'
