/**
 * The `locked` protocol and the hypothetical ablation
 * `hypo-longterm-honours-locked` (§1.4): a long-term GUP whose fault drops mmap_sem,
 * while another thread replaces the VMA, re-faults the page in the new VMA with
 * FOLL_TRIED and vmas = NULL, so the post-hoc check_dax_vmas() never sees that VMA.
 */
import { describe, expect, it } from 'vitest';
import type { Chooser, PickContext, Sched, ThreadId } from '../../../../src/sched/index.js';
import { Kctx } from '../../../../src/linux/kctx.js';
import type { Env } from './gup_env.js';
import { mkEnv, run, MiB, PAGE, reports } from './gup_env.js';
import { Sched as SchedCls } from '../../../../src/sched/index.js';
import { MAP_FIXED, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { __mm_populate, get_user_pages_remote, pin_user_pages_remote } from '../../../../src/linux/mm/gup.js';
import type { vma_array } from '../../../../src/linux/mm/gup.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { create_file, filp_open, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import type { file } from '../../../../src/linux/include/linux/fs.js';
import { vm_mmap_pgoff } from '../../../../src/linux/mm/mmap.js';
import { page_content, find_vma, is_fsdax_page, page_count } from '../../../../src/linux/include/linux/mm.js';
import { do_truncate } from '../../../../src/linux/fs/open.js';
import type { mm_struct, vm_area_struct } from '../../../../src/linux/include/linux/mm_types.js';

/** Run T0 until it parks at `label`, then T1 to the end, then T0. */
class SwitchAt implements Chooser {
  s: Sched | null = null;
  switched = false;
  constructor(private readonly label: string) {}
  pickThread(enabled: readonly ThreadId[], _ctx: PickContext): ThreadId {
    const s = this.s as Sched;
    const t0 = 0 as ThreadId;
    const t1 = 1 as ThreadId;
    if (!this.switched && s.view(t0).label === this.label && enabled.includes(t1)) this.switched = true;
    if (this.switched && enabled.includes(t1)) return t1;
    if (!this.switched && enabled.includes(t0)) return t0;
    return enabled[0];
  }
  pickData(): number {
    return 0;
  }
}

function openf(env: Env, path: string): file {
  return run(env, function* (k) {
    const r = filp_open(k, path, O_RDWR);
    if (typeof r === 'number') throw new Error(`open ${path}: ${r}`);
    return r;
  });
}

interface Race {
  ret: number;
  lockedAfter: number;
  pages: (number | null)[];
  vmas: vma_array | null;
  vmaA: vm_area_struct;
}

/**
 * T0: get/pin_user_pages_remote(FOLL_WRITE|FOLL_LONGTERM, 3 pages of /mnt/f, locked=&1);
 * page 2 is not in the page cache, so its fault drops mmap_sem for I/O.
 * T1 (at that point): mmap(MAP_FIXED|MAP_SHARED) of /mnt/g over page 2.
 */
function race(prof: string, api: 'gup' | 'pup', callerVmas: vma_array | null, gflags = FOLL_WRITE | FOLL_LONGTERM, replacement: 'ext4' | 'fsdax' = 'ext4', prefill = false): { env: Env; r: Race } {
  const env = mkEnv(prof, { dma32: 64 * MiB, normal: 256 * MiB, pmem: [{ name: 'pmem0', size: 64 * MiB, mode: 'fsdax' }] });
  mount_fs(env.m, '/mnt', 'ext4');
  create_file(env.m, '/mnt/f', 3 * PAGE, (i) => `f-${i}`);
  if (replacement === 'fsdax') {
    mount_fs(env.m, '/pmem', 'ext4', { dax: 'pmem0' });
    create_file(env.m, '/pmem/g', PAGE, () => 'g-0');
  } else {
    create_file(env.m, '/mnt/g', PAGE, () => 'g-0');
  }
  const f = openf(env, '/mnt/f');
  const g = openf(env, replacement === 'fsdax' ? '/pmem/g' : '/mnt/g');
  const A = run(env, (k) => vm_mmap_pgoff(k, f, 0, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
  expect(run(env, (k) => __mm_populate(k, A, 2 * PAGE, false))).toBe(0); // pages 0,1 cached and mapped
  const vmaA = find_vma(env.task.mm as mm_struct, A) as vm_area_struct;
  // A caller that reuses its vmas array from an earlier call over the same range.
  if (prefill && callerVmas) callerVmas.fill(vmaA);
  const chooser = new SwitchAt('mm/filemap.c:filemap_fault:io-wait');
  const s = new SchedCls({ chooser, trace: false, maxSteps: 1_000_000 });
  chooser.s = s;
  env.m.sched = s;
  const pages: (number | null)[] = [null, null, null];
  const out: Race = { ret: 0, lockedAfter: -1, pages, vmas: callerVmas, vmaA };
  s.spawn('T0', (tid) => (function* () {
    const k = new Kctx(env.m, s, tid, env.task);
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 't0');
    const locked = { v: 1 };
    out.ret = api === 'gup'
      ? yield* get_user_pages_remote(k, mm, A, 3, gflags, pages, callerVmas, locked)
      : yield* pin_user_pages_remote(k, mm, A, 3, gflags, pages, null, locked);
    out.lockedAfter = locked.v;
    if (locked.v) up_read(k, mm.mmap_lock, 't0');
    return 0;
  })());
  s.spawn('T1', (tid) => (function* () {
    const k = new Kctx(env.m, s, tid, env.task);
    return yield* vm_mmap_pgoff(k, g, A + 2 * PAGE, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, 0);
  })());
  const rr = s.run();
  env.m.sched = null;
  expect(rr.status).toBe('done');
  return { env, r: out };
}

describe('locked protocol', () => {
  it('v5.4 get_user_pages_remote(locked) on a page needing I/O: lock dropped and re-taken, *locked = 0 on return, all pages', () => {
    const env = mkEnv('v5.4');
    mount_fs(env.m, '/mnt', 'ext4');
    create_file(env.m, '/mnt/f', 2 * PAGE, (i) => `f-${i}`);
    const f = openf(env, '/mnt/f');
    const A = run(env, (k) => vm_mmap_pgoff(k, f, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
    const pages: (number | null)[] = [null, null];
    const res = run(env, function* (k) {
      const mm = env.task.mm as mm_struct;
      yield* down_read(k, mm.mmap_lock, 't');
      const locked = { v: 1 };
      const n = yield* get_user_pages_remote(k, mm, A, 2, FOLL_WRITE, pages, null, locked);
      const l = locked.v;
      if (locked.v) up_read(k, mm.mmap_lock, 't');
      return [n, l];
    });
    expect(res).toEqual([2, 0]);
    expect(page_content(env.m, pages[1] as number)).toBe('f-1');
    expect(env.m.events.filter((e) => e.what === 'mmap-unlock-for-io').length).toBe(2);
  });
});

describe('§1.4: FOLL_LONGTERM with a droppable lock (hypo-longterm-honours-locked)', () => {
  it('real v5.6 refuses: get_user_pages_remote(LONGTERM, locked) → WARN, -EINVAL, nothing pinned', () => {
    const { env, r } = race('v5.6', 'gup', null);
    expect(r.ret).toBe(-22);
    expect(reports(env, 'warn').some((w) => w.includes('get_user_pages_remote'))).toBe(true);
  });

  it('v5.6+hypo: the retried page is pinned in the VMA that replaced the range; the temporary vmas[] slot for it was never written → check_dax_vmas oopses on NULL', () => {
    const { env, r } = race('v5.6+hypo-longterm-honours-locked', 'gup', null);
    expect(r.ret).toBe(3);
    expect(r.lockedAfter).toBe(0);
    expect(page_content(env.m, r.pages[2] as number)).toBe('g-0'); // the new file's page, not /mnt/f's
    expect(reports(env, 'bug').some((b) => b.includes('check_dax_vmas') && b.includes('vmas[2]'))).toBe(true);
  });

  it('v5.6+hypo with the caller\'s own (reused) vmas array: no oops, and the check looked only at the stale first VMA', () => {
    const stale: vma_array = [null, null, null];
    const { env, r } = race('v5.6+hypo-longterm-honours-locked', 'gup', stale);
    // Pre-filled by nothing: the slots the walk wrote are 0 and 1 (vmas is not advanced after a retry).
    expect(r.ret).toBe(3);
    expect(stale[0]).toBe(r.vmaA);
    expect(stale[1]).toBe(r.vmaA);
    expect(stale[2]).toBeNull(); // never written: the VMA actually pinned is invisible to the check
    expect(page_content(env.m, r.pages[2] as number)).toBe('g-0');
  });

  it('v6.12: pin_user_pages_remote(LONGTERM, locked) is allowed; writable: -EFAULT already on the first (ext4 shared) VMA (8ac268436e6d)', () => {
    const { r } = race('v6.12', 'pup', null);
    expect(r.ret).toBe(-14);
  });

  it('v6.12: R/O long-term pin with a droppable lock; the new (ext4) VMA is checked when the retry enters it and pinned', () => {
    const { env, r } = race('v6.12', 'pup', null, FOLL_LONGTERM);
    expect(r.ret).toBe(3);
    expect(r.lockedAfter).toBe(0);
    expect(page_content(env.m, r.pages[2] as number)).toBe('g-0');
  });

  it('v6.12: the VMA replaced by an fs-DAX mapping is refused by check_vma_flags on the retry: partial count 2, no fs-DAX pin', () => {
    const { env, r } = race('v6.12', 'pup', null, FOLL_LONGTERM, 'fsdax');
    expect(r.ret).toBe(2);
    expect(r.pages[2]).toBeNull();
    expect(reports(env, 'unsupported')).toEqual([]);
  });

  it('v5.6+hypo, fs-DAX mapped over the range while the lock was dropped (temporary vmas[]): the fs-DAX page is pinned and the post-hoc check oopses on the unfilled slot', () => {
    const { env, r } = race('v5.6+hypo-longterm-honours-locked', 'gup', null, FOLL_LONGTERM, 'fsdax');
    expect(r.ret).toBe(3);
    const p2 = r.pages[2] as number;
    expect(is_fsdax_page(env.m, p2)).toBe(true); // a long-term reference on fs-DAX memory
    expect(page_count(env.m, p2)).toBeGreaterThan(1);
    expect(reports(env, 'bug').some((b) => b.includes('check_dax_vmas'))).toBe(true);
  });

  it('v5.6+hypo, fs-DAX, caller reuses its vmas array: no oops — check_dax_vmas sees only the stale ext4 VMA and the fs-DAX pin goes through silently; a later truncate of the DAX file waits forever', () => {
    const vmas: vma_array = [null, null, null];
    const { env, r } = race('v5.6+hypo-longterm-honours-locked', 'gup', vmas, FOLL_LONGTERM, 'fsdax', true);
    expect(r.ret).toBe(3);
    expect(reports(env, 'bug')).toEqual([]);
    expect(vmas[2]).toBe(r.vmaA); // stale: the VMA that used to be there
    const p2 = r.pages[2] as number;
    expect(is_fsdax_page(env.m, p2)).toBe(true);
    // truncate(/pmem/g, 0) must wait in dax_layout_busy_page for the pinned page: it never returns.
    const s = new SchedCls({ chooser: new (class implements Chooser {
      pickThread(enabled: readonly ThreadId[]): ThreadId { return enabled[0]; }
      pickData(): number { return 0; }
    })(), trace: false, maxSteps: 10_000 });
    env.m.sched = s;
    s.spawn('T0', (tid) => (function* () {
      const k = new Kctx(env.m, s, tid, env.task);
      const i = env.m.inodes.get('/pmem/g');
      return yield* do_truncate(k, i as never, 0);
    })());
    const rr = s.run();
    env.m.sched = null;
    expect(rr.status).toBe('deadlock');
  });

  it('real v5.6, same fs-DAX race but without the ablation: -EINVAL, nothing pinned', () => {
    const { env, r } = race('v5.6', 'gup', null, FOLL_LONGTERM, 'fsdax');
    expect(r.ret).toBe(-22);
    expect(r.pages).toEqual([null, null, null]);
    void env;
  });
});
