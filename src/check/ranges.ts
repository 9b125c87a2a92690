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
