export type Line = { sku: string; qty: number }

const PRICES: Record<string, number> = { apple: 3, pear: 4 }

export function totalOf(items: Line[]): number {
  return items.reduce((sum, line) => sum + (PRICES[line.sku] ?? 10) * line.qty, 0)
}
