import { describe } from 'vitest'
import { uniqueDb } from './browser-helpers'
import { expectationCases } from './fixtures/expectation-cases'

describe('a batch run on the expected log commits only if its reads agree (Chromium IndexedDB)', () => {
  expectationCases(() => uniqueDb('expectation'))
})
