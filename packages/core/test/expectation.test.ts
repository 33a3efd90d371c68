import { describe } from 'vitest'
import { expectationCases } from './fixtures/expectation-cases'
import { freshName } from './helpers'

describe('a batch run on the expected log commits only if its reads agree (fake-indexeddb)', () => {
  expectationCases(() => freshName('expectation'))
})
