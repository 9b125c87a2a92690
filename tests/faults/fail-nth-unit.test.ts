/**
 * Fault injection (include/linux/fault_inject.ts, src/explore/failnth.ts,
 * src/scenario/failnth.ts, `pinlab explore --fail-nth` / `pinlab run --fail-nth`):
 * off by default, each failure point a chooser choice, the n-th failed exactly once,
 * replayable, and the kernel's error path at the VFIO, IOMMU, mmap and io_uring sites.
 */
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import type { Io } from '../../src/cli/io.js';
import { FailNthChooser, failNth } from '../../src/explore/failnth.js';
import { FAILPOINTS, isFailpoint } from '../../src/linux/include/linux/fault_inject.js';
import { parseScenario } from '../../src/scenario/parse.js';
import { failNthScenario, programHang } from '../../src/scenario/failnth.js';
import { runScenario } from '../../src/scenario/run.js';
import { DefaultChooser } from '../../src/sched/index.js';
import { loadScenario as load, profileOf as profile } from '../support/scenario-load.js';

function capture(): Io & { stdout: string } {
  const io = { stdout: '', tty: false, out(t: string) { io.stdout += t + '\n'; }, err(t: string) { io.stdout += t + '\n'; } };
  return io;
}

const MAP = 'scenarios/vfio/exit-releases-pins.yaml';

