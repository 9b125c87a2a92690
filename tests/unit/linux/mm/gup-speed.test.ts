/**
 * mm/gup_speed.ts against the page-by-page walk: a thread that runs alone faults first
 * touches of anonymous memory in without the generator path (faultin_anon_page_quick);
 * a traced and watched run (an after-step hook: never alone) takes faultin_page() for every page, and the reference
 * atomicity also handle_mm_fault()'s generator path (no anon_pte_fault_quick). All must end in the
 * same mm (mm_fingerprint), return the same count and record the same pages, on ranges
 * that mix unmapped, present, read-only and THP-eligible memory, and when memory runs
 * out in the middle of a run (-ENOMEM at the same page).
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, run, runThreads, PAGE, MiB } from './gup_env.js';
import { gcfg } from '../../../../src/linux/mm/gup_speed.js';
import type { PatchId } from '../../../../src/profiles/index.js';
import { point } from '../../../../src/sched/index.js';
import type { Env } from './gup_env.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, pin_user_pages } from '../../../../src/linux/mm/gup.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import { sys_madvise, sys_mmap, sys_mprotect } from '../../../../src/linux/syscalls.js';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { user_store } from '../../../../src/linux/mm/uaccess.js';

const BASE = 0x4000_0000;
const N = 2048;

/** [0, 300) touched | [300, 1024) untouched | [1024, 1536) THP-eligible, untouched | [1536, 1600) read-only | [1600, 2048) untouched (second VMA). */
function* layout(k: Kctx): KThread<void> {
  expect(yield* sys_mmap(k, BASE, 6 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(BASE);
  expect(yield* sys_mmap(k, BASE + 6 * MiB, 2 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(BASE + 6 * MiB);
  for (let i = 0; i < 300; i++) expect(yield* user_store(k, BASE + i * PAGE, PAGE, `p${i}`)).toBe(0);
  expect(yield* user_store(k, BASE + 1600 * PAGE, PAGE, 'q')).toBe(0);
  expect(yield* sys_madvise(k, BASE + 1024 * PAGE, 2 * MiB, MADV_HUGEPAGE)).toBe(0);
  expect(yield* sys_mprotect(k, BASE + 1536 * PAGE, 64 * PAGE, PROT_READ)).toBe(0);
}

interface Outcome {
  readonly ret: unknown;
  readonly pages: readonly (number | null)[];
  readonly fp: string;
  readonly steps: number;
}

/** traced: never alone (faultin_page for every page); fine: the reference atomicity (no quick fault in handle_mm_fault either). */
function once(profile: string, traced: boolean | 'fine', body: (k: Kctx, env: Env, pages: (number | null)[]) => KThread<number>, normal = 256 * MiB): Outcome {
  const env = mkEnv(profile, { dma32: 64 * MiB, normal });
  env.m.recordEvents = false;
  if (traced === 'fine') env.m.atomicity = 'fine';
  const pages: (number | null)[] = new Array<number | null>(N).fill(null);
  const { r, results, s } = runThreads(env, [{ task: env.task, body: (k) => body(k, env, pages) }], undefined, 50_000_000, traced !== false);
  expect(r.status).toBe('done');
  return { ret: results[0], pages, fp: mm_fingerprint(env.m), steps: s.stepCount };
}

function same(a: Outcome, b: Outcome): void {
  expect(a.ret).toEqual(b.ret);
  expect(a.pages).toEqual(b.pages);
  expect(a.fp).toBe(b.fp);
}

describe.each(['v5.6', 'v6.1', 'v6.12'])('faultin_anon_page_quick vs faultin_page (%s)', (profile) => {
  it.each([0, 100, 1030])('pin_user_pages(FOLL_WRITE) from page %i ends as the page-by-page walk does', (first) => {
    const body = function* (k: Kctx, env: Env, pages: (number | null)[]): KThread<number> {
      yield* layout(k);
      const mm = env.task.mm!;
      yield* down_read(k, mm.mmap_lock, 't');
      const n = yield* pin_user_pages(k, BASE + first * PAGE, N - first, FOLL_WRITE | FOLL_LONGTERM, pages);
      up_read(k, mm.mmap_lock, 't');
      return n;
    };
    const alone = once(profile, false, body);
    const traced = once(profile, true, body);
    same(alone, traced);
    same(alone, once(profile, 'fine', body));
    // It stops before the read-only VMA (a write pin), having faulted the rest in.
    expect(alone.ret).toBe(1536 - first);
    // From page 1030 the walk starts inside the THP (no run of 4 KiB faults to shorten).
    if (first < 1024) expect(alone.steps).toBeLessThan(traced.steps);
  });

  it('populate (mm_populate) of both mappings ends as the page-by-page walk does', () => {
    const body = function* (k: Kctx): KThread<number> {
      yield* layout(k);
      return yield* __mm_populate(k, BASE, 8 * MiB, false);
    };
    const alone = once(profile, false, body);
    same(alone, once(profile, true, body));
    same(alone, once(profile, 'fine', body));
  });

  it('running out of memory in the middle of a run fails at the same page', () => {
    // 64 MiB of DMA32 and 2 MiB of Normal: the zones run dry inside the first mapping.
    const body = function* (k: Kctx, env: Env, pages: (number | null)[]): KThread<number> {
      const len = 80 * MiB;
      expect(yield* sys_mmap(k, BASE, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(BASE);
      expect(yield* user_store(k, BASE, PAGE, 'first')).toBe(0);
      const mm = env.task.mm!;
      yield* down_read(k, mm.mmap_lock, 't');
      const n = yield* pin_user_pages(k, BASE, N, FOLL_WRITE, pages);
      up_read(k, mm.mmap_lock, 't');
      const rest = yield* __mm_populate(k, BASE + N * PAGE, len - N * PAGE, false);
      return n * 1000 + rest;
    };
    const alone = once(profile, false, body, 2 * MiB);
    same(alone, once(profile, true, body, 2 * MiB));
    same(alone, once(profile, 'fine', body, 2 * MiB));
    expect(alone.ret).toBe(N * 1000 - 12);
  });
});

describe('gcfg: the per-page paths read each patch once per profile', () => {
  const FIELDS: Readonly<Record<string, PatchId>> = {
    pin_api: 'pin-user-pages-api', pin_counting: 'foll-pin-counting', hpage_pincount: 'foll-pin-hpage-pincount',
    zero_no_pin: 'gup-zero-page-no-pin', cow_removed: 'gup-foll-cow-removed', unshare: 'gup-anon-exclusive-unshare',
    movable: 'gup-migrate-movable-zone', fatal: 'gup-fatal-signals', dax_in_vma: 'gup-dax-check-in-vma-flags',
    hugetlb_bulk: 'hugetlb-grab-refs-once', thp_increm: 'gup-thp-page-increm',
  };
  it.each(['v5.4', 'v5.6', 'v5.7', 'v5.8', 'v5.9', 'v6.1', 'v6.12'])('%s: every field is the profile\'s patch, and the record is kept on the machine', (profile) => {
    const env = mkEnv(profile, { dma32: 64 * MiB, normal: 64 * MiB });
    run(env, function* (k) {
      const c = gcfg(k);
      expect(Object.keys(c).sort()).toEqual([...Object.keys(FIELDS), 'cow_break'].sort());
      for (const [f, id] of Object.entries(FIELDS)) expect([f, (c as unknown as Record<string, boolean>)[f]]).toEqual([f, k.patch(id)]);
      // The forced COW break for read pins: 17839856fd58 (5.8, 5.7.3) until a308c71bf1e6 (5.9) removed it.
      expect(c.cow_break).toBe(k.patch('gup-cow-break-read') && !k.patch('gup-remove-enforced-cow'));
      expect(c.cow_break).toBe(profile === 'v5.7' || profile === 'v5.8');
      expect(gcfg(k)).toBe(c);
      yield* point('t');
      return 0;
    });
  });
});
