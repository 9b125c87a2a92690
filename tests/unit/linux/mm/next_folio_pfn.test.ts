/**
 * MemMap.next_folio_pfn (src/linux/include/linux/mm_types.ts): the first frame with a folio in
 * a pfn range, skipping empty parts of the pfn index whole, must answer as a frame-by-frame
 * scan with peek_slot does (memory hotplug's scans of 128 MiB blocks use it; issue 15).
 */
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { GiB, MiB, machine, runAs, task } from './harness.js';
import { put_page } from '../../../../src/linux/include/linux/mm.js';
import { GFP_HIGHUSER_MOVABLE } from '../../../../src/linux/include/linux/gfp.js';
import { alloc_pages } from '../../../../src/linux/mm/page_alloc.js';
import type { Machine } from '../../../../src/linux/machine.js';

/** The frame-by-frame answer. */
function scan(m: Machine, start: number, end: number): number {
  for (let pfn = start; pfn < end; pfn++) if (m.mem.peek_slot(pfn) !== 0) return pfn;
  return end;
}

describe('MemMap.next_folio_pfn', () => {
  it('equals the frame-by-frame scan after random allocations and frees of 4 KiB, 2 MiB and 1 GiB folios', () => {
    fc.assert(
      fc.property(
        fc.array(fc.record({ order: fc.constantFrom(0, 0, 0, 9, 9, 18), free: fc.nat(9) }), { maxLength: 40 }),
        fc.array(fc.tuple(fc.nat(), fc.nat(4096)), { minLength: 1, maxLength: 20 }),
        (ops, ranges) => {
          const m = machine('v6.1', { dma32: 16 * MiB, normal: 3 * GiB });
          const t = task(m);
          const live: number[] = [];
          for (const op of ops) {
            const p = runAs(m, t, function* (k) { return alloc_pages(k, GFP_HIGHUSER_MOVABLE, op.order); });
            if (p !== null) live.push(p);
            // Free one in ten times about half of the allocations, so the index has holes.
            if (op.free < 4 && live.length > 0) put_page(m, live.splice(op.free % live.length, 1)[0]);
          }
          const lo = m.mem.regions.reduce((a, r) => Math.min(a, r.start_pfn), Infinity);
          const hi = m.mem.regions.reduce((a, r) => Math.max(a, r.end_pfn), 0);
          // Ranges around the live folios (their heads, tails and neighbours) and anywhere in memory.
          const starts = [lo, ...live, ...live.map((p) => p + 1), ...live.map((p) => Math.max(lo, p - 3))];
          for (const [a, len] of ranges) {
            const start = a % 3 === 0 ? lo + (a % (hi - lo)) : starts[a % starts.length];
            for (const end of [start + len, start + len * 300, hi]) {
              expect(m.mem.next_folio_pfn(start, end)).toBe(scan(m, start, end));
            }
          }
        },
      ),
      { numRuns: 25, seed: 15 },
    );
  });

  it('an empty range or one past every folio answers its end', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB });
    const hi = m.mem.regions.reduce((a, r) => Math.max(a, r.end_pfn), 0);
    expect(m.mem.next_folio_pfn(100, 100)).toBe(100);
    expect(m.mem.next_folio_pfn(hi, hi + 5 * 262144)).toBe(hi + 5 * 262144);
  });
});
