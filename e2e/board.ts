import { expect, type Page } from '@playwright/test'

/** Drives the demo board through its test ids (see demo-app/README.md). */
export class BoardPage {
  constructor(
    readonly page: Page,
    readonly board: string,
  ) {}

  /** Loads the app on this board (a page load: the first board of a page, or a reload on purpose). */
  async open(baseUrl: string): Promise<void> {
    await this.page.goto(`${baseUrl}/?board=${this.board}`)
    await this.waitReady()
  }

  /** Opens another board by name from the top bar's switcher (joining it): no page load. */
  async openBoard(board: string): Promise<BoardPage> {
    await this.page.getByTestId('board-input').fill(board)
    await this.page.getByTestId('board-open').click()
    return this.shown(board)
  }

  /** Switches to a board this device already holds, from the boards bar: no page load, works offline. */
  async switchTo(board: string): Promise<BoardPage> {
    await this.page.getByTestId(`nav-board-${board}`).click()
    return this.shown(board)
  }

  private async shown(board: string): Promise<BoardPage> {
    const other = new BoardPage(this.page, board)
    await expect(this.page).toHaveURL(new RegExp(`[?&]board=${board}(&|$)`))
    await expect(this.page.getByTestId('current-view')).toHaveText(`/ ${board}`)
    await other.waitReady()
    return other
  }

  /** Shows "My cards" (every open card of every joined board), from the boards bar. */
  async openMyCards(): Promise<void> {
    await this.page.getByTestId('nav-mine').click()
    await expect(this.myCards()).toBeVisible()
  }

  myCards() {
    return this.page.getByTestId('my-cards')
  }

  /** One board's group in "My cards". */
  myCardsOf(board: string) {
    return this.page.getByTestId(`my-cards-board-${board}`)
  }

  /** Titles of one board's cards in "My cards", in the order shown (most recently changed first). */
  myCardTitles(board: string) {
    return this.myCardsOf(board).locator('[data-my-card] [data-role="title"]')
  }

  /** The boards this device holds, as the boards bar lists them. */
  async joinedBoards(): Promise<string[]> {
    const ids = await this.page
      .locator('[data-testid^="nav-board-"]')
      .evaluateAll((links) => links.map((l) => (l.getAttribute('data-testid') ?? '').slice('nav-board-'.length)))
    return ids.sort()
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