describe('fault injection', () => {
  it('is off by default: no failure point is a choice, the schedule is unchanged', () => {
    const s = load(MAP);
    const off = runScenario(s, profile('v6.1'));
    expect(off.schedule).toBe('');
    const on = runScenario(s, profile('v6.1'), { faultInjection: true });
    expect(on.schedule).toMatch(/^c0\*\d+$/); // every failable call answered `ok`
    expect([...on.values]).toEqual([...off.values]);
  });

  it('FailNthChooser fails the n-th failure point only and passes other choices through', () => {
    const c = new FailNthChooser(2, new DefaultChooser());
    const ctx = { choiceIndex: 0, step: 0, last: null, lastEnabled: false };
    const fp = 'mm/mmap.c:mmap_region:vm_area_alloc';
    expect(c.pickData('mm/filemap.c:filemap_fault:io', 2, 0 as never, ctx)).toBe(0);
    expect(c.pickData(fp, 2, 0 as never, ctx)).toBe(0);
    expect(c.failed).toBeNull();
    expect(c.pickData(fp, 2, 0 as never, ctx)).toBe(1);
    expect(c.failed).toBe(fp);
    expect(c.pickData(fp, 2, 0 as never, ctx)).toBe(0);
    expect(c.failable).toBe(3);
    expect(() => new FailNthChooser(0)).toThrow(/fail-nth 0/);
  });

  it('failNth runs n = 1.. until a run makes fewer than n failable calls', () => {
    const seen: number[] = [];
    const r = failNth((c) => {
      const ctx = { choiceIndex: 0, step: 0, last: null, lastEnabled: false };
      for (let i = 0; i < 3; i++) c.pickData('mm/mmap.c:mmap_region:vm_area_alloc', 2, 0 as never, ctx);
      seen.push(c.failable);
      return c.failed;
    });
    expect(r.complete).toBe(true);
    expect(r.runs.map((x) => x.nth)).toEqual([1, 2, 3]);
    expect(r.failable).toBe(3);
    expect(seen).toHaveLength(4);
    const bounded = failNth((c) => {
      const ctx = { choiceIndex: 0, step: 0, last: null, lastEnabled: false };
      for (let i = 0; i < 5; i++) c.pickData('mm/mmap.c:mmap_region:vm_area_alloc', 2, 0 as never, ctx);
      return null;
    }, 2);
    expect(bounded.complete).toBe(false);
    expect(bounded.runs).toHaveLength(2);
    expect(bounded.failable).toBe(5);
    // A campaign bounded at zero runs nothing: incomplete, no failable calls counted, no exception.
    const none = failNth(() => null, 0);
    expect(none).toEqual({ runs: [], complete: false, failable: 0 });
  });

  it('MAP_DMA: copy_from_user -EFAULT, kzalloc -ENOMEM, an IOMMU page-table failure -ENOMEM with everything unwound', () => {
    const r = failNthScenario(load(MAP), profile('v6.1'));
    expect(r.complete).toBe(true);
    const by = (fp: string) => r.runs.filter((x) => x.site.failpoint === fp);
    expect(by('drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_ioctl:copy_from_user').map((x) => x.site.ret)).toEqual([-14]);
    expect(by('drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map:kzalloc').map((x) => x.site.ret)).toEqual([-12]);
    const iommu = by('drivers/iommu/iommu.c:iommu_map:alloc_pgtable');
    expect(iommu.length).toBeGreaterThan(0);
    for (const x of iommu) {
      expect(x.site.ret).toBe(-12);
      expect(x.outcome.values.get('pinned')).toBe(0); // vfio_pin_map_dma unpinned the chunk
      expect(x.outcome.violated).toEqual([]);
    }
    // The batch page failing is no error: the one-entry fallback array pins page by page.
    expect(by('drivers/vfio/vfio_iommu_type1.c:vfio_batch_init:__get_free_page').map((x) => [x.site.ret, x.outcome.values.get('pinned')])).toEqual([[0, 1]]);
    for (const x of r.runs) expect(isFailpoint(x.site.failpoint)).toBe(true);
  });

  it('a fail-nth run replays byte for byte from its schedule with fault injection on', () => {
    const s = load(MAP);
    const r = failNthScenario(s, profile('v6.1'));
    const x = r.runs[r.runs.length - 1];
    const again = runScenario(s, profile('v6.1'), { schedule: x.outcome.schedule, faultInjection: true, trace: true });
    expect(again.divergence).toBeNull();
    expect(JSON.stringify(again.trace)).toBe(JSON.stringify(x.outcome.trace));
  });

  it('every declared failure point names a kernel file, function and tag, and what the kernel returns', () => {
    for (const [label, fp] of Object.entries(FAILPOINTS)) {
      expect(label).toMatch(/^[a-z_/0-9]+\.c:[a-z_0-9]+:[a-z_0-9]+$/);
      expect(fp.fails.length).toBeGreaterThan(0);
      expect(fp.caller.length).toBeGreaterThan(0);
    }
  });

  it('pinlab explore --fail-nth lists each failure point; run --fail-nth N re-runs one', async () => {
    let io = capture();
    expect(await main(['explore', MAP, '-p', 'v6.1', '--fail-nth'], io)).toBe(0);
    expect(io.stdout).toMatch(/fail-nth over the default schedule: \d+ failure points, complete, 0 bad/);
    expect(io.stdout).toContain('#2 drivers/vfio/vfio_iommu_type1.c:vfio_dma_do_map:kzalloc in T0 VFIO_IOMMU_MAP_DMA: map=-ENOMEM');
    io = capture();
    expect(await main(['explore', MAP, '-p', 'v6.1', '--fail-nth', '--json'], io)).toBe(0);
    const j = JSON.parse(io.stdout) as { complete: boolean; runs: { nth: number; failpoint: string; bad: boolean }[] };
    expect(j.complete).toBe(true);
    expect(j.runs[0]).toMatchObject({ nth: 1, failpoint: 'drivers/vfio/vfio_iommu_type1.c:vfio_iommu_type1_ioctl:copy_from_user', bad: false });
    io = capture();
    expect(await main(['run', MAP, '-p', 'v6.1', '--fail-nth', '2'], io)).toBe(0);
    expect(io.stdout).toContain('map = -ENOMEM');
    io = capture();
    expect(await main(['run', MAP, '-p', 'v6.1', '--fail-nth', '0'], io)).toBe(2);
  });

  it('a hang of the scenario\'s own program after a failure is reported as such, typed by the wait mode', async () => {
    const file = 'scenarios/pipe/vmsplice-zero-page.yaml';
    const r = failNthScenario(load(file), profile('v6.1'));
    const hung = r.runs.filter((x) => programHang(x.outcome));
    expect(hung.length).toBeGreaterThan(0);
    for (const x of hung) {
      const d = x.outcome.violations.find((v) => v.kind === 'deadlock');
      expect(d?.kind === 'deadlock' && d.threads.every((t) => t.mode === 'user' || t.mode === 'interruptible')).toBe(true);
    }
    // A deadlock with a lock held or an uninterruptible kernel wait is not the program's own hang.
    const x = hung[0];
    const d = x.outcome.violations.find((v) => v.kind === 'deadlock');
    if (d?.kind !== 'deadlock') throw new Error('no deadlock record');
    const uninterruptible = { ...x.outcome, violations: [{ ...d, threads: d.threads.map((t) => ({ ...t, mode: 'uninterruptible' as const })) }] };
    expect(programHang(uninterruptible)).toBe(false);
    const holding = { ...x.outcome, violations: [{ ...d, threads: d.threads.map((t) => ({ ...t, held: [{ lock: 'mmap_lock', mode: 'read' as const, spin: false }] })) }] };
    expect(programHang(holding)).toBe(false);
    const io = capture();
    await main(['explore', file, '-p', 'v6.1', '--fail-nth', '--json'], io);
    const j = JSON.parse(io.stdout) as { runs: { nth: number; bad: boolean; programHang: boolean; status: string }[] };
    const jh = j.runs.filter((y) => y.programHang);
    expect(jh.map((y) => y.nth)).toEqual(hung.map((y) => y.nth));
    for (const y of jh) expect(y).toMatchObject({ status: 'deadlock', bad: false });
  });

  it('a step that waits for a result a failed fork never produces waits in user space (WaitMode user)', () => {
    const r = failNthScenario(load('scenarios/gup/bug9-gup-after-fork-leak.yaml'), profile('v6.1'));
    const x = r.runs.find((y) => y.site.failpoint === 'kernel/fork.c:dup_mmap:vm_area_dup');
    expect(x?.outcome.status).toBe('deadlock');
    const d = x?.outcome.violations.find((v) => v.kind === 'deadlock');
    expect(d?.kind === 'deadlock' && d.threads.map((t) => t.mode)).toEqual(['user']);
    expect(programHang(x!.outcome)).toBe(true);
  });

  it('a failed fork leaves the child process\'s thread with nothing to run (no deadlock)', () => {
    const s = load('scenarios/vfio/unmap-by-forked-child.yaml');
    const r = failNthScenario(s, profile('v6.1'));
    const forks = r.runs.filter((x) => x.site.op === 'fork' && x.site.ret !== null && (x.site.ret as number) < 0);
    expect(forks.length).toBeGreaterThan(0);
    for (const x of forks) {
      expect(x.outcome.status).toBe('done');
      expect(x.outcome.values.has('unmap')).toBe(false);
    }
  });
  it('fork: a failed vm_area_dup is -ENOMEM from fork; a PTE table that cannot be allocated is -ENOMEM from GUP', () => {
    const text = `question: q?
setup:
  processes:
    - name: P
      mappings:
        - { name: a, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }
        - { name: b, length: 2 pages, prot: PROT_READ|PROT_WRITE, flags: MAP_PRIVATE|MAP_ANONYMOUS, addr: 0x40000000 }
threads:
  - process: P
    steps:
      - fork: { child: Q }
        as: f
      - get_user_pages: { start: $b, nr_pages: 2, gup_flags: FOLL_WRITE }
        as: pin
expect:
  v6.1: { values: { pin: 2 } }
`;
    const p = parseScenario(text, 't.yaml');
    if (!p.ok) throw new Error(p.errors.map((e) => e.message).join('\n'));
    for (const spec of ['v5.4', 'v6.1', 'v6.12']) {
      const r = failNthScenario(p.scenario, profile(spec));
      expect(r.complete, spec).toBe(true);
      const by = (fp: string) => r.runs.filter((x) => x.site.failpoint === fp);
      const dup = by('kernel/fork.c:dup_mmap:vm_area_dup');
      expect(dup.map((x) => x.site.ret), spec).toEqual([-12, -12]); // one per VMA copied
      for (const x of dup) expect(x.outcome.violated, spec).toEqual([]);
      const pte = by('mm/memory.c:do_anonymous_page:pte_alloc');
      expect(pte.map((x) => [x.site.op, x.site.ret]), spec).toEqual([['get_user_pages', -12]]); // the first page's table only
      for (const x of pte) expect(x.outcome.violated, spec).toEqual([]);
    }
  });
});
