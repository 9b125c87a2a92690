/**
 * What the checker reads of VFIO type1 and the IOMMU, straight from the Machine (no
 * scenario needed): the containers, the pages each DMA mapping pins and maps, and the
 * frame the owning process maps at the same address.
 *
 * Two granularities:
 * - per page (`vfioLongtermPins`, `vfioDmaMappings`): one record per 4 KiB page, the
 *   reference the incremental checker is tested against (check/engine.ts);
 * - per segment (`forEachDmaSegment`): a run of pages inside one IOMMU leaf, one folio
 *   and one process page-table leaf, where both translations are linear, so one record
 *   answers for the whole run (a 1 GiB page is one segment, not 262,144 pages).
 */
import type { Machine } from '../linux/machine.js';
import type { vfio_dma, vfio_iommu } from '../linux/drivers/vfio/vfio_iommu_type1.js';
import type { iommu_domain } from '../linux/drivers/iommu/iommu.js';
import { iommu_iova_to_phys, iommu_lookup_leaf, iommu_pte_entries, iommu_unmapped_bytes } from '../linux/drivers/iommu/iommu.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, pte_pfn, pte_present } from '../linux/include/linux/mm_types.js';
import { PageReserved, pfn_valid, pt_walk, pte_at } from '../linux/include/linux/mm.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import type { DmaMapping, HeldPin, LongtermPin } from './invariants.js';

/** Every type1 container of the machine (each vfio_iommu once, in group order). */
export function allIommus(m: Machine): vfio_iommu[] {
  const out: vfio_iommu[] = [];
  const sub = m.vfio;
  if (sub === null) return out;
  for (const g of sub.groups.values()) {
    const d = g.container?.iommu_data ?? null;
    if (d !== null && !out.includes(d)) out.push(d);
  }
  return out;
}

/** drivers/vfio/vfio_iommu_type1.c is_invalid_reserved_pfn(): no struct page, or PG_reserved. */
export function isInvalidReservedPfn(m: Machine, pfn: number): boolean {
  return pfn_valid(m, pfn) ? PageReserved(m, pfn) : true;
}

/** The frame a process maps at `addr` now (a subpage of a huge leaf included), or null. */
export function frameAt(mm: mm_struct, addr: number): number | null {
  const { entry: e, level } = pt_walk(mm, addr);
  if (e === 0 || !pte_present(e)) return null;
  const base = pte_pfn(e);
  const off = level === 'pmd' ? Math.floor((addr % (512 * PAGE_SIZE)) / PAGE_SIZE) : level === 'pud' ? Math.floor((addr % (512 * 512 * PAGE_SIZE)) / PAGE_SIZE) : 0;
  return base + off;
}

/** Pages mapped in the IOMMU domains the checker reads (each container's first domain). */
export function dmaMappedPages(m: Machine): number {
  let n = 0;
  for (const io of allIommus(m)) n += firstDomain(io)?.mapped_pages ?? 0;
  return n;
}

/** The domain a container's mappings are read from (the first one, as the kernel's replay does). */
export function firstDomain(io: vfio_iommu): iommu_domain | null {
  return io.domain_list[0]?.domain ?? null;
}

/** Pages of a DMA mapping (its size so far). */
export function dmaPages(dma: vfio_dma): number {
  return Number(dma.size / BigInt(PAGE_SIZE));
}

/** The process side of a DMA mapping: the mm to read, or null (exited, no mm, vaddr invalidated). */
export function dmaProcessMm(dma: vfio_dma): mm_struct | null {
  const t: task_struct = dma.task;
  return t.exited || t.mm === null || dma.vaddr_invalid ? null : t.mm;
}

// ---- per page (the reference) -------------------------------------------------------------

/** Long-term pins VFIO holds now, one per page: pages mapped for DMA (not reserved) and mdev external pins. */
export function vfioLongtermPins(m: Machine, includeReserved = false): LongtermPin[] {
  const out: LongtermPin[] = [];
  for (const io of allIommus(m)) {
    const dom = firstDomain(io);
    for (const dma of io.dma_list) {
      if (dom !== null && dma.iommu_mapped) {
        const n = dmaPages(dma);
        for (let i = 0; i < n; i++) {
          const iova = Number(dma.iova) + i * PAGE_SIZE;
          const phys = iommu_iova_to_phys(dom, iova);
          if (phys === 0) continue;
          const pfn = Math.floor(phys / PAGE_SIZE);
          if (!includeReserved && isInvalidReservedPfn(m, pfn)) continue;
          out.push({ pfn, holder: vfioHolder(io, iova), thread: null });
        }
      }
      out.push(...mdevPins(m, io, dma, includeReserved));
    }
  }
  return out;
}

