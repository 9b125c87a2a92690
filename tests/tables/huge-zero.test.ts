/**
 * GUP over a never-written MADV_HUGEPAGE range (the huge zero page), gup_longterm.c style:
 * profile × entry point × (FOLL_WRITE, FOLL_LONGTERM) × situation (untouched, or read
 * first so a huge zero PMD is mapped) → where the pages come from, with an oracle written
 * from each release's source:
 * - a write GUP on an empty PMD faults a fresh THP (do_huge_pmd_anonymous_page, every release);
 *   on a huge zero PMD 5.4–5.6 also map a fresh THP (do_huge_pmd_wp_page "alloc"), from
 *   3917c80280c9 (v5.8; 6.1, 6.12) the zero PMD is split and each page is a 4 KiB copy;
 * - a read GUP maps (or finds) the huge zero PMD and takes references / pins on the huge zero
 *   folio as on any large folio (is_zero_page() is false for it), except a 6.12 R/O long-term
 *   pin (FOLL_PIN, 84209e87c696: gup_must_unshare for a non-anon page in a COW mapping), which
 *   unshares every page into a fresh 4 KiB anon page; gup-fast leaves such pins to the slow path;
 * - get_user_pages(FOLL_LONGTERM) is refused with -EINVAL from 6.1 (is_valid_gup_flags /
 *   is_valid_gup_args); pin_user_pages does not exist on 5.4/5.5.
 * End state: after the release (put_page / unpin), the huge zero folio is back at its one
 * allocation reference with no pins.
 */
import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from '../unit/linux/mm/harness.js';
import type { Kctx } from '../../src/linux/kctx.js';
import type { mm_struct } from '../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE } from '../../src/linux/include/linux/mm_types.js';
import { PageAnon, folio_order, folio_pincount, page_count, put_page, vma_lookup } from '../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../src/linux/mm/memory.js';
import { get_current } from '../../src/linux/include/linux/sched.js';
import { sys_madvise, sys_mmap } from '../../src/linux/syscalls.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages, unpin_user_pages } from '../../src/linux/mm/gup.js';
import { pin_user_pages_fast } from '../../src/linux/mm/gup_fast.js';
import { MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../src/linux/kernel/locking/rwsem.js';
import { EINVAL } from '../../src/linux/include/uapi/linux/errno.js';

type Prof = 'v5.4' | 'v5.5' | 'v5.6' | 'v6.1' | 'v6.12';
type Api = 'gup' | 'pup' | 'pup_fast';
type Situation = 'untouched' | 'read-first';
type Where = 'huge-zero' | 'fresh-thp' | 'fresh-small';

const PROFILES: readonly Prof[] = ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12'];
const APIS: readonly Api[] = ['gup', 'pup', 'pup_fast'];
const FLAGS: readonly number[] = [0, FOLL_LONGTERM, FOLL_WRITE, FOLL_WRITE | FOLL_LONGTERM];
const NR = 8;

interface Expect {
  readonly ret: number | 'skip';
  readonly where?: Where;
  readonly why: string;
}

function oracle(p: Prof, api: Api, flags: number, sit: Situation): Expect {
  const old = p === 'v5.4' || p === 'v5.5';
  if (api !== 'gup' && old) return { ret: 'skip', why: 'pin_user_pages* appear in 5.6 (eddb1c228f79)' };
  if (api === 'gup' && flags & FOLL_LONGTERM && (p === 'v6.1' || p === 'v6.12')) return { ret: -EINVAL, why: 'FOLL_LONGTERM is for pin_user_pages* only' };
  const v5 = p === 'v5.4' || p === 'v5.5' || p === 'v5.6';
  if (flags & FOLL_WRITE) {
    if (sit === 'untouched') return { ret: NR, where: 'fresh-thp', why: 'a write fault on an empty PMD allocates a THP' };
    return v5
      ? { ret: NR, where: 'fresh-thp', why: 'write on a huge zero PMD: a fresh THP (before 3917c80280c9)' }
      : { ret: NR, where: 'fresh-small', why: 'write on a huge zero PMD: split, one 4 KiB copy per page (3917c80280c9)' };
  }
  if (api !== 'gup' && flags & FOLL_LONGTERM && p === 'v6.12') {
    return { ret: NR, where: 'fresh-small', why: 'R/O long-term pin of a non-anon page in a COW mapping unshares (84209e87c696)' };
  }
  return { ret: NR, where: 'huge-zero', why: 'a read fault maps the huge zero page; GUP takes it like any large folio' };
}

function* fault(k: Kctx, addr: number) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'table');
  yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, 0);
  up_read(k, mm.mmap_lock, 'table');
}

