/**
 * Lifetime of VFIO pins: closing the container, the owner exiting, exec() with an
 * inherited container fd (famous bug 12, §7.12).
 *
 * MODEL (test set-up): until the memory model has execve()/exit(), exec is emulated as
 * the kernel's exec_mmap() leaves things (task->mm replaced by a fresh mm, the old one's
 * last user reference dropped), and exit as exit_mm() + exit_files() (task->mm NULL, the
 * old mm's users gone, every fd closed).
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { page_count, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { close_fd } from '../../../../src/linux/include/linux/fs.js';
import { mm_alloc } from '../../../../src/linux/kernel/fork.js';
import { PROFILES, anon_vma, machine, map_dma, pci_device, prefault, run1, task, vfio_setup } from './support.js';

const VA = 0x10000000;

describe.each(PROFILES)('VFIO lifetime on %s', (profile) => {
  const five = profile === 'v5.4' || profile === 'v5.5' || profile === 'v5.6';

  it('closing the container (last reference) unmaps, unpins and un-charges everything', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      const pfn = pte_pfn(pt_walk(mm, VA).entry);
      const pinned = page_count(m, pfn);
      const lockedMapped = mm.locked_vm;
      // The group still holds a container reference: closing the container fd alone keeps the pins.
      yield* close_fd(k, fds.container);
      const afterContainer = { refs: page_count(m, pfn), locked: mm.locked_vm };
      yield* close_fd(k, fds.group);
      return { pinned, lockedMapped, afterContainer, refs: page_count(m, pfn), locked: mm.locked_vm };
    });
    expect(out.pinned).toBeGreaterThan(1);
    expect(out.lockedMapped).toBe(4);
    expect(out.afterContainer).toEqual({ refs: out.pinned, locked: 4 });
    expect(out.refs).toBe(1);
    expect(out.locked).toBe(0);
  });

  it('exec() with an inherited container fd, then close: un-charging hits the new mm before the 6.3 fix (046eca5018f8)', () => {
    const m = machine(profile);
    const t = task(m);
    const mm1 = t.mm!;
    const vma = anon_vma(m, mm1, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm1, vma, VA, 4 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      yield* map_dma(k, fds.container, VA, 0, 4 * PAGE_SIZE);
      const pfn = pte_pfn(pt_walk(mm1, VA).entry);
      // exec: new mm; the old one loses its last user (exit_mmap would run: it is dead to GUP and accounting).
      const mm2 = mm_alloc(m);
      t.mm = mm2;
      mm1.mm_users = 0;
      mm1.dead = true;
      yield* close_fd(k, fds.group);
      yield* close_fd(k, fds.container);
      return { mm1: mm1.locked_vm, mm2: mm2.locked_vm, warned: m.reports.filter((r) => r.kind === 'warn').map((r) => r.site), refs: page_count(m, pfn) };
    });
    if (five) {
      // dma->task->mm is the new mm: 4 pages un-charged from an mm that never had them (WARN), the old keeps 4.
      expect(out.mm2).toBe(-4);
      expect(out.mm1).toBe(4);
      expect(out.warned).toContain('mm/util.c:__account_locked_vm');
    } else {
      // dma->mm is the old mm, already gone (mmget_not_zero fails): nothing is un-charged anywhere, no WARN.
      expect(out.mm2).toBe(0);
      expect(out.warned).toEqual([]);
    }
    // Either way the pages are unpinned (refcount: only the old mm's PTE reference is left in the model).
    expect(out.refs).toBe(1);
  });

  it('the owner exits while a second process keeps the container: pins stay until the last close', () => {
    const m = machine(profile);
    const t = task(m);
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 2 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      yield* prefault(k, mm, vma, VA, 2 * PAGE_SIZE);
      const fds = yield* vfio_setup(k, pci_device(k));
      yield* map_dma(k, fds.container, VA, 0, 2 * PAGE_SIZE);
      const pfn = pte_pfn(pt_walk(mm, VA).entry);
      const before = page_count(m, pfn);
      // exit_mm(): the task has no mm any more; the mm's last user is gone.
      t.mm = null;
      mm.mm_users = 0;
      mm.dead = true;
      yield* close_fd(k, fds.group);
      yield* close_fd(k, fds.container);
      return { before, after: page_count(m, pfn), warned: m.reports.filter((r) => r.kind !== 'unsupported').length };
    });
    expect(out.before).toBeGreaterThan(1);
    expect(out.after).toBe(1);
    // Accounting against the dead mm is skipped (-ESRCH), silently.
    expect(out.warned).toBe(0);
  });
});
