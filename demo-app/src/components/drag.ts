import type { DragEvent } from 'react'

/** The drag data type of a card, so columns accept cards and nothing else. */
const CARD_TYPE = 'application/x-cairn-card'

export function startCardDrag(event: DragEvent, cardId: string): void {
  event.dataTransfer.setData(CARD_TYPE, cardId)
  event.dataTransfer.setData('text/plain', cardId)
  event.dataTransfer.effectAllowed = 'move'
}

export const isCardDrag = (event: DragEvent): boolean => event.dataTransfer.types.includes(CARD_TYPE)

export const draggedCard = (event: DragEvent): string => event.dataTransfer.getData(CARD_TYPE)