/** The mdev (vfio_pin_pages) pins of one DMA mapping, in pfn_list order. */
export function mdevPins(m: Machine, io: vfio_iommu, dma: vfio_dma, includeReserved: boolean): LongtermPin[] {
  const out: LongtermPin[] = [];
  for (const p of dma.pfn_list.values()) {
    if (!includeReserved && isInvalidReservedPfn(m, p.pfn)) continue;
    out.push({ pfn: p.pfn, holder: `mdev pin of iova 0x${(Number(dma.iova) + p.off * PAGE_SIZE).toString(16)} (vfio_iommu#${io.id})`, thread: null });
  }
  return out;
}

export function vfioHolder(io: vfio_iommu, iova: number): string {
  return `VFIO dma iova 0x${iova.toString(16)} (vfio_iommu#${io.id})`;
}

export function dmaWhere(dma: vfio_dma, iova: number, vaddr: number): string {
  return `VFIO dma iova 0x${iova.toString(16)} (vaddr 0x${vaddr.toString(16)}, pid ${dma.task.pid})`;
}

/** IOMMU mappings, one per page, with the frame the process maps at the same vaddr now. */
export function vfioDmaMappings(m: Machine): DmaMapping[] {
  const out: DmaMapping[] = [];
  for (const io of allIommus(m)) {
    const dom = firstDomain(io);
    if (dom === null) continue;
    for (const dma of io.dma_list) {
      if (!dma.iommu_mapped) continue;
      const n = dmaPages(dma);
      const mm = dmaProcessMm(dma);
      for (let i = 0; i < n; i++) {
        const iova = Number(dma.iova) + i * PAGE_SIZE;
        const phys = iommu_iova_to_phys(dom, iova);
        if (phys === 0) continue;
        const pfn = Math.floor(phys / PAGE_SIZE);
        const vaddr = Number(dma.vaddr) + i * PAGE_SIZE;
        out.push({ where: dmaWhere(dma, iova, vaddr), iommuPfn: pfn, processPfn: mm === null ? null : frameAt(mm, vaddr), pinned: true });
      }
    }
  }
  return out;
}

// ---- per segment ------------------------------------------------------------------------

/** A run of `n` pages of a DMA mapping from page index `i`, linear on both sides. */
export interface DmaSegment {
  /** First page index in the mapping. */
  readonly i: number;
  readonly n: number;
  readonly iova: number;
  readonly vaddr: number;
  /** The frame the IOMMU maps at `iova` (pfn + k at iova + k pages). */
  readonly pfn: number;
  /** The frame the process maps at `vaddr` (+ k likewise), or null where it maps nothing or has no mm. */
  readonly processPfn: number | null;
}

const PAGES_PER_PMD = PMD_SIZE / PAGE_SIZE;
const PAGES_PER_PUD = PUD_SIZE / PAGE_SIZE;

/**
 * Visit the IOMMU-mapped pages of `dma` in [lo, hi) (page indices) as segments, in
 * page order. Unmapped pages are skipped. A segment never crosses an IOMMU leaf, a
 * folio (pfn_valid frames) or memory region (others), nor (`withProcess`) a process
 * page-table leaf; without `withProcess`, `processPfn` is null.
 */
