/**
 * Result equality for differential tests. Doubles may differ in their last
 * bits: Strata's engine sums with compensation (order-independent, nearly
 * exact) where DuckDB adds in scan order (its own answers change with its
 * thread count). Everything else must be identical.
 */
export function sameRows(a: unknown, b: unknown): boolean {
  if (typeof a === 'number' && typeof b === 'number') return a === b || Math.abs(a - b) <= 1e-12 * Math.max(1, Math.abs(a), Math.abs(b));
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameRows(x, b[i]));
  return JSON.stringify(a) === JSON.stringify(b);
}
