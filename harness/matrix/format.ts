/** How the matrix writes its figures: short, with a unit, and no more digits than a reader uses. */

/** `0.4 ms`, `12 ms`, `1,250 ms`. */
export function ms(value: number): string {
  const digits = Math.abs(value) < 10 ? 1 : 0;
  return `${value.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })} ms`;
}

/** `812 B`, `1.4 KB`, `12.5 MB` (powers of 1,000, as the bench writes them). */
export function bytes(value: number): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let scaled = value;
  let unit = 0;
  while (Math.abs(scaled) >= 1000 && unit < units.length - 1) {
    scaled /= 1000;
    unit += 1;
  }
  return `${scaled.toLocaleString('en', { maximumFractionDigits: unit === 0 ? 0 : 1 })} ${units[unit]}`;
}

/** `1,000`. */
export const count = (value: number) => value.toLocaleString('en');

export function median(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

/** Round to 0.1, so raw figures in the JSON are not noise to the last bit. */
export const tenth = (value: number) => Math.round(value * 10) / 10;
