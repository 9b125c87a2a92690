/**
 * exit_mmap() locking per release (mm/mmap.c): v5.4.1 takes no mmap_lock; with
 * 64591e8605d6 the whole tear-down runs under mmap_write_lock; with bf3980c85212
 * (Debian 6.1.192, 6.12.117) unmap_vmas runs under mmap_read_lock and free_pgtables +
 * remove_vma under mmap_write_lock. A kernel thread that holds mmap_lock of the dying
 * mm with only an mm_count reference (mmgrab, as the OOM reaper / process_mrelease do)
 * is therefore waited for — or not.
 */
import { describe, expect, it } from 'vitest';
import { machine, run, runAs, task } from './harness.js';
import type { Chooser, ThreadId } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { sys_mmap } from '../../../../src/linux/syscalls.js';
import { do_exit } from '../../../../src/linux/kernel/exit.js';
import { mmdrop, mmgrab } from '../../../../src/linux/kernel/fork.js';
import { down_read, down_write, up_read, up_write } from '../../../../src/linux/kernel/locking/rwsem.js';
import { race_window } from '../../../../src/linux/kernel/sched.js';

/** Runs the holder (T0) until it holds the lock, then the exiting process (T1) as far as it gets, then whoever can run. */
class HolderFirst implements Chooser {
  held = false;
  pickThread(enabled: readonly ThreadId[]): ThreadId {
    const [holder, exiter] = [enabled.find((t) => t === 0), enabled.find((t) => t === 1)];
    if (!this.held && holder !== undefined) return holder;
    if (exiter !== undefined) return exiter;
    return enabled[0];
  }
  pickData(): number {
    return 0;
  }
}

interface Seen {
  vmaFreed: boolean;
  pageTables: number;
  dead: boolean;
}

function race(profile: string, write: boolean, empty = false): { seen: Seen; after: Seen; status: string } {
  const m = machine(profile);
  const p = task(m);
  if (!empty) {
    const a = runAs(m, p, (k) => sys_mmap(k, 0, 4 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
    expect(p.mm!.mmap[0].vm_start).toBe(a);
    expect(p.mm!.pgd.pmd.size).toBeGreaterThan(0);
  }
  const mm = p.mm as mm_struct;
  const vma = mm.mmap[0] ?? { vm_freed: true };
  const look = (): Seen => ({ vmaFreed: vma.vm_freed, pageTables: mm.pgd.pmd.size, dead: mm.dead === true });
  const chooser = new HolderFirst();
  const reaper = task(m, { comm: 'reaper', kthread: true });
  let seen: Seen | null = null;
  const { r } = run(m, [
    {
      t: reaper,
      body: function* (k: Kctx) {
        mmgrab(mm);
        if (write) yield* down_write(k, mm.mmap_lock, 'test:holder');
        else yield* down_read(k, mm.mmap_lock, 'test:holder');
        chooser.held = true;
        yield* race_window(k, 'test:holder:held'); // the exiting process runs here
        seen = look();
        if (write) up_write(k, mm.mmap_lock, 'test:holder');
        else up_read(k, mm.mmap_lock, 'test:holder');
        mmdrop(k.m, mm);
      },
    },
    { t: p, body: (k: Kctx) => do_exit(k, 0) },
  ], chooser);
  return { seen: seen as unknown as Seen, after: look(), status: r.status };
}

describe('exit_mmap against a holder of mmap_lock (mmgrab only)', () => {
  it('v5.4: no lock — the VMAs are freed and the page tables gone while the holder still holds mmap_lock', () => {
    const r = race('v5.4', false);
    expect(r.status).toBe('done');
    expect(r.seen).toEqual({ vmaFreed: true, pageTables: 0, dead: true });
  });

  it.each(['v6.1', 'v6.12'])('%s: unmap_vmas runs beside a reader, remove_vma waits for it (bf3980c85212)', (profile) => {
    const r = race(profile, false);
    expect(r.status).toBe('done');
    expect(r.seen).toEqual({ vmaFreed: false, pageTables: 0, dead: false });
    expect(r.after).toEqual({ vmaFreed: true, pageTables: 0, dead: true });
  });

  it.each(['v6.1', 'v6.12'])('%s: a writer holds off even the unmap', (profile) => {
    const r = race(profile, true);
    expect(r.status).toBe('done');
    expect(r.seen.vmaFreed).toBe(false);
    expect(r.seen.pageTables).toBeGreaterThan(0);
    expect(r.after).toEqual({ vmaFreed: true, pageTables: 0, dead: true });
  });

  it('v6.1 without bf3980c85212 (64591e8605d6 alone): the whole tear-down waits for a reader', () => {
    const r = race('v6.1-exit-mmap-read-lock-unmap', false);
    expect(r.status).toBe('done');
    expect(r.seen.vmaFreed).toBe(false);
    expect(r.seen.pageTables).toBeGreaterThan(0);
    expect(r.after).toEqual({ vmaFreed: true, pageTables: 0, dead: true });
  });

  it('an mm with no VMAs: 6.1 needs only the read lock; 6.12 (d24062914837) also waits for the write lock', () => {
    expect(race('v6.1', false, true).seen.dead).toBe(true);
    const r612 = race('v6.12', false, true);
    expect(r612.seen.dead).toBe(false);
    expect(r612.after.dead).toBe(true);
    expect(race('v6.12-exit-mmap-empty-write-lock', false, true).seen.dead).toBe(true);
  });

  it('an exit with nobody else holding the lock ends the same on every release', () => {
    for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
      const m = machine(profile);
      const p = task(m);
      runAs(m, p, (k) => sys_mmap(k, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
      const mm = p.mm as mm_struct;
      runAs(m, p, (k) => do_exit(k, 0));
      expect(mm.dead, profile).toBe(true);
      expect(mm.mmap.length, profile).toBe(0);
      expect(mm.mmap_lock.isLocked(), profile).toBe(false);
    }
  });
});
