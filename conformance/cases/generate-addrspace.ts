// The address-space cases (issue 12 item 4; generate.ts writes them with the others):
// mremap, MADV_FREE / PAGEOUT / DONTNEED / REMOVE / WIPEONFORK and mprotect on memory a
// VFIO mapping holds pinned, with what the process and the edu device see afterwards.
// Declared values come from Debian linux-source-6.1 (6.1.192) and linux-source-6.12
// (6.12.117/118) mm/mremap.c, mm/madvise.c, mm/rmap.c, mm/vmscan.c, mm/mprotect.c and
// kernel/fork.c (cited per case), and were confirmed on both real kernels.

import type { IommufdCase } from './generate-iommufd.js';

type Decl = IommufdCase['v61'];
/** A case as generate.ts renders it (the iommufd case shape without the built kernel's declaration). */
export type AddrspaceCase = Omit<IommufdCase, 'iommufd'> & { more61?: string; more612?: string };

const RW = 'PROT_READ|PROT_WRITE';
const BUF = `{ name: buf, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }`;
const DST = `{ name: dst, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS }`;
const INCOHERENT = 'invariants: { dma-coherent-with-process: always }';

function setup(mappings: string[], vfio = true): string {
  return [
    'memory:',
    '  zones: { DMA32: 16M, Normal: 64M, Movable: 64M }',
    '  hugepages: 16',
    'processes:',
    '  - name: P',
    '    mappings:',
    ...mappings.map((m) => `      - ${m}`),
    ...(vfio
      ? ['devices:', '  - { name: edu0, kind: edu, iommu_group: 5 }', 'vfio:', '  containers:', '    - { name: C, process: P, iommu: VFIO_TYPE1v2_IOMMU, groups: [edu0] }']
      : []),
  ].join('\n');
}

const step = (op: string, args: string, as: string): string => `- ${op}: { ${args} }\n  as: ${as}`;
const steps = (...xs: string[]): string => xs.join('\n');
const store = (as: string, addr: string, content: string, len?: string): string => step('store', `addr: ${addr}, ${len ? `length: ${len}, ` : ''}content: ${content}`, as);
const load = (as: string, addr: string): string => step('load', `addr: ${addr}`, as);
const map = step('VFIO_IOMMU_MAP_DMA', 'container: $C, vaddr: $buf, iova: 0x100000, size: 1 page, flags: VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE', 'map');
const dmaWrite = (as: string, content: string): string => step('device_dma_write', `device: edu0, iova: 0x100000, content: ${content}`, as);
const dmaRead = (as: string): string => step('device_dma_read', 'device: edu0, iova: 0x100000', as);
const madvise = (as: string, addr: string, len: string, advice: string): string => step('madvise', `addr: ${addr}, length: ${len}, advice: ${advice}`, as);
const mremap = (as: string, args: string): string => step('mremap', args, as);

const MREMAP_C = 'mm/mremap.c';

const frame = (as: string, addr: string): string => step('observe', `frame: { process: P, addr: ${addr} }`, as);

/**
 * An anonymous THP case: a 2 MiB-aligned buffer (MAP_FIXED at 1 GiB) of `len`, no VFIO; the
 * declarations common to both kernels plus each kernel's own.
 */
function thpCase(name: string, question: string, refs: string[], st: string, d: Decl, d61: Decl, d612: Decl, len = '2M'): AddrspaceCase {
  const s = setup([`{ name: buf, addr: 0x40000000, length: ${len}, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }`], false);
  return { area: 'addrspace', name, question, refs, setup: s, steps: st, v61: { ...d, ...d61 }, v612: { ...d, ...d612 } };
}

/** The same declaration on both Debian kernels (the cases below found no difference). */
function both(name: string, question: string, refs: string[], s: string, st: string, d: Decl, more?: string): AddrspaceCase {
  return { area: 'addrspace', name, question, refs, setup: s, steps: st, v61: d, v612: d, ...(more ? { more61: more, more612: more } : {}) };
}

