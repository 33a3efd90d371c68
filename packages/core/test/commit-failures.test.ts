import { describe } from 'vitest'
import { commitFailureCases } from './fixtures/commit-failure-cases'
import { freshName } from './helpers'

describe('a failed write in a batch transaction (fake-indexeddb)', () => {
  commitFailureCases(() => freshName('commit-failure'))
})
