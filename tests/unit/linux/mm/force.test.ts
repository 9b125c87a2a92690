import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from './harness.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, pte_dirty, pte_pfn, pte_write } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, PageAnon, VM_FAULT_WRITE, page_content, pt_walk, pte_at, vma_lookup, vma_is_dax, vma_is_fsdax } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { get_current } from '../../../../src/linux/include/linux/sched.js';
import { sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EINVAL } from '../../../../src/linux/include/uapi/linux/errno.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { O_RDONLY, O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { create_file, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { devdax_create } from '../../../../src/linux/drivers/dax/device.js';

function* wfault(k: Kctx, addr: number) {
  const mm = get_current(k).mm as mm_struct;
  yield* down_read(k, mm.mmap_lock, 'test');
  const r = yield* handle_mm_fault(k, vma_lookup(mm, addr)!, addr, FAULT_FLAG_WRITE);
  up_read(k, mm.mmap_lock, 'test');
  return r;
}

describe('FOLL_FORCE-style write fault on a read-only private mapping (§2.10)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: breaks COW into a private anon copy that stays read-only (maybe_mkwrite) but dirty`, () => {
      const m = machine(profile);
      mount_fs(m, '/mnt', 'ext4');
      create_file(m, '/mnt/ro', PAGE_SIZE, () => 'file-data');
      const t = task(m);
      const r = runAs(m, t, function* (k) {
        const fd = yield* sys_open(k, '/mnt/ro', O_RDONLY);
        const a = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_PRIVATE, fd, 0);
        const first = yield* wfault(k, a); // do_cow_fault: no VM_FAULT_WRITE (5.4 GUP then retries)
        const second = yield* wfault(k, a); // do_wp_page on the exclusive copy: reuse
        return { a, first, second };
      });
      const pte = pte_at(t.mm!, r.a);
      expect(pte_write(pte)).toBe(false); // still read-only after both faults (no VM_WRITE)
      expect(pte_dirty(pte)).toBe(true);
      expect(PageAnon(m, pte_pfn(pte))).toBe(true);
      expect(page_content(m, pte_pfn(pte))).toBe('file-data');
      expect(r.first & VM_FAULT_WRITE).toBe(0);
      expect(r.second).toBe(profile === 'v6.12' ? 0 : VM_FAULT_WRITE);
      expect(pte_pfn(pte_at(t.mm!, r.a))).toBe(pte_pfn(pte));
    });
  }
});

describe('device-DAX', () => {
  it('refuses private and misaligned mappings; shared ones fault PMD leaves of the device pfns; vma_is_dax but not fsdax', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'dax0.0', size: 8 * MiB, mode: 'devdax' }] });
    devdax_create(m, '/dev/dax0.0', 'dax0.0');
    const t = task(m);
    const r = runAs(m, t, function* (k) {
      const fd = yield* sys_open(k, '/dev/dax0.0', O_RDWR);
      const priv = yield* sys_mmap(k, 0, PMD_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
      const small = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      const raw = yield* sys_mmap(k, 0, 2 * PMD_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
      return { priv, small, raw };
    });
    expect(r.priv).toBe(-EINVAL);
    expect(r.small).toBe(-EINVAL);
    // The unaligned top-down address is refused too unless it happens to be 2 MiB aligned.
    if (r.raw > 0) {
      const v = vma_lookup(t.mm!, r.raw)!;
      expect(vma_is_dax(v) && !vma_is_fsdax(v)).toBe(true);
      runAs(m, t, function* (k) { return yield* wfault(k, r.raw); });
      const w = pt_walk(t.mm!, r.raw);
      expect(w.level).toBe('pmd');
      expect(pte_pfn(w.entry)).toBe(m.mem.regions.find((x) => x.name === 'dax0.0')!.start_pfn);
    } else {
      expect(r.raw).toBe(-EINVAL);
    }
  });
});
