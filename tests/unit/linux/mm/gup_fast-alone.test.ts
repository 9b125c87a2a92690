/**
 * mm/gup_fast.ts: a thread that runs alone reads the entries of the lockless walk one after
 * another without a scheduling point between them (iommufd's pfn reader pins its own mm this
 * way, 512 pages a call). It must end as the walk with a point per entry does (a traced run,
 * never alone) and as the reference atomicity: the same count, pages and mm — over present
 * 4 KiB pages, a THP, a read-only range (a write pin stops there and the slow path decides)
 * and untouched memory (the slow path faults it in).
 */
import { describe, expect, it } from 'vitest';
import { mkEnv, runThreads, PAGE, MiB } from './gup_env.js';
import type { Env } from './gup_env.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_FIXED, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { pin_user_pages_fast } from '../../../../src/linux/mm/gup_fast.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import { sys_madvise, sys_mmap, sys_mprotect } from '../../../../src/linux/syscalls.js';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { user_store } from '../../../../src/linux/mm/uaccess.js';

const BASE = 0x4000_0000;

/** [0, 300) touched | [300, 512) untouched | [512, 1024) a touched THP | then [1024, 1100) touched but read-only. */
function* layout(k: Kctx): KThread<void> {
  expect(yield* sys_mmap(k, BASE, 6 * MiB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0)).toBe(BASE);
  for (let i = 0; i < 300; i++) expect(yield* user_store(k, BASE + i * PAGE, PAGE, `p${i}`)).toBe(0);
  expect(yield* sys_madvise(k, BASE + 512 * PAGE, 2 * MiB, MADV_HUGEPAGE)).toBe(0);
  expect(yield* user_store(k, BASE + 512 * PAGE, PAGE, 'thp')).toBe(0);
  for (let i = 1024; i < 1100; i++) expect(yield* user_store(k, BASE + i * PAGE, PAGE, `r${i}`)).toBe(0);
  expect(yield* sys_mprotect(k, BASE + 1024 * PAGE, 76 * PAGE, PROT_READ)).toBe(0);
}

interface Outcome {
  readonly ret: unknown;
  readonly pages: readonly (number | null)[];
  readonly fp: string;
  readonly steps: number;
}

function once(profile: string, mode: 'alone' | 'traced' | 'fine', first: number, count: number, flags: number): Outcome {
  const env: Env = mkEnv(profile, { dma32: 64 * MiB, normal: 256 * MiB });
  env.m.recordEvents = false;
  if (mode === 'fine') env.m.atomicity = 'fine';
  const pages: (number | null)[] = new Array<number | null>(count).fill(null);
  const body = function* (k: Kctx): KThread<number> {
    yield* layout(k);
    return yield* pin_user_pages_fast(k, BASE + first * PAGE, count, flags, pages);
  };
  const { r, results, s } = runThreads(env, [{ task: env.task, body }], undefined, 50_000_000, mode === 'traced');
  expect(r.status).toBe('done');
  return { ret: results[0], pages, fp: mm_fingerprint(env.m), steps: s.stepCount };
}

describe.each(['v5.6', 'v6.1', 'v6.12'])('gup-fast in a lone thread vs a point per entry (%s)', (profile) => {
  it.each([
    ['present 4 KiB pages', 0, 300, FOLL_WRITE | FOLL_LONGTERM],
    ['present pages, then untouched ones (the slow path faults them)', 200, 200, FOLL_WRITE | FOLL_LONGTERM],
    ['a THP', 512, 512, FOLL_WRITE | FOLL_LONGTERM],
    ['read-only pages, read pin', 1024, 76, FOLL_LONGTERM],
    ['read-only pages, write pin (refused)', 1000, 100, FOLL_WRITE | FOLL_LONGTERM],
  ] as const)('%s: same count, pages and mm', (_what, first, count, flags) => {
    const alone = once(profile, 'alone', first, count, flags);
    for (const other of [once(profile, 'traced', first, count, flags), once(profile, 'fine', first, count, flags)]) {
      expect(alone.ret).toEqual(other.ret);
      expect(alone.pages).toEqual(other.pages);
      expect(alone.fp).toBe(other.fp);
    }
  });
  it('takes fewer steps than the walk with a point per entry', () => {
    expect(once(profile, 'alone', 0, 300, FOLL_LONGTERM).steps).toBeLessThan(once(profile, 'traced', 0, 300, FOLL_LONGTERM).steps);
  });
});
