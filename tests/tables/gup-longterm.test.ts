/**
 * GUP/PUP table, gup_longterm.c style: backing × entry point × flags (WRITE, LONGTERM,
 * locked) × profile → return value (from the oracle in gup-longterm.oracle.ts, written
 * from each release's source) and end state (every page taken is released by the
 * matching put/unpin and the refcounts go back; pins are counted the release's way).
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../src/sched/index.js';
import type { Kctx } from '../../src/linux/kctx.js';
import { mkEnv, mmap, run, MiB, PAGE, reports } from '../unit/linux/mm/gup_env.js';
import type { Env } from '../unit/linux/mm/gup_env.js';
import { oracle } from './gup-longterm.oracle.js';
import type { Api, Backing, Case, Prof } from './gup-longterm.oracle.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE, GUP_PIN_COUNTING_BIAS } from '../../src/linux/include/linux/foll.js';
import {
  __mm_populate, get_user_pages, get_user_pages_remote, get_user_pages_unlocked, pin_user_pages, pin_user_pages_remote,
  pin_user_pages_unlocked, unpin_user_pages, put_user_pages,
} from '../../src/linux/mm/gup.js';
import { get_user_pages_fast, pin_user_pages_fast } from '../../src/linux/mm/gup_fast.js';
import { down_read, up_read } from '../../src/linux/kernel/locking/rwsem.js';
import { page_count, put_page, pt_walk, is_zero_page } from '../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../src/linux/include/linux/mm_types.js';
import { mount_fs, create_file, filp_open } from '../../src/linux/fs/libfs.js';
import { shmem_file_setup } from '../../src/linux/mm/shmem.js';
import { O_RDWR } from '../../src/linux/include/linux/fs.js';
import type { file } from '../../src/linux/include/linux/fs.js';
import { vm_mmap_pgoff } from '../../src/linux/mm/mmap.js';

const PROFILES: Prof[] = ['v5.4', 'v5.5', 'v5.6', 'v6.1', 'v6.12'];
const APIS: Api[] = ['gup', 'gup_remote', 'gup_unlocked', 'gup_fast', 'pup', 'pup_remote', 'pup_unlocked', 'pup_fast'];
const BACKINGS: Backing[] = ['anon', 'anon-shared', 'memfd', 'tmpfs-shared', 'ext4-shared', 'ext4-private', 'fsdax-shared'];
const NR = 4;


function setupBacking(env: Env, b: Backing): number {
  const m = env.m;
  const rw = PROT_READ | PROT_WRITE;
  const len = NR * PAGE;
  let addr: number;
  if (b === 'anon' || b === 'anon-untouched') addr = mmap(env, len, rw, MAP_PRIVATE | MAP_ANONYMOUS);
  else if (b === 'anon-shared') addr = mmap(env, len, rw, MAP_SHARED | MAP_ANONYMOUS);
  else {
    let f: file | null = null;
    if (b === 'memfd') {
      f = run(env, function* (k) {
        return shmem_file_setup(k, 'memfd:buf', len);
      });
    } else {
      const kind = b.startsWith('tmpfs') ? 'tmpfs' : 'ext4';
      const opts = b === 'fsdax-shared' ? { dax: 'pmem0' } : {};
      mount_fs(m, '/mnt', kind, opts);
      create_file(m, '/mnt/f', len, (i) => `file-page-${i}`);
      f = run(env, function* (k) {
        const r = filp_open(k, '/mnt/f', O_RDWR);
        if (typeof r === 'number') throw new Error(`open: ${r}`);
        return r;
      });
    }
    const flags = b.endsWith('private') ? MAP_PRIVATE : MAP_SHARED;
    const ff = f;
    addr = run(env, (k) => vm_mmap_pgoff(k, ff, 0, len, rw, flags, 0));
  }
  expect(addr).toBeGreaterThan(0);
  if (b !== 'anon-untouched') {
    // Prefault every page writable (the selftest writes every page first).
    const r = run(env, (k) => __mm_populate(k, addr, len, false));
    expect(r).toBe(0);
  }
  return addr;
}

function call(api: Api, addr: number, flags: number, pages: (number | null)[], locked: boolean): (k: Kctx) => KThread<number> {
  return function* (k: Kctx): KThread<number> {
    const mm = (k.current as unknown as { mm: { mmap_lock: never } }).mm as never as Parameters<typeof get_user_pages_remote>[1];
    const site = 'test';
    switch (api) {
      case 'gup':
      case 'pup': {
        yield* down_read(k, mm.mmap_lock, site);
        const r = api === 'gup' ? yield* get_user_pages(k, addr, NR, flags, pages) : yield* pin_user_pages(k, addr, NR, flags, pages);
        up_read(k, mm.mmap_lock, site);
        return r;
      }
      case 'gup_remote':
      case 'pup_remote': {
        yield* down_read(k, mm.mmap_lock, site);
        const l = locked ? { v: 1 } : null;
        const r = api === 'gup_remote'
          ? yield* get_user_pages_remote(k, mm, addr, NR, flags, pages, null, l)
          : yield* pin_user_pages_remote(k, mm, addr, NR, flags, pages, null, l);
        if (!l || l.v) up_read(k, mm.mmap_lock, site);
        return r;
      }
      case 'gup_unlocked':
        return yield* get_user_pages_unlocked(k, addr, NR, pages, flags);
      case 'pup_unlocked':
        return yield* pin_user_pages_unlocked(k, addr, NR, pages, flags);
      case 'gup_fast':
        return yield* get_user_pages_fast(k, addr, NR, flags, pages);
      case 'pup_fast':
        return yield* pin_user_pages_fast(k, addr, NR, flags, pages);
    }
  };
}

/** The pfns the process maps at addr.. (to check refcounts of the pages themselves). */
function mapped(env: Env, addr: number): number[] {
  const mm = env.task.mm!;
  const out: number[] = [];
  for (let i = 0; i < NR; i++) {
    const w = pt_walk(mm, addr + i * PAGE);
    out.push(w.entry === 0 ? -1 : pte_pfn(w.entry));
  }
  return out;
}

