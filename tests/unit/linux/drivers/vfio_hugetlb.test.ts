/**
 * MAP_DMA / UNMAP_DMA of hugetlb-backed memory: pins taken per base page on a large
 * folio and all returned by UNMAP_DMA, with the per-page path (event history on) and the
 * folio-run unpin path (events off) giving the same end state.
 */
import { describe, expect, it } from 'vitest';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { PageDirty, folio_pincount, page_count, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { MAP_ANONYMOUS, MAP_HUGETLB, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { sys_mmap } from '../../../../src/linux/syscalls.js';
import { hugetlb_pool_grow } from '../../../../src/linux/mm/hugetlb.js';
import { machine, map_dma, pci_device, run1, task, unmap_dma, vfio_setup, MiB } from './support.js';

const M2 = 2 * MiB;

function once(profile: string, events: boolean): unknown {
  const m = machine(profile);
  m.recordEvents = events;
  const t = task(m, { memlock: 64 * MiB });
  return run1(m, t, function* (k) {
    expect(hugetlb_pool_grow(k, 9, 2)).toBe(2);
    const va = yield* sys_mmap(k, 0, 2 * M2, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_HUGETLB | (21 << 26), -1, 0);
    if (va < 0) return { va };
    const fds = yield* vfio_setup(k, pci_device(k));
    const r = yield* map_dma(k, fds.container, va, 0x40000000, 2 * M2);
    const head = pte_pfn(pt_walk(t.mm!, va).entry);
    const pinned = { refs: page_count(m, head), pins: folio_pincount(m, head), locked: t.mm!.locked_vm };
    const un = yield* unmap_dma(k, fds.container, 0x40000000, 2 * M2);
    return { r, pinned, un: un.ret, refs: page_count(m, head), pins: folio_pincount(m, head), locked: t.mm!.locked_vm, dirty: PageDirty(m, head) };
  });
}

describe.each(['v6.1', 'v6.12'])('hugetlb MAP/UNMAP on %s', (profile) => {
  it('pins 512 base pages per 2 MiB folio, charges them, and UNMAP_DMA gives every pin back (both unpin paths agree)', () => {
    const a = once(profile, true) as Record<string, unknown>;
    const b = once(profile, false);
    expect(a.r).toBe(0);
    expect((a.pinned as { locked: number }).locked).toBe(1024);
    expect(a.locked).toBe(0);
    expect(a.pins).toBe(0);
    expect(b).toEqual(a);
    void PAGE_SIZE;
  });
});
