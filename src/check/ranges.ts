/** Page-range helpers of the incremental checker (check/engine.ts, check/iommufd-engine.ts). */

/** Delete the entries of keys in [lo, hi). */
export function dropRange(map: Map<number, unknown>, lo: number, hi: number): void {
  if (map.size === 0) return;
  if (map.size < hi - lo) {
    for (const k of [...map.keys()]) if (k >= lo && k < hi) map.delete(k);
  } else {
    for (let k = lo; k < hi; k++) map.delete(k);
  }
}

/** Sort and merge [lo, hi) pairs. */
export function mergeRanges(r: readonly number[]): number[] {
  const pairs: [number, number][] = [];
  for (let i = 0; i < r.length; i += 2) if (r[i] < r[i + 1]) pairs.push([r[i], r[i + 1]]);
  pairs.sort((a, b) => a[0] - b[0]);
  const out: number[] = [];
  for (const [a, b] of pairs) {
    if (out.length > 0 && a <= out[out.length - 1]) out[out.length - 1] = Math.max(out[out.length - 1], b);
    else out.push(a, b);
  }
  return out;
}

/**
 * Append [a, b) to a list of [lo, hi) pairs; a range that starts inside the last one only
 * extends it (marks mostly come in address order; readers merge the list anyway).
 */
export function pushRange(d: number[], a: number, b: number): void {
  if (d.length > 0 && d[d.length - 1] >= a && d[d.length - 2] <= a) {
    if (b > d[d.length - 1]) d[d.length - 1] = b;
    return;
  }
  d.push(a, b);
}

/** Mark the pages [lo, hi) of a mapping of n pages dirty (clamped to [0, n)). */
export function markPages(d: number[], n: number, lo: number, hi: number): void {
  const a = Math.max(0, lo);
  const b = Math.min(n, hi);
  // PERF: journal keys come in address order; pushRange extends the last range when they touch.
  if (a < b) pushRange(d, a, b);
}

/** Mark the pages of a mapping of n pages starting at address base that bytes [lo, hi) touch. */
export function markBytes(d: number[], n: number, base: number, lo: number, hi: number, pageSize: number): void {
  markPages(d, n, Math.floor((lo - base) / pageSize), Math.ceil((hi - base) / pageSize));
}