describe('GUP/PUP table: backing × entry point × flags × profile', () => {
  for (const prof of PROFILES) {
    for (const backing of BACKINGS) {
      for (const api of APIS) {
        for (const write of [false, true]) {
          for (const longterm of [false, true]) {
            for (const locked of api.endsWith('remote') ? [false, true] : [false]) {
              const c: Case = { prof, api, backing, write, longterm, locked };
              const o = oracle(c);
              const name = `${prof} ${backing} ${api}(${write ? 'W' : ''}${longterm ? 'LT' : ''}${locked ? ',&locked' : ''}) → ${o.ret}  [${o.why}]`;
              it(name, () => {
                const env = mkEnv(prof, { dma32: 64 * MiB, normal: 256 * MiB, pmem: [{ name: 'pmem0', size: 64 * MiB, mode: 'fsdax' }] });
                const addr = setupBacking(env, backing);
                const before = mapped(env, addr);
                const refsBefore = before.map((p) => (p < 0 ? 0 : page_count(env.m, p)));
                const pages: (number | null)[] = new Array(NR).fill(null);
                const flags = (write ? FOLL_WRITE : 0) | (longterm ? FOLL_LONGTERM : 0);
                const r = run(env, call(api, addr, flags, pages, locked));
                if (o.ret === 'n/a') {
                  expect(reports(env, 'unsupported').length).toBeGreaterThan(0);
                  return;
                }
                expect(r).toBe(o.ret);
                expect(reports(env, 'bug')).toEqual([]);
                if (r > 0) {
                  const pinApi = api.startsWith('pup');
                  const realPins = pinApi && (prof === 'v6.1' || prof === 'v6.12');
                  // Each returned page is the one the process maps (no migration in these backings).
                  expect(pages.slice(0, r)).toEqual(mapped(env, addr).slice(0, r));
                  for (let i = 0; i < r; i++) {
                    const p = pages[i] as number;
                    const want = refsBefore[i] + (realPins ? GUP_PIN_COUNTING_BIAS : 1);
                    expect(page_count(env.m, p), `refcount of page ${i}`).toBe(want);
                  }
                  // Release the matching way; refcounts go back.
                  run(env, function* (k) {
                    if (pinApi && prof !== 'v5.4' && prof !== 'v5.5') unpin_user_pages(k, pages, r);
                    else if (prof === 'v5.4' || prof === 'v5.5') put_user_pages(k, pages, r);
                    else for (let i = 0; i < r; i++) put_page(k.m, pages[i] as number);
                    return 0;
                  });
                  for (let i = 0; i < r; i++) expect(page_count(env.m, pages[i] as number)).toBe(refsBefore[i]);
                } else {
                  // Nothing may stay referenced after a failure.
                  const after = mapped(env, addr).map((p) => (p < 0 ? 0 : page_count(env.m, p)));
                  expect(after).toEqual(refsBefore);
                }
                void is_zero_page;
              });
            }
          }
        }
      }
    }
  }
});
