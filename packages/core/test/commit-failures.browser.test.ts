import { describe } from 'vitest'
import { uniqueDb } from './browser-helpers'
import { commitFailureCases } from './fixtures/commit-failure-cases'

describe('a failed write in a batch transaction (Chromium IndexedDB)', () => {
  commitFailureCases(() => uniqueDb('commit-failure'))
})