describe('GUP over a never-written MADV_HUGEPAGE range (huge zero page): profile × API × flags × situation', () => {
  for (const p of PROFILES) {
    for (const api of APIS) {
      for (const flags of FLAGS) {
        for (const sit of ['untouched', 'read-first'] as const) {
          const o = oracle(p, api, flags, sit);
          const fl = [flags & FOLL_WRITE ? 'W' : 'R', flags & FOLL_LONGTERM ? 'LT' : ''].filter((x) => x).join('|');
          const title = `${p} | ${api} | ${fl} | ${sit} → ${o.ret === 'skip' ? 'skip' : o.ret < 0 ? o.ret : o.where}  [${o.why}]`;
          // The API does not exist in that release: no row (tests/tables/gup-longterm.test.ts
          // checks that calling it reports unsupported).
          if (o.ret === 'skip') continue;
          it(title, () => {
            const m = machine(p, { dma32: 16 * MiB, normal: 64 * MiB });
            const t = task(m);
            const pin = api !== 'gup';
            const r = runAs(m, t, function* (k) {
              const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
              const x = Math.ceil(raw / PMD_SIZE) * PMD_SIZE;
              yield* sys_madvise(k, x, PMD_SIZE, MADV_HUGEPAGE);
              if (sit === 'read-first') yield* fault(k, x);
              const pages: (number | null)[] = new Array<number | null>(NR).fill(null);
              const start = x + 16 * PAGE_SIZE;
              let n: number;
              if (api === 'pup_fast') {
                n = yield* pin_user_pages_fast(k, start, NR, flags, pages);
              } else {
                const mm = t.mm!;
                yield* down_read(k, mm.mmap_lock, 'table');
                n = api === 'gup' ? yield* get_user_pages(k, start, NR, flags, pages) : yield* pin_user_pages(k, start, NR, flags, pages);
                up_read(k, mm.mmap_lock, 'table');
              }
              const zero = m.mem.huge_zero_pfn;
              const held = { refs: zero > 0 ? page_count(m, zero) : 0, pins: zero > 0 ? folio_pincount(m, zero) : 0 };
              const got = pages.slice(0, Math.max(n, 0)) as number[];
              if (n > 0) {
                if (pin) unpin_user_pages(k, got, n);
                else for (const pg of got) put_page(m, pg);
              }
              return { n, got, zero, held };
            });
            expect(r.n).toBe(o.ret);
            if (typeof o.ret === 'number' && o.ret < 0) return;
            const inZero = (pg: number): boolean => r.zero > 0 && pg >= r.zero && pg < r.zero + 512;
            if (o.where === 'huge-zero') {
              expect(r.got.every((pg, i) => pg === r.zero + 16 + i)).toBe(true);
              expect(r.held.refs).toBe(1 + NR);
              // FOLL_PIN counts in the large folio's pincount from 5.7 (47e29d32afba); 5.6's pin is a get.
              expect(r.held.pins).toBe(pin && p !== 'v5.6' ? NR : 0);
            } else {
              expect(r.got.some(inZero)).toBe(false);
              expect(r.got.every((pg) => PageAnon(m, pg))).toBe(true);
              expect(r.got.every((pg) => folio_order(m, pg) === (o.where === 'fresh-thp' ? 9 : 0))).toBe(true);
            }
            if (r.zero > 0) {
              expect(page_count(m, r.zero)).toBe(1);
              expect(folio_pincount(m, r.zero)).toBe(0);
            }
            expect(m.reports.filter((x) => x.kind !== 'warn')).toEqual([]);
          });
        }
      }
    }
  }
});