export function forEachDmaSegment(m: Machine, dom: iommu_domain, dma: vfio_dma, lo: number, hi: number, visit: (s: DmaSegment) => void, withProcess = true): void {
  const iova0 = Number(dma.iova);
  const vaddr0 = Number(dma.vaddr);
  const mm = withProcess ? dmaProcessMm(dma) : null;
  const mem = m.mem;
  let i = lo;
  // PERF: the 4 KiB IOMMU table of the last 2 MiB block looked up, read without a lookup per page.
  let block = -1;
  let table: Float64Array | null = null;
  while (i < hi) {
    const iova = iova0 + i * PAGE_SIZE;
    let pfn: number;
    let n: number;
    const b = Math.floor(iova / PMD_SIZE);
    if (b === block && table !== null) {
      const e = table[Math.floor(iova / PAGE_SIZE) - b * PAGES_PER_PMD];
      if (e === 0) {
        i++;
        continue;
      }
      pfn = Math.floor(e / 8);
      n = 1;
    } else {
      const leaf = iommu_lookup_leaf(dom, iova);
      if (leaf === null) {
        // PERF: past the whole unmapped table at once (a mapping being unmapped).
        i += Math.max(1, Math.floor(iommu_unmapped_bytes(dom, iova) / PAGE_SIZE));
        continue;
      }
      pfn = Math.floor(leaf.e / 8) + (iova - leaf.base) / PAGE_SIZE;
      n = Math.min(hi - i, (leaf.base + leaf.size - iova) / PAGE_SIZE);
      if (leaf.size === PAGE_SIZE) {
        block = b;
        table = iommu_pte_entries(dom, iova);
      }
    }
    if (n > 1) {
      const s = mem.peek_slot(pfn);
      if (s !== 0) n = Math.min(n, mem.s_pfn[s] + 2 ** mem.s_order[s] - pfn);
      else {
        const r = mem.region_of(pfn);
        n = r === null || r.kind === 'ram' ? 1 : Math.min(n, r.end_pfn - pfn);
      }
    }
    const vaddr = vaddr0 + i * PAGE_SIZE;
    let processPfn: number | null = null;
    if (mm !== null) {
      // A PTE (the common case) without building a walk result; huge leaves through pt_walk.
      const pte = pte_at(mm, vaddr);
      if (pte !== 0) {
        n = 1;
        if (pte_present(pte)) processPfn = pte_pfn(pte);
      } else {
        const { entry: e, level } = pt_walk(mm, vaddr);
        const vp = vaddr / PAGE_SIZE;
        if (level === 'pud') n = Math.min(n, PAGES_PER_PUD - (vp % PAGES_PER_PUD));
        else if (level === 'pmd') n = Math.min(n, PAGES_PER_PMD - (vp % PAGES_PER_PMD));
        else n = 1;
        // frameAt(mm, vaddr), from the entry just read.
        if (e !== 0 && pte_present(e)) processPfn = pte_pfn(e) + (level === 'pmd' ? vp % PAGES_PER_PMD : level === 'pud' ? vp % PAGES_PER_PUD : 0);
      }
    }
    visit({ i, n, iova, vaddr, pfn, processPfn });
    i += n;
  }
}

/** Pins and references VFIO holds now, one record per segment (`nr` pages) and per mdev pin. */
export function vfioHeldPins(m: Machine): HeldPin[] {
  const out: HeldPin[] = [];
  forEachVfioHeld(m, (pfn, nr, holder) => out.push(nr === null ? { pfn, holder: holder(), kind: 'pin' } : { pfn, holder: holder(), kind: 'pin', nr }));
  return out;
}

/**
 * The pins vfioHeldPins lists, in its order, each as (first pfn, pages or null for an mdev
 * pin's one, its holder's name on demand): PERF, a 16 GiB guest on 4 KiB pages is 4 million
 * runs, and pin-balance-at-exit needs none of their names.
 */
export function forEachVfioHeld(m: Machine, visit: (pfn: number, nr: number | null, holder: () => string) => void): void {
  for (const io of allIommus(m)) {
    const dom = firstDomain(io);
    for (const dma of io.dma_list) {
      if (dom !== null && dma.iommu_mapped) {
        forEachDmaSegment(m, dom, dma, 0, dmaPages(dma), (s) => {
          const iova = s.iova;
          visit(s.pfn, s.n, () => vfioHolder(io, iova));
        }, false);
      }
      for (const p of mdevPins(m, io, dma, true)) visit(p.pfn, null, () => p.holder);
    }
  }
}

/** Pages charged to an mm's locked_vm by VFIO mappings (non-reserved pinned pages). */
export function vfioLockedPages(m: Machine, mmId: number): number {
  let n = 0;
  for (const io of allIommus(m)) {
    const dom = firstDomain(io);
    for (const dma of io.dma_list) {
      const mm = dma.mm ?? dma.task.mm;
      if (mm === null || mm.id !== mmId) continue;
      if (dom !== null && dma.iommu_mapped) {
        forEachDmaSegment(m, dom, dma, 0, dmaPages(dma), (s) => {
          if (!isInvalidReservedPfn(m, s.pfn)) n += s.n;
        }, false);
      } else {
        for (const p of dma.pfn_list.values()) if (!isInvalidReservedPfn(m, p.pfn)) n++;
      }
    }
  }
  return n;
}
