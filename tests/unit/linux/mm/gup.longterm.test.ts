/**
 * FOLL_LONGTERM per release: CMA / ZONE_MOVABLE migration, migration failure, the
 * gup-fast CMA hole (§7 bug 3), the seed patch (§7 bug 1, remote long-term pins), the
 * zero page, validation rules of mm/gup.c per release. Each expectation cites the
 * tree it comes from.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, mmap, run, MiB, PAGE, reports } from './gup_env.js';
import type { Env } from './gup_env.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_FORCE, FOLL_GET, FOLL_LONGTERM, FOLL_PIN, FOLL_WRITE, GUP_PIN_COUNTING_BIAS } from '../../../../src/linux/include/linux/foll.js';
import {
  __mm_populate, get_user_pages, get_user_pages_remote, pin_user_pages, pin_user_pages_remote, unpin_user_pages, put_user_pages,
} from '../../../../src/linux/mm/gup.js';
import { get_user_pages_fast, pin_user_pages_fast } from '../../../../src/linux/mm/gup_fast.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { get_page, is_migrate_cma_page, is_zero_page, is_zone_movable_page, page_content, page_count, pt_walk, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';

const CMA_LAYOUT = { dma32: 32 * MiB, normal: 64 * MiB, cma: 64 * MiB };
const MOVABLE_LAYOUT = { dma32: 32 * MiB, normal: 64 * MiB, movable: 64 * MiB };
type Pages = (number | null)[];

function anon(env: Env, n: number, touch = true): number {
  const a = mmap(env, n * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
  if (touch) {
    expect(run(env, (k) => __mm_populate(k, a, n * PAGE, false))).toBe(0);
    for (let i = 0; i < n; i++) set_page_content(env.m, mapped(env, a + i * PAGE), `data-${i}`);
  }
  return a;
}

function mapped(env: Env, addr: number): number {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  return w.entry === 0 ? -1 : pte_pfn(w.entry);
}

function locked<T>(body: (k: Kctx, mm: mm_struct) => KThread<T>): (k: Kctx) => KThread<T> {
  return function* (k) {
    const mm = (k.current as unknown as { mm: mm_struct }).mm;
    yield* down_read(k, mm.mmap_lock, 'test');
    const r = yield* body(k, mm);
    up_read(k, mm.mmap_lock, 'test');
    return r;
  };
}

describe('CMA pages and FOLL_LONGTERM', () => {
  it('v5.4 get_user_pages(LONGTERM) migrates a CMA page out first (5.4.1 check_and_migrate_cma_pages)', () => {
    const env = mkEnv('v5.4', CMA_LAYOUT);
    const a = anon(env, 2);
    const old = mapped(env, a);
    expect(is_migrate_cma_page(env.m, old)).toBe(true);
    const pages: Pages = [null, null];
    expect(run(env, locked((k) => get_user_pages(k, a, 2, FOLL_WRITE | FOLL_LONGTERM, pages)))).toBe(2);
    expect(pages[0]).not.toBe(old);
    expect(is_migrate_cma_page(env.m, pages[0] as number)).toBe(false);
    expect(mapped(env, a)).toBe(pages[0]); // the process now maps the copy
    expect(page_content(env.m, pages[0] as number)).toBe('data-0');
    expect(page_count(env.m, pages[0] as number)).toBe(2); // mapping + GUP reference
  });

  for (const prof of ['v6.1', 'v6.12']) {
    it(`${prof} pin_user_pages(LONGTERM) migrates a CMA page and pins the copy (collect/migrate_longterm_unpinnable_pages)`, () => {
      const env = mkEnv(prof, CMA_LAYOUT);
      const a = anon(env, 2);
      const old = mapped(env, a);
      expect(is_migrate_cma_page(env.m, old)).toBe(true);
      const pages: Pages = [null, null];
      expect(run(env, locked((k) => pin_user_pages(k, a, 2, FOLL_WRITE | FOLL_LONGTERM, pages)))).toBe(2);
      expect(is_migrate_cma_page(env.m, pages[0] as number)).toBe(false);
      expect(mapped(env, a)).toBe(pages[0]);
      expect(page_count(env.m, pages[0] as number)).toBe(1 + GUP_PIN_COUNTING_BIAS);
      run(env, function* (k) {
        unpin_user_pages(k, pages, 2);
        return 0;
      });
      expect(page_count(env.m, pages[0] as number)).toBe(1);
    });
  }

  it('§7 bug 3: v5.4 get_user_pages_fast(WRITE|LONGTERM) pins a present CMA page in place; v6.1 pin_user_pages_fast migrates', () => {
    const e54 = mkEnv('v5.4', CMA_LAYOUT);
    const a = anon(e54, 1);
    const p54: Pages = [null];
    expect(run(e54, (k) => get_user_pages_fast(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, p54 as number[]))).toBe(1);
    expect(is_migrate_cma_page(e54.m, p54[0] as number)).toBe(true); // 5.4.1 gup_pte_range checks devmap only
    const e56 = mkEnv('v5.6', CMA_LAYOUT);
    const b = anon(e56, 1);
    const p56: Pages = [null];
    expect(run(e56, (k) => pin_user_pages_fast(k, b, 1, FOLL_WRITE | FOLL_LONGTERM, p56))).toBe(1);
    expect(is_migrate_cma_page(e56.m, p56[0] as number)).toBe(true); // 5.6.4: pin_user_pages_fast is an alias
    const e61 = mkEnv('v6.1', CMA_LAYOUT);
    const c = anon(e61, 1);
    const p61: Pages = [null];
    expect(run(e61, (k) => pin_user_pages_fast(k, c, 1, FOLL_WRITE | FOLL_LONGTERM, p61))).toBe(1);
    expect(is_migrate_cma_page(e61.m, p61[0] as number)).toBe(false); // try_grab_folio refuses, slow path migrates
  });

  it('row 13: migration impossible (an extra reference): v5.4 pins in CMA and succeeds; v6.1 -ENOMEM with nothing pinned', () => {
    for (const [prof, call] of [['v5.4', 'gup'], ['v6.1', 'pup'], ['v6.12', 'pup']] as const) {
      const env = mkEnv(prof, CMA_LAYOUT);
      const a = anon(env, 1);
      const old = mapped(env, a);
      get_page(env.m, old); // someone else holds a reference: folio_migrate_mapping refuses
      const pages: Pages = [null];
      const r = run(env, locked((k) => (call === 'gup' ? get_user_pages(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages) : pin_user_pages(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages))));
      if (prof === 'v5.4') {
        expect(r).toBe(1); // 5.4.1: migrate_allow = false, re-GUP without migration
        expect(pages[0]).toBe(old);
        expect(page_count(env.m, old)).toBe(3);
      } else {
        expect(r).toBe(-12); // f0f4463837da: -ENOMEM
        expect(page_count(env.m, old)).toBe(2); // mapping + the extra reference: no pin left
      }
    }
  });
});

describe('ZONE_MOVABLE (d1e153fea2a8, row 16)', () => {
  for (const [prof, migrates] of [['v5.4', false], ['v5.6', false], ['v6.1', true], ['v6.12', true]] as const) {
    it(`${prof}: a long-term pin of a ZONE_MOVABLE page ${migrates ? 'migrates it' : 'pins it in place'}`, () => {
      const env = mkEnv(prof, MOVABLE_LAYOUT);
      const a = anon(env, 1);
      expect(is_zone_movable_page(env.m, mapped(env, a))).toBe(true);
      const pages: Pages = [null];
      const r = run(env, locked((k) => (prof === 'v5.4' ? get_user_pages(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages) : pin_user_pages(k, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages))));
      expect(r).toBe(1);
      expect(is_zone_movable_page(env.m, pages[0] as number)).toBe(!migrates);
    });
  }
});

describe('the seed patch: get_user_pages_remote(FOLL_LONGTERM) (§7 bug 1, rows 3-6)', () => {
  const cases = [
    ['v5.4', 'gup', null, -22], ['v5.5', 'gup', null, -22], ['v5.6', 'gup', null, 1], ['v6.1', 'gup', null, -22], ['v6.12', 'gup', null, -22],
    ['v5.6', 'gup', 1, -22], ['v5.6', 'pup', null, 1], ['v5.6', 'pup', 1, -22], ['v6.1', 'pup', null, 1], ['v6.1', 'pup', 1, -22],
    ['v6.12', 'pup', null, 1], ['v6.12', 'pup', 1, 1],
  ] as const;
  for (const [prof, api, lk, want] of cases) {
    it(`${prof} ${api === 'gup' ? 'get' : 'pin'}_user_pages_remote(LONGTERM, locked=${lk === null ? 'NULL' : '&1'}) on a CMA page → ${want}`, () => {
      const env = mkEnv(prof, CMA_LAYOUT);
      const a = anon(env, 1);
      const pages: Pages = [null];
      const r = run(env, function* (k) {
        const mm = (k.current as unknown as { mm: mm_struct }).mm;
        yield* down_read(k, mm.mmap_lock, 't');
        const l = lk === null ? null : { v: 1 };
        const n = api === 'gup'
          ? yield* get_user_pages_remote(k, mm, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages, null, l)
          : yield* pin_user_pages_remote(k, mm, a, 1, FOLL_WRITE | FOLL_LONGTERM, pages, null, l);
        if (l === null || l.v) up_read(k, mm.mmap_lock, 't');
        return n;
      });
      expect(r).toBe(want);
      if (want === 1) expect(is_migrate_cma_page(env.m, pages[0] as number)).toBe(false); // long-term semantics: migrated
      if (want < 0) expect(reports(env, 'warn').length).toBeGreaterThan(0); // WARN_ON_ONCE
    });
  }
});

describe('zero page (rows 26-27)', () => {
  it('v5.4 get_user_pages(LONGTERM) read of untouched anon takes references on the zero page', () => {
    const env = mkEnv('v5.4');
    const a = anon(env, 2, false);
    const zp = env.m.mem.zero_pfn;
    const before = page_count(env.m, zp);
    const pages: Pages = [null, null];
    expect(run(env, locked((k) => get_user_pages(k, a, 2, FOLL_LONGTERM, pages)))).toBe(2);
    expect(pages).toEqual([zp, zp]);
    expect(page_count(env.m, zp)).toBe(before + 2);
    run(env, function* (k) {
      put_user_pages(k, pages, 2);
      return 0;
    });
  });
  it('v6.1 (476c1dfefab8 backport) pin_user_pages read of untouched anon: zero page, no references taken', () => {
    const env = mkEnv('v6.1');
    const a = anon(env, 2, false);
    const zp = env.m.mem.zero_pfn;
    const before = page_count(env.m, zp);
    const pages: Pages = [null, null];
    expect(run(env, locked((k) => pin_user_pages(k, a, 2, FOLL_LONGTERM, pages)))).toBe(2);
    expect(pages).toEqual([zp, zp]);
    expect(page_count(env.m, zp)).toBe(before);
    run(env, function* (k) {
      unpin_user_pages(k, pages, 2);
      return 0;
    });
    expect(page_count(env.m, zp)).toBe(before);
  });
  // Needs the memory model's FAULT_FLAG_UNSHARE of a non-anon page in a COW mapping (6.2+ do_wp_page →
  // wp_page_copy for the zero page); until then the -EMLINK → unshare-fault loop does not converge.
  it('v6.12 (84209e87c696) long-term R/O pin of untouched anon unshares: fresh anon pages, not the zero page', () => {
    const env = mkEnv('v6.12');
    const a = anon(env, 2, false);
    const pages: Pages = [null, null];
    expect(run(env, locked((k) => pin_user_pages(k, a, 2, FOLL_LONGTERM, pages)))).toBe(2);
    for (const p of pages) expect(is_zero_page(env.m, p as number)).toBe(false);
    expect(mapped(env, a)).toBe(pages[0]);
  });
  it('v6.12 short-term R/O pin of untouched anon: the zero page, no references', () => {
    const env = mkEnv('v6.12');
    const a = anon(env, 1, false);
    const zp = env.m.mem.zero_pfn;
    const before = page_count(env.m, zp);
    const pages: Pages = [null];
    expect(run(env, locked((k) => pin_user_pages(k, a, 1, 0, pages)))).toBe(1);
    expect(pages[0]).toBe(zp);
    expect(page_count(env.m, zp)).toBe(before);
  });
});

describe('validation (§2.3, rows 28-37)', () => {
  it('get_user_pages(FOLL_PIN): ignored unknown bit in 5.4, -EINVAL from 5.6', () => {
    for (const [prof, want] of [['v5.4', 1], ['v5.6', -22], ['v6.1', -22], ['v6.12', -22]] as const) {
      const env = mkEnv(prof);
      const a = anon(env, 1);
      const pages: Pages = [null];
      expect(run(env, locked((k) => get_user_pages(k, a, 1, FOLL_PIN, pages)))).toBe(want);
    }
  });
  it('pin_user_pages(FOLL_GET): alias in 5.6 (N), -EINVAL in 6.1, 0 in 6.12 (is_valid_gup_args)', () => {
    for (const [prof, want] of [['v5.6', 1], ['v6.1', -22], ['v6.12', 0]] as const) {
      const env = mkEnv(prof);
      const a = anon(env, 1);
      const pages: Pages = [null];
      expect(run(env, locked((k) => pin_user_pages(k, a, 1, FOLL_GET, pages)))).toBe(want);
    }
  });
  it('pin_user_pages(LONGTERM, pages = NULL): 5.6 -EINVAL (__gup_longterm_locked), 6.1 -EINVAL, 6.12 0', () => {
    for (const [prof, want] of [['v5.6', -22], ['v6.1', -22], ['v6.12', 0]] as const) {
      const env = mkEnv(prof);
      const a = anon(env, 1);
      expect(run(env, locked((k) => pin_user_pages(k, a, 1, FOLL_LONGTERM, null)))).toBe(want);
    }
  });
  it('nr_pages == 0 → 0 everywhere', () => {
    for (const prof of ['v5.4', 'v5.6', 'v6.1', 'v6.12']) {
      const env = mkEnv(prof);
      const a = anon(env, 1);
      expect(run(env, locked((k) => get_user_pages(k, a, 0, FOLL_WRITE, [])))).toBe(0);
    }
  });
  it('get_user_pages_fast(FOLL_FORCE): 5.4 -EINVAL (mask WRITE|LONGTERM), 5.6+ N', () => {
    for (const [prof, want] of [['v5.4', -22], ['v5.6', 1], ['v6.1', 1], ['v6.12', 1]] as const) {
      const env = mkEnv(prof);
      const a = anon(env, 1);
      expect(run(env, (k) => get_user_pages_fast(k, a, 1, FOLL_FORCE, [null] as never))).toBe(want);
    }
  });
  it('gup-fast range wrapping 2^64: 0 (5.4, 6.1), -EOVERFLOW (6.12)', () => {
    for (const [prof, want] of [['v5.4', 0], ['v6.1', 0], ['v6.12', -75]] as const) {
      const env = mkEnv(prof);
      expect(run(env, (k) => get_user_pages_fast(k, 2 ** 64 - 4096, 2, FOLL_WRITE, [null, null] as never))).toBe(want);
    }
  });
  it('FOLL_FORCE rows 28-30: R/O private anon W → -EFAULT, W|FORCE → N (COW); R/O shared W|FORCE → -EFAULT', () => {
    for (const prof of ['v5.4', 'v6.1', 'v6.12']) {
      const env = mkEnv(prof);
      const a = mmap(env, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS);
      const s = mmap(env, PAGE, PROT_READ, MAP_SHARED | MAP_ANONYMOUS);
      const p: Pages = [null];
      expect(run(env, locked((k) => get_user_pages(k, a, 1, FOLL_WRITE, p)))).toBe(-14);
      expect(run(env, locked((k) => get_user_pages(k, a, 1, FOLL_WRITE | FOLL_FORCE, p)))).toBe(1);
      expect(is_zero_page(env.m, p[0] as number)).toBe(false);
      expect(run(env, locked((k) => get_user_pages(k, s, 1, FOLL_WRITE | FOLL_FORCE, p)))).toBe(-14);
    }
  });
});

describe('fatal signal pending (row 35)', () => {
  it('-ERESTARTSYS in 5.4/5.6, -EINTR in 6.1/6.12', () => {
    for (const [prof, want] of [['v5.4', -512], ['v5.6', -512], ['v6.1', -4], ['v6.12', -4]] as const) {
      const env = mkEnv(prof);
      const a = anon(env, 1);
      const pages: Pages = [null];
      const r = run(env, function* (k) {
        k.s.kill(k.tid, true);
        const mm = (k.current as unknown as { mm: mm_struct }).mm;
        yield* down_read(k, mm.mmap_lock, 't');
        const n = yield* get_user_pages(k, a, 1, FOLL_WRITE, pages);
        up_read(k, mm.mmap_lock, 't');
        return n;
      });
      expect(r).toBe(want);
    }
  });
});

describe('gup-fast address limit (access_ok; 6.12 end > TASK_SIZE_MAX)', () => {
  // The last user page starts at TASK_SIZE_MAX - 4096 = 2^47 - 8192; a two-page range from
  // there ends one page past TASK_SIZE_MAX (2^47 - 4096) and is refused before any walk.
  const TOP = 2 ** 47 - 2 * PAGE;
  for (const prof of ['v5.4', 'v5.6', 'v6.1', 'v6.12'] as const) {
    it(`${prof}: a range ending one page past TASK_SIZE_MAX is refused (-EFAULT), one ending at it is pinned`, () => {
      const env = mkEnv(prof);
      const a = mmap(env, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, null, 0, TOP);
      expect(a).toBe(TOP);
      const pages: (number | null)[] = [null, null];
      const fast = prof === 'v5.4' ? get_user_pages_fast : pin_user_pages_fast;
      expect(run(env, (k) => fast(k, TOP, 2, FOLL_WRITE, pages))).toBe(-14);
      expect(pages[0]).toBe(null);
      expect(run(env, (k) => fast(k, TOP, 1, FOLL_WRITE, pages))).toBe(1);
    });
  }
});
