/** The invariant framework: ids, titles, motivations; checks over a real machine; histories. */
import { describe, expect, it } from 'vitest';
import { INVARIANT_IDS } from '../../../src/check/ids.js';
import { INVARIANTS, isDaxLayoutWait, refcountReportFindings } from '../../../src/check/invariants.js';
import type { CheckWorld, LongtermPin } from '../../../src/check/invariants.js';
import { Checker } from '../../../src/check/checker.js';
import { historyOf } from '../../../src/check/history.js';
import { Machine } from '../../../src/linux/machine.js';
import { profileOrThrow } from '../../../src/profiles/index.js';
import { DefaultChooser, Mutex, Sched, SpinLock } from '../../../src/sched/index.js';
import { runThreads } from '../sched/helpers.js';
import type { KThread, ThreadId } from '../../../src/sched/index.js';
import { mkEnv, run } from '../linux/mm/gup_env.js';
import { sys_madvise, sys_mmap } from '../../../src/linux/syscalls.js';
import { __mm_populate } from '../../../src/linux/mm/gup.js';
import { MADV_DONTNEED, MADV_HUGEPAGE, MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../src/linux/include/uapi/asm-generic/mman.js';

function world(release: string, pins: LongtermPin[], layout?: ConstructorParameters<typeof Machine>[1]): CheckWorld {
  const m = new Machine(profileOrThrow(release), layout ?? { dma32: 16 << 20, normal: 16 << 20, cma: 8 << 20, movable: 8 << 20 });
  const s = new Sched({ chooser: new DefaultChooser() });
  return { m, s, staleUses: () => [], longtermPins: () => pins, heldPins: () => [], expectedLockedVm: () => null, liveMms: () => [], dmaMappings: () => [] };
}

describe('invariants', () => {
  it('pin-balance-at-exit: a PTE-mapped THP whose head page was zapped is still held by its other PTEs (the folio mapcount), not leaked', () => {
    const env = mkEnv('v6.1', { dma32: 16 << 20, normal: 64 << 20 });
    run(env, function* (k): KThread<number> {
      const raw = yield* sys_mmap(k, 0, 4 << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const x = Math.ceil(raw / (2 << 20)) * (2 << 20);
      yield* sys_madvise(k, x, 2 << 20, MADV_HUGEPAGE);
      yield* __mm_populate(k, x, 2 << 20, false);
      return yield* sys_madvise(k, x, 4096, MADV_DONTNEED);
    });
    const s = new Sched({ chooser: new DefaultChooser() });
    const w: CheckWorld = { m: env.m, s, staleUses: () => [], longtermPins: () => [], heldPins: () => [], expectedLockedVm: () => null, liveMms: () => [], dmaMappings: () => [] };
    const pb = INVARIANTS.find((d) => d.id === 'pin-balance-at-exit');
    if (pb === undefined) throw new Error('test bug');
    expect(pb.check(w, { result: s.run() })).toEqual([]);
  });

  it('every id is declared once, with a title and a motivation', () => {
    expect(INVARIANTS.map((d) => d.id).sort()).toEqual([...INVARIANT_IDS].sort());
    for (const d of INVARIANTS) {
      expect(d.title.length).toBeGreaterThan(10);
      expect(d.why.length).toBeGreaterThan(10);
    }
  });

  it('no-longterm-pin-on-cma-or-movable: CMA everywhere, ZONE_MOVABLE only where d1e153fea2a8 is in', () => {
    const probe = (release: string, region: string): readonly string[] => {
      const w0 = world(release, []);
      const r = w0.m.mem.regions.find((x) => x.name === region);
      if (r === undefined) throw new Error('test bug: no region');
      const w = world(release, [{ pfn: r.start_pfn, holder: 'test', thread: 0 as ThreadId }]);
      return new Checker(w).check();
    };
    expect(probe('v5.4', 'cma')).toContain('no-longterm-pin-on-cma-or-movable');
    expect(probe('v6.12', 'cma')).toContain('no-longterm-pin-on-cma-or-movable');
    expect(probe('v5.6', 'movable')).not.toContain('no-longterm-pin-on-cma-or-movable');
    expect(probe('v6.1', 'movable')).toContain('no-longterm-pin-on-cma-or-movable');
    expect(probe('v6.1', 'normal')).toEqual([]);
  });

  it('a checker given a list of invariants checks only those', () => {
    const w0 = world('v6.1', []);
    const r = w0.m.mem.regions.find((x) => x.name === 'cma');
    if (r === undefined) throw new Error('test bug: no region');
    const w = world('v6.1', [{ pfn: r.start_pfn, holder: 'test', thread: 0 as ThreadId }]);
    expect(new Checker(w, ['no-longterm-pin-on-cma-or-movable']).check()).toEqual(['no-longterm-pin-on-cma-or-movable']);
    expect(new Checker(w, ['refcount-sane', 'no-stale-vma-use']).check()).toEqual([]);
    expect(new Checker(w, []).check()).toEqual([]);
    expect(new Checker(w).check()).toContain('no-longterm-pin-on-cma-or-movable');
  });

  it('the incremental checker runs only where the world lists its other pins, and auto mode starts with the rescan', () => {
    const plain = world('v6.1', []);
    // No before/after hooks: always the rescan.
    expect(new Checker(plain, null, 'incremental').incremental).toBe(false);
    const hooked = { ...plain, before: () => [], after: () => [] } as unknown as CheckWorld;
    expect(new Checker(hooked, null, 'incremental').incremental).toBe(true);
    expect(new Checker(hooked, null, 'rescan').incremental).toBe(false);
    // Auto: a small machine (few folios, nothing DMA-mapped) stays on the rescan.
    const auto = new Checker(hooked, null, 'auto');
    expect(auto.incremental).toBe(false);
    auto.observe();
    expect(auto.incremental).toBe(false);
  });

  it('fs-progress recognises the DAX layout-break wait', () => {
    expect(isDaxLayoutWait('fs/ext4/inode.c:ext4_break_layouts:wait', undefined, 'pfn:3')).toBe(true);
    expect(isDaxLayoutWait('fs/dax.c:dax_layout_busy_page', 'x', 'pfn:3')).toBe(true);
    expect(isDaxLayoutWait('mm/gup.c:__get_user_pages:retry', undefined, 'mmap_lock(mm#1)')).toBe(false);
  });

  it('a violation record carries the history of its objects', () => {
    const w0 = world('v5.4', []);
    const r = w0.m.mem.regions.find((x) => x.name === 'cma');
    if (r === undefined) throw new Error('test bug');
    const w = world('v5.4', [{ pfn: r.start_pfn, holder: 'VFIO dma iova 0x0', thread: 0 as ThreadId }]);
    w.m.event(0 as ThreadId, 'pin', [`pfn:${r.start_pfn}`], 'vaddr_get_pfn');
    w.m.event(1 as ThreadId, 'unrelated', ['pfn:1'], 'elsewhere');
    const c = new Checker(w);
    const v = c.violations(null).find((x) => x.kind === 'invariant');
    expect(v).toMatchObject({ kind: 'invariant', invariant: 'no-longterm-pin-on-cma-or-movable' });
    if (v?.kind !== 'invariant') return;
    expect(v.message).toContain('VFIO dma iova 0x0');
    expect(v.history.map((h) => `${h.what} ${h.fn}`)).toEqual(['pin vaddr_get_pfn']);
  });

  it('kernel reports count for an invariant by their typed subject (about), never by their wording', () => {
    const w = world('v6.1', []);
    const lv = INVARIANTS.find((d) => d.id === 'locked-vm-accounting');
    if (lv === undefined) throw new Error('test bug');
    // Worded like a locked_vm / refcount problem but untyped: no finding.
    w.m.reports.push({ kind: 'warn', site: 'mm/util.c:__account_locked_vm', thread: null, message: 'locked_vm went wrong' });
    w.m.reports.push({ kind: 'bug', site: 'include/linux/mm.h:put_page', thread: null, message: 'refcount went negative' });
    expect(lv.check(w, null)).toEqual([]);
    expect(refcountReportFindings(w.m)).toEqual([]);
    // Typed: one finding each, whatever the wording.
    w.m.reports.push({ kind: 'warn', site: 'somewhere', thread: null, message: 'x', about: 'locked_vm' });
    w.m.reports.push({ kind: 'bug', site: 'elsewhere', thread: null, message: 'y', about: 'refcount' });
    w.m.reports.push({ kind: 'warn', site: 'elsewhere', thread: null, message: 'a warning is not a BUG', about: 'refcount' });
    expect(lv.check(w, null).map((f) => f.message)).toEqual(['kernel warning at somewhere: x']);
    expect(refcountReportFindings(w.m).map((f) => f.message)).toEqual(['kernel BUG at elsewhere: y']);
  });

  it('sleep-in-atomic is a declared invariant: the runtime\'s might_sleep() finding becomes a violation with the thread, the site and the spinlock', () => {
    const spin = new SpinLock('spin');
    const mtx = new Mutex('m');
    const { s } = runThreads(new DefaultChooser(), [
      function* (sc) {
        yield* spin.lock(sc, 'test.c:bad:spin_lock');
        yield* mtx.lock(sc, 'test.c:bad:mutex_lock');
        mtx.unlock(sc);
        spin.unlock(sc);
      },
    ]);
    const w = { ...world('v6.1', []), s };
    const d = INVARIANTS.find((x) => x.id === 'sleep-in-atomic');
    if (d === undefined) throw new Error('sleep-in-atomic is not declared');
    expect(d.check(w, null)).toEqual([{ invariant: 'sleep-in-atomic', message: 'T0 (t0) may sleep at test.c:bad:mutex_lock while holding spinlock spin', objects: ['spin'], threads: [0] }]);
    // Without the spinlock: nothing.
    const { s: ok } = runThreads(new DefaultChooser(), [
      function* (sc) {
        yield* mtx.lock(sc, 'test.c:ok:mutex_lock');
        mtx.unlock(sc);
      },
    ]);
    expect(d.check({ ...w, s: ok }, null)).toEqual([]);
  });

  it('historyOf keeps only events about the objects, latest last, bounded', () => {
    const m = new Machine(profileOrThrow('v6.1'));
    for (let i = 0; i < 50; i++) m.event(null, 'e', [i % 2 === 0 ? 'pfn:7' : 'pfn:8'], `f${i}`);
    const h = historyOf(m.events, ['pfn:7'], () => null, 10);
    expect(h).toHaveLength(10);
    expect(h[9].fn).toBe('f48');
    expect(h.every((e) => e.objects.includes('pfn:7'))).toBe(true);
  });
});
