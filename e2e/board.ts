import { expect, type Page } from '@playwright/test'

/** Drives the demo board through its test ids (see demo-app/README.md). */
export class BoardPage {
  constructor(
    readonly page: Page,
    readonly board: string,
  ) {}

  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/?board=${this.board}`)
    await this.waitReady()
  }

  /** The board is on screen once its columns are (they come from the local read model). */
  async waitReady(): Promise<void> {
    await expect(this.column('todo')).toBeVisible()
    await expect(this.column('doing')).toBeVisible()
    await expect(this.column('done')).toBeVisible()
  }

  column(id: string) {
    return this.page.getByTestId(`column-${id}`)
  }

  badge() {
    return this.page.getByTestId('sync-badge')
  }

  /** Cards of a column, by title. */
  cardsIn(column: string) {
    return this.column(column).locator('[data-card]')
  }

  cardByTitle(title: string) {
    return this.page.locator('[data-card]', { hasText: title })
  }

  async cardId(title: string): Promise<string> {
    return (await this.cardByTitle(title).first().getAttribute('data-card')) ?? ''
  }

  async addCard(column: string, title: string): Promise<string> {
    await this.page.getByTestId(`add-card-input-${column}`).fill(title)
    await this.page.getByTestId(`add-card-submit-${column}`).click()
    await expect(this.column(column).locator('[data-card]', { hasText: title })).toBeVisible()
    return this.cardId(title)
  }

  async moveRight(title: string): Promise<void> {
    const id = await this.cardId(title)
    await this.page.getByTestId(`move-right-${id}`).click()
  }

  async moveLeft(title: string): Promise<void> {
    const id = await this.cardId(title)
    await this.page.getByTestId(`move-left-${id}`).click()
  }

  /** Waits until every local command reached the server and came back confirmed. */
  async waitSynced(): Promise<void> {
    await expect(this.badge()).toHaveAttribute('data-pending', '0', { timeout: 20_000 })
    await expect(this.badge()).not.toHaveAttribute('data-state', /offline|syncing|pending|error|paused/, {
      timeout: 20_000,
    })
  }

  /** Titles per column, e.g. `{ todo: ['a'], doing: [], done: [] }`, sorted. */
  async snapshot(): Promise<Record<string, string[]>> {
    const result: Record<string, string[]> = {}
    for (const col of ['todo', 'doing', 'done']) {
      const titles = await this.cardsIn(col).locator('[data-role="title"]').allTextContents()
      result[col] = titles.map((t) => t.trim()).sort()
    }
    return result
  }
}
