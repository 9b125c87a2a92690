/**
 * alloc_pages_run() (mm/page_alloc.ts, MemMap.takeFreeRun) against the alloc_pages() calls
 * one by one it stands for: on two identical machines, one allocates n pages at once, the
 * other calls alloc_pages() n times; the pages, each zone's free counts and the whole
 * mem_map (mm_fingerprint) must be equal — on fresh memory (bump pointer), with pages on
 * the free list (LIFO first), when the zone runs dry inside the run (the run stops there,
 * the calls go on in the next zone), and where it must leave the calls to the caller (a
 * zone with CMA frames for a movable request, fault injection, object events).
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, run, MiB } from './gup_env.js';
import type { Env } from './gup_env.js';
import { point } from '../../../../src/sched/index.js';
import { GFP_HIGHUSER_MOVABLE } from '../../../../src/linux/include/linux/gfp.js';
import { alloc_pages, alloc_pages_run } from '../../../../src/linux/mm/page_alloc.js';
import { put_page } from '../../../../src/linux/include/linux/mm.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import type { MemoryLayout } from '../../../../src/linux/include/linux/mm_types.js';

interface Case {
  readonly name: string;
  readonly layout: MemoryLayout;
  /** Pages allocated before, and which of them are freed again (indexes), to fill the free list. */
  readonly before: number;
  readonly free: readonly number[];
  readonly n: number;
}

const CASES: Case[] = [
  { name: 'fresh memory', layout: { dma32: 64 * MiB, normal: 64 * MiB }, before: 3, free: [], n: 511 },
  { name: 'free list first (LIFO), then the bump pointer', layout: { dma32: 64 * MiB, normal: 64 * MiB }, before: 40, free: [3, 17, 5, 30, 31], n: 300 },
  { name: 'the zone runs dry inside the run', layout: { dma32: 64 * MiB, normal: 2 * MiB }, before: 500, free: [7], n: 200 },
];

function fill(env: Env, c: Case): void {
  run(env, function* (k) {
    const got: number[] = [];
    for (let i = 0; i < c.before; i++) got.push(alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0) as number);
    for (const i of c.free) put_page(k.m, got[i]);
    yield* point('t');
    return 0;
  });
}

/** The pages of n allocations: at once (alloc_pages_run until it leaves the rest, then one by one) or one by one. */
function allocate(env: Env, n: number, atOnce: boolean): { pages: number[]; runs: number } {
  return run(env, function* (k) {
    const pages: number[] = [];
    let runs = 0;
    const out: number[] = [];
    const slots: number[] = [];
    while (pages.length < n) {
      const got = atOnce ? alloc_pages_run(k, GFP_HIGHUSER_MOVABLE, n - pages.length, out, slots) : 0;
      if (got > 0) {
        runs++;
        for (let i = 0; i < got; i++) {
          expect(k.m.mem.peek_slot(out[i])).toBe(slots[i]);
          pages.push(out[i]);
        }
        continue;
      }
      const p = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
      if (p === null) break;
      pages.push(p);
    }
    yield* point('t');
    return { pages, runs };
  });
}

function zones(env: Env): string {
  return env.m.mem.zones.map((z) => `${z.name}:${z.nr_free}/${z.nr_free_cma}`).join(' ');
}

describe.each(['v5.4', 'v6.1', 'v6.12'])('alloc_pages_run vs alloc_pages one by one (%s)', (profile) => {
  it.each(CASES.map((c) => [c.name, c] as const))('%s: same pages, zones and mem_map', (_name, c) => {
    const a = mkEnv(profile, c.layout);
    const b = mkEnv(profile, c.layout);
    for (const env of [a, b]) {
      env.m.recordEvents = false;
      fill(env, c);
    }
    const atOnce = allocate(a, c.n, true);
    const oneByOne = allocate(b, c.n, false);
    expect(atOnce.pages).toEqual(oneByOne.pages);
    expect(atOnce.pages.length).toBe(c.n);
    expect(atOnce.runs).toBeGreaterThan(0);
    expect(zones(a)).toBe(zones(b));
    expect(mm_fingerprint(a.m)).toBe(mm_fingerprint(b.m));
  });

  it('leaves the calls to the caller where a call may differ: CMA frames in the zone, object events, fault injection', () => {
    const cma = mkEnv(profile, { dma32: 64 * MiB, normal: 64 * MiB, cma: 16 * MiB });
    cma.m.recordEvents = false;
    expect(allocate(cma, 10, true).runs).toBe(0);
    const events = mkEnv(profile);
    events.m.recordEvents = true;
    expect(allocate(events, 10, true).runs).toBe(0);
    const inject = mkEnv(profile);
    inject.m.recordEvents = false;
    inject.m.fault_inject = true;
    expect(allocate(inject, 10, true).runs).toBe(0);
  });
});
