export const seenKey = (who: string): string => `seen-by-${who}`