export function addrspaceCases(): AddrspaceCase[] {
  return [
    both('mremap-pinned-dma',
      "After VFIO maps a buffer and the process mremap()s it to another address, does the device's write show at the new address, and does a new mapping at the old address stay out of the device's reach?",
      [`${MREMAP_C} move_vma / move_page_tables`, 'drivers/vfio/vfio_iommu_type1.c vfio_dma_do_map'],
      setup([BUF, DST]),
      steps(store('st', '$buf', 'A'), map,
        mremap('mr', 'addr: $buf, old_len: 1 page, new_len: 1 page, flags: MREMAP_MAYMOVE|MREMAP_FIXED, new_addr: $dst'),
        dmaWrite('dw', 'C'), load('moved', '$dst'), load('old', '$buf'),
        step('mmap', `addr: $buf, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED`, 'again'),
        store('st2', '$buf', 'B'), dmaWrite('dw2', 'D'), load('fresh', '$buf'), load('moved2', '$dst')),
      { st: 0, map: 0, mr: '{ gt: 0 }', dw: 0, moved: 'C', old: '-EFAULT', again: '{ gt: 0 }', st2: 0, dw2: 0, fresh: 'B', moved2: 'D' }, INCOHERENT),
    both('mremap-dontunmap-pinned-dma',
      "After VFIO maps a buffer and the process moves it with MREMAP_DONTUNMAP, does the device write land at the new address while the old (DMA-mapped) address reads zeroes?",
      ['e346b3813067 "mm/mremap: add MREMAP_DONTUNMAP to mremap()"', `${MREMAP_C} move_vma`],
      setup([BUF, DST]),
      steps(store('st', '$buf', 'A'), map,
        mremap('mr', 'addr: $buf, old_len: 1 page, new_len: 1 page, flags: MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, new_addr: $dst'),
        dmaWrite('dw', 'C'), load('moved', '$dst'), load('old', '$buf')),
      { st: 0, map: 0, mr: '{ gt: 0 }', dw: 0, moved: 'C', old: "''" }, INCOHERENT),
    both('madv-free-pageout-pinned-dma',
      'When a VFIO-mapped page gets MADV_FREE and then MADV_PAGEOUT, does the process still see what the device writes (the pin keeps the lazy-free page mapped)?',
      ['6c8e2a256915 "mm: fix race between MADV_FREE reclaim and blkdev direct IO read"', 'mm/rmap.c try_to_unmap_one'],
      setup([BUF]),
      steps(store('st', '$buf', 'A'), map, madvise('free', '$buf', '1 page', 'MADV_FREE'), madvise('pageout', '$buf', '1 page', 'MADV_PAGEOUT'),
        dmaWrite('dw', 'C'), load('seen', '$buf')),
      { st: 0, map: 0, free: 0, pageout: 0, dw: 0, seen: 'C' }),
    both('madv-free-pageout-uring',
      'When an io_uring registered buffer page gets MADV_FREE and then MADV_PAGEOUT, does the process keep the page the buffer holds?',
      ['6c8e2a256915 "mm: fix race between MADV_FREE reclaim and blkdev direct IO read"', 'mm/rmap.c try_to_unmap_one', 'io_uring/rsrc.c io_sqe_buffer_register'],
      setup([BUF], false),
      steps(store('st', '$buf', 'A'), step('io_uring_setup', 'entries: 8', 'ring'), step('IORING_REGISTER_BUFFERS', 'ring: $ring, iovecs: [{ base: $buf, len: 1 page }]', 'reg'),
        step('observe', 'frame: { process: P, addr: $buf }', 'pinned'), madvise('free', '$buf', '1 page', 'MADV_FREE'), madvise('pageout', '$buf', '1 page', 'MADV_PAGEOUT'),
        load('seen', '$buf'), step('observe', 'frame: { process: P, addr: $buf }', 'after'), step('IORING_UNREGISTER_BUFFERS', 'ring: $ring', 'unreg')),
      { st: 0, reg: 0, free: 0, pageout: 0, seen: 'A', after: '$pinned', unreg: 0 }),
    both('madv-free-pageout-unpinned',
      'Does MADV_PAGEOUT drop a clean MADV_FREE page (the process then reads zeroes) and keep one stored to after MADV_FREE?',
      ['mm/madvise.c madvise_free_pte_range', 'mm/rmap.c try_to_unmap_one'],
      setup([`{ name: buf, length: 2 pages, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS, populate: true }`], false),
      steps(store('st', '$buf', 'A', '2 pages'), madvise('free', '$buf', '2 pages', 'MADV_FREE'), store('redirty', '$buf + 1 page', 'B', '1 page'),
        madvise('pageout', '$buf', '2 pages', 'MADV_PAGEOUT'), load('p0', '$buf'), load('p1', '$buf + 1 page')),
      { st: 0, free: 0, redirty: 0, pageout: 0, p0: "''", p1: 'B' }),
    both('madv-dontneed-pinned-dma',
      'After VFIO maps a buffer and the process drops it with MADV_DONTNEED, does the device still write the old page while the process reads a zero page?',
      ['mm/madvise.c madvise_dontneed_single_vma', 'drivers/vfio/vfio_iommu_type1.c (the pin keeps the frame)'],
      setup([BUF]),
      steps(store('st', '$buf', 'A'), map, madvise('dn', '$buf', '1 page', 'MADV_DONTNEED'), dmaWrite('dw', 'C'), load('seen', '$buf'), dmaRead('dev')),
      { st: 0, map: 0, dn: 0, dw: 0, seen: "''", dev: 'C' }, INCOHERENT),
    both('madv-remove-shmem-pinned-dma',
      'After VFIO maps a shared anonymous buffer and the process punches it out with MADV_REMOVE, does the process read a new zero page while the device keeps the old one; which mappings refuse MADV_REMOVE?',
      ['mm/madvise.c madvise_remove', 'mm/shmem.c shmem_fallocate', 'e8e17ee90eaf mm: drop the assumption that VM_SHARED always implies writable (in Debian 6.1.192 by backport)'],
      setup([`{ name: buf, length: 1 page, prot: ${RW}, flags: MAP_SHARED|MAP_ANONYMOUS, populate: true }`,
        `{ name: priv, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS }`,
        '{ name: ro, length: 1 page, prot: PROT_READ, flags: MAP_SHARED|MAP_ANONYMOUS }']),
      steps(store('st', '$buf', 'A'), map, madvise('rm_private', '$priv', '1 page', 'MADV_REMOVE'), madvise('rm_readonly', '$ro', '1 page', 'MADV_REMOVE'),
        madvise('rm', '$buf', '1 page', 'MADV_REMOVE'), dmaWrite('dw', 'C'), load('seen', '$buf'), dmaRead('dev')),
      { st: 0, map: 0, rm_private: '-EINVAL', rm_readonly: 0, rm: 0, dw: 0, seen: "''", dev: 'C' }, INCOHERENT),
    both('mprotect-after-pin-dma',
      "After VFIO pins a buffer writable and the process makes it read-only, can the device still write it, does a store fault, and after PROT_READ|PROT_WRITE does the process's store reach the device's page?",
      ['mm/mprotect.c change_protection', 'mm/memory.c do_wp_page'],
      setup([BUF]),
      steps(store('st', '$buf', 'A'), map, step('mprotect', 'addr: $buf, length: 1 page, prot: PROT_READ', 'ro'), store('st_ro', '$buf', 'B'),
        dmaWrite('dw', 'C'), load('seen', '$buf'), step('mprotect', `addr: $buf, length: 1 page, prot: ${RW}`, 'rw'), store('st_rw', '$buf', 'D'), dmaRead('dev')),
      { st: 0, map: 0, ro: 0, st_ro: '-EFAULT', dw: 0, seen: 'C', rw: 0, st_rw: 0, dev: 'D' }),
    both('mremap-errors',
      'Which errors does mremap() give for an unmapped range, an unaligned address, MREMAP_FIXED without MREMAP_MAYMOVE, MREMAP_DONTUNMAP with a size change, and growing a VMA whose next page is taken?',
      [`${MREMAP_C} sys_mremap, mremap_to, vma_to_resize`],
      setup([`{ name: gone, length: 2 pages, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS }`,
        `{ name: buf, addr: 0x40000000, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }`,
        '{ name: wall, addr: 0x40001000, length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }'], false),
      steps(step('munmap', 'addr: $gone, length: 2 pages', 'mu'),
        mremap('shrink_gone', 'addr: $gone, old_len: 2 pages, new_len: 1 page'),
        mremap('grow_gone', 'addr: $gone, old_len: 1 page, new_len: 2 pages, flags: MREMAP_MAYMOVE'),
        mremap('unaligned', 'addr: $buf + 1, old_len: 1 page, new_len: 1 page'),
        mremap('fixed_only', 'addr: $buf, old_len: 1 page, new_len: 1 page, flags: MREMAP_FIXED, new_addr: $gone'),
        mremap('dontunmap_resize', 'addr: $buf, old_len: 1 page, new_len: 2 pages, flags: MREMAP_MAYMOVE|MREMAP_DONTUNMAP'),
        mremap('grow_blocked', 'addr: $buf, old_len: 1 page, new_len: 2 pages'),
        mremap('past_end', 'addr: $buf, old_len: 2 pages, new_len: 1 page')),
      { mu: 0, shrink_gone: '-EFAULT', grow_gone: '-EFAULT', unaligned: '-EINVAL', fixed_only: '-EINVAL', dontunmap_resize: '-EINVAL', grow_blocked: '-ENOMEM', past_end: '0x40000000' }),
    both('mremap-locked-accounting',
      "How does mremap() of an mlock()ed buffer that VFIO also pins change locked_vm, growing in place and then moving, and does the device's write show at the moved address?",
      [`${MREMAP_C} sys_mremap, move_vma`, 'drivers/vfio/vfio_iommu_type1.c vfio_lock_acct'],
      setup([`{ name: buf, addr: 0x40000000, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_LOCKED }`,
        '{ name: wall, addr: 0x40003000, length: 1 page, prot: PROT_READ, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }']),
      steps(store('st', '$buf', 'A'), map, step('observe', 'locked_vm: P', 'lvm0'),
        mremap('grow', 'addr: $buf, old_len: 1 page, new_len: 3 pages'), step('observe', 'locked_vm: P', 'lvm1'),
        mremap('grow_blocked', 'addr: $buf, old_len: 3 pages, new_len: 4 pages'),
        mremap('moved', 'addr: $buf, old_len: 3 pages, new_len: 4 pages, flags: MREMAP_MAYMOVE'), step('observe', 'locked_vm: P', 'lvm2'),
        dmaWrite('dw', 'C'), load('seen', '$moved')),
      { st: 0, map: 0, lvm0: 2, grow: '0x40000000', lvm1: 4, grow_blocked: '-ENOMEM', moved: '{ gt: 0 }', lvm2: 5, dw: 0, seen: 'C' }),
    both('mremap-dontunmap-locked',
      'What happens to locked_vm when the middle page of an mlock()ed VMA is moved with MREMAP_DONTUNMAP, and when each piece is unmapped afterwards?',
      [`${MREMAP_C} move_vma (the mlocked VMA is split first; the old piece loses VM_LOCKED, locked_vm is left as it was)`],
      setup([`{ name: buf, addr: 0x40000000, length: 3 pages, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED|MAP_LOCKED }`,
        `{ name: dst, addr: 0x50000000, length: 1 page, prot: ${RW}, flags: MAP_PRIVATE|MAP_ANONYMOUS|MAP_FIXED }`], false),
      steps(store('st', '$buf', 'A', '3 pages'), step('observe', 'locked_vm: P', 'lvm0'),
        mremap('mr', 'addr: $buf + 1 page, old_len: 1 page, new_len: 1 page, flags: MREMAP_MAYMOVE|MREMAP_FIXED|MREMAP_DONTUNMAP, new_addr: $dst'),
        step('observe', 'locked_vm: P', 'lvm1'), load('moved', '$dst'), load('old', '$buf + 1 page'),
        step('munmap', 'addr: $dst, length: 1 page', 'mu_new'), step('observe', 'locked_vm: P', 'lvm2'),
        step('munmap', 'addr: $buf + 1 page, length: 1 page', 'mu_old'), step('observe', 'locked_vm: P', 'lvm3'),
        step('munmap', 'addr: $buf, length: 3 pages', 'mu_all'), step('observe', 'locked_vm: P', 'lvm4')),
      { st: 0, lvm0: 3, mr: '0x50000000', lvm1: 3, moved: 'A', old: "''", mu_new: 0, lvm2: 2, mu_old: 0, lvm3: 2, mu_all: 0, lvm4: 0 }),
    thpCase('madv-thp-cold-pageout',
      'What do MADV_COLD and MADV_PAGEOUT (no swap) do to a whole anonymous THP: do its frames and data stay, and what does 6.12 map where it held zero-filled pages?',
      ['mm/madvise.c madvise_cold_or_pageout_pte_range (huge PMD branch)', 'mm/vmscan.c shrink_folio_list (add_to_swap fails: split_folio_to_list)',
        'b1f202060afe "mm: remap unused subpages to shared zeropage when splitting isolated thp"'],
      steps(madvise('hp', '$buf', '2M', 'MADV_HUGEPAGE'), store('s0', '$buf', 'A', '16'), store('s1', '$buf + 1 page', 'B', '16'),
        frame('f0', '$buf'), frame('f2', '$buf + 2 pages'), madvise('cold', '$buf', '2M', 'MADV_COLD'), frame('c2', '$buf + 2 pages'),
        madvise('po', '$buf', '2M', 'MADV_PAGEOUT'), frame('g0', '$buf'), frame('g2', '$buf + 2 pages'), load('l0', '$buf'), load('l1', '$buf + 1 page')),
      { hp: 0, s0: 0, s1: 0, f2: '{ ne: null }', cold: 0, c2: '$f2', po: 0, g0: '$f0', l0: 'A', l1: 'B' },
      { g2: '$f2' }, { g2: '{ ne: $f2 }' }),
    thpCase('madv-thp-free-pageout',
      'MADV_FREE then MADV_PAGEOUT of the first page of one anonymous THP (split, only that page dropped) and of the whole of another (freed whole): what does the process read, and where do the untouched pages of the split THP end up?',
      ['mm/huge_memory.c madvise_free_huge_pmd (a part: split_huge_page)', 'mm/vmscan.c shrink_folio_list (TTU_SPLIT_HUGE_PMD), mm/rmap.c try_to_unmap_one',
        'b1f202060afe "mm: remap unused subpages to shared zeropage when splitting isolated thp"'],
      steps(madvise('hp', '$buf', '4M', 'MADV_HUGEPAGE'), store('s0', '$buf', 'A', '16'), store('s1', '$buf + 1 page', 'A1', '16'), store('s2', '$buf + 2M', 'B', '16'),
        frame('f2', '$buf + 2 pages'), madvise('free', '$buf', '1 page', 'MADV_FREE'), madvise('po', '$buf', '1 page', 'MADV_PAGEOUT'),
        madvise('free_b', '$buf + 2M', '2M', 'MADV_FREE'), madvise('po_b', '$buf + 2M', '2M', 'MADV_PAGEOUT'),
        load('a0', '$buf'), load('a1', '$buf + 1 page'), frame('g2', '$buf + 2 pages'), load('b0', '$buf + 2M')),
      { hp: 0, s0: 0, s1: 0, s2: 0, f2: '{ ne: null }', free: 0, po: 0, free_b: 0, po_b: 0, a0: "''", a1: 'A1', b0: "''" },
      { g2: '$f2' }, { g2: '{ ne: $f2 }' }, '4M'),
    thpCase('madv-thp-shared-cold-pageout',
      'MADV_COLD and MADV_PAGEOUT (no swap) of a whole anonymous THP a fork child maps too: left alone (not split: the zero-filled page 2 keeps its frame on 6.12), data kept in both?',
      ['mm/madvise.c madvise_cold_or_pageout_pte_range (huge PMD branch: page_mapcount != 1 → skipped)', '12e967fd8e4e "mm: do not allow MADV_PAGEOUT for CoW pages"'],
      steps(madvise('hp', '$buf', '2M', 'MADV_HUGEPAGE'), store('s0', '$buf', 'A', '16'), store('s1', '$buf + 1 page', 'B', '16'), step('fork', 'child: Q', 'ch'),
        frame('f1', '$buf + 1 page'), frame('f2', '$buf + 2 pages'), madvise('cold', '$buf', '2M', 'MADV_COLD'), madvise('po', '$buf', '2M', 'MADV_PAGEOUT'),
        frame('g1', '$buf + 1 page'), frame('g2', '$buf + 2 pages'), step('observe', 'frame: { process: Q, addr: $buf + 2 pages }', 'q2'),
        load('l0', '$buf'), load('l1', '$buf + 1 page'), step('observe', 'content: { process: Q, addr: $buf + 1 page }', 'q1data')),
      { hp: 0, s0: 0, s1: 0, ch: '{ gt: 0 }', f2: '{ ne: null }', cold: 0, po: 0, g1: '$f1', g2: '$f2', q2: '$f2', l0: 'A', l1: 'B', q1data: 'B' },
      {}, {}),
    thpCase('madv-pte-thp-free-pageout',
      'MADV_FREE then MADV_PAGEOUT over three THPs whose PMD a MADV_DONTNEED of one page split into PTEs, a small page taking that page\'s place: the last page of a, the first page of b, the last page of c, whose page 1 a pipe references (vmsplice). Which pages does the process still read afterwards?',
      ['mm/madvise.c madvise_free_pte_range, madvise_cold_or_pageout_pte_range (the large-folio branch of the PTE loop)',
        '0e0e9bd5f7b9 "madvise:madvise_free_pte_range(): don\'t use mapcount() against large folio for sharing check" (in Debian 6.1.192)',
        'mm/huge_memory.c split_huge_page_to_list (a reference beyond the mappings: the split fails)'],
      steps(madvise('hp', '$buf', '6M', 'MADV_HUGEPAGE'), store('sa0', '$buf', 'A', '16'), store('sa1', '$buf + 1 page', 'A1', '16'),
        store('sb0', '$buf + 2M', 'B', '16'), store('sb1', '$buf + 2M + 1 page', 'B1', '16'), store('sc0', '$buf + 4M', 'C', '16'),
        store('sc1', '$buf + 4M + 1 page', 'C1', '16'),
        madvise('dn_a', '$buf + 511 pages', '1 page', 'MADV_DONTNEED'), store('sz', '$buf + 511 pages', 'Z', '16'),
        madvise('dn_b', '$buf + 2M', '1 page', 'MADV_DONTNEED'), store('sy', '$buf + 2M', 'Y', '16'),
        madvise('dn_c', '$buf + 4M + 511 pages', '1 page', 'MADV_DONTNEED'), store('sx', '$buf + 4M + 511 pages', 'X', '16'),
        step('pipe2', 'flags: 0', 'p'), step('vmsplice', 'fd: $p.wfd, iovecs: [{ base: $buf + 4M + 1 page, len: 16 }]', 'vs'),
        madvise('free', '$buf', '6M', 'MADV_FREE'), madvise('po', '$buf', '6M', 'MADV_PAGEOUT'),
        load('a0', '$buf'), load('az', '$buf + 511 pages'), load('b0', '$buf + 2M'), load('b1', '$buf + 2M + 1 page'),
        load('c0', '$buf + 4M'), load('c1', '$buf + 4M + 1 page'), load('cz', '$buf + 4M + 511 pages')),
      { hp: 0, sa0: 0, sa1: 0, sb0: 0, sb1: 0, sc0: 0, sc1: 0, dn_a: 0, sz: 0, dn_b: 0, sy: 0, dn_c: 0, sx: 0, p: 0, vs: 16, free: 0, po: 0,
        a0: "''", az: "''", b0: "''", c0: 'C', c1: 'C1' },
      { b1: 'B1', cz: 'X' }, { b1: "''", cz: "''" }, '6M'),
    thpCase('madv-pte-thp-cold-pageout',
      'MADV_COLD over a THP whose first page MADV_DONTNEED unmapped (d), MADV_PAGEOUT over one whose last page went (e): is each PTE-mapped folio split, so that 6.12 maps its zero-filled pages to the shared zero page?',
      ['mm/madvise.c madvise_cold_or_pageout_pte_range (the large-folio branch of the PTE loop)',
        'b1f202060afe "mm: remap unused subpages to shared zeropage when splitting isolated thp"'],
      steps(madvise('hp', '$buf', '4M', 'MADV_HUGEPAGE'), store('sd', '$buf + 1 page', 'D1', '16'), store('se', '$buf + 2M + 1 page', 'E1', '16'),
        madvise('dn_d', '$buf', '1 page', 'MADV_DONTNEED'), madvise('dn_e', '$buf + 2M + 511 pages', '1 page', 'MADV_DONTNEED'),
        frame('fd', '$buf + 2 pages'), frame('fe', '$buf + 2M + 2 pages'),
        madvise('cold', '$buf', '2M', 'MADV_COLD'), madvise('po', '$buf + 2M', '2M', 'MADV_PAGEOUT'),
        frame('gd', '$buf + 2 pages'), frame('ge', '$buf + 2M + 2 pages'), load('d1', '$buf + 1 page'), load('e1', '$buf + 2M + 1 page')),
      { hp: 0, sd: 0, se: 0, dn_d: 0, dn_e: 0, fd: '{ ne: null }', fe: '{ ne: null }', cold: 0, po: 0, d1: 'D1', e1: 'E1' },
      { gd: '$fd', ge: '$fe' }, { gd: '{ ne: $fd }', ge: '{ ne: $fe }' }, '4M'),
    both('madv-wipeonfork-errors',
      'Which VMAs accept MADV_WIPEONFORK and MADV_KEEPONFORK, and does a VFIO-mapped private buffer marked WIPEONFORK keep its page (and the device\'s writes) in the parent across fork?',
      ['mm/madvise.c madvise_behavior (MADV_WIPEONFORK)', 'kernel/fork.c dup_mmap'],
      setup([BUF, `{ name: shm, length: 1 page, prot: ${RW}, flags: MAP_SHARED|MAP_ANONYMOUS }`]),
      steps(store('st', '$buf', 'A'), map, madvise('wipe_shared', '$shm', '1 page', 'MADV_WIPEONFORK'), madvise('keep_shared', '$shm', '1 page', 'MADV_KEEPONFORK'),
        madvise('wipe', '$buf', '1 page', 'MADV_WIPEONFORK'), step('fork', 'child: Q', 'f'), store('st2', '$buf', 'B'), dmaWrite('dw', 'C'), load('parent', '$buf')),
      { st: 0, map: 0, wipe_shared: '-EINVAL', keep_shared: 0, wipe: 0, f: '{ gt: 0 }', st2: 0, dw: 0, parent: 'C' }),
  ];
}
