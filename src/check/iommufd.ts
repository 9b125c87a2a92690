/**
 * What the checker reads of iommufd, straight from the Machine (no scenario needed): the
 * pages each iopt_pages holds pinned (through a filled area's storage domain or an access's
 * pinned_pfns), every IOMMU mapping of every area in every domain of an IOAS with the frame
 * the source process maps at the same address, and the pages charged to an mm's locked_vm.
 *
 * One record per 4 KiB page (no segments as check/vfio.ts has): the full rescan's reference;
 * the incremental checker keeps the same findings per area and page (check/iommufd-engine.ts).
 */
import type { Machine } from '../linux/machine.js';
import { iommu_iova_to_phys } from '../linux/drivers/iommu/iommu.js';
import type { iopt_pages } from '../linux/drivers/iommu/iommufd/iommufd_private.js';
import { iopt_area_index_to_iova } from '../linux/drivers/iommu/iommufd/pages.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import type { DmaMapping, LongtermPin } from './invariants.js';
import { frameAt } from './vfio.js';

/** Whether the machine has any iommufd context (the readers below return nothing otherwise). */
export function usesIommufd(m: Machine): boolean {
  return (m.iommufd?.ctxs.length ?? 0) > 0;
}

/** Every iopt_pages of the machine's iommufd contexts, each once, with the areas that use it. */
function allPages(m: Machine): iopt_pages[] {
  const out: iopt_pages[] = [];
  for (const ictx of m.iommufd?.ctxs ?? []) {
    for (const o of ictx.objects.values()) {
      if (o.obj.type !== 'IOMMUFD_OBJ_IOAS' || !('iopt' in o)) continue;
      for (const a of o.iopt.areas) if (a.pages !== null && !out.includes(a.pages)) out.push(a.pages);
    }
  }
  return out;
}

/** A pinned page index: its text is built only when a report needs it (16 GiB runs list millions). */
export class IndexPin implements LongtermPin {
  readonly thread = null;
  constructor(readonly pfn: number, private readonly pagesId: number, private readonly index: number, private readonly iova: number | null) {}
  get holder(): string {
    return this.iova === null
      ? `iommufd access pin (iopt_pages#${this.pagesId} index ${this.index})`
      : `iommufd area iova 0x${this.iova.toString(16)} (iopt_pages#${this.pagesId})`;
  }
}

/** The pfn each pinned index of an iopt_pages holds (from the access xarray, else a filled area's domain). */
export function pinnedIndexes(p: iopt_pages): Map<number, IndexPin> {
  const out = new Map<number, IndexPin>();
  for (const [i, pfn] of p.pinned_pfns) out.set(i, new IndexPin(pfn, p.id, i, null));
  for (const area of p.domain_areas) {
    const dom = area.storage_domain;
    if (dom === null) continue;
    for (let i = area.first_index; i <= area.last_index; i++) {
      if (out.has(i)) continue;
      const iova = iopt_area_index_to_iova(area, i);
      const phys = iommu_iova_to_phys(dom, iova - (iova % PAGE_SIZE));
      if (phys === 0) continue;
      out.set(i, new IndexPin(Math.floor(phys / PAGE_SIZE), p.id, i, iova));
    }
  }
  return out;
}

/**
 * The pfns of iommufdLongtermPins, in its order, without an object per page (PERF: what
 * pin-balance-at-exit counts, over a guest's millions of 4 KiB pages).
 */
export function forEachIommufdPinned(m: Machine, visit: (pfn: number) => void): void {
  for (const p of allPages(m)) {
    for (const pfn of p.pinned_pfns.values()) visit(pfn);
    // An index once: an access pin first, then the first area whose domain holds it (areas of one pages may share indexes).
    let seen: Uint8Array | null = null;
    if (p.domain_areas.length > 1) {
      let top = 0;
      for (const a of p.domain_areas) top = Math.max(top, a.last_index + 1);
      seen = new Uint8Array(top);
    }
    for (const area of p.domain_areas) {
      const dom = area.storage_domain;
      if (dom === null) continue;
      for (let i = area.first_index; i <= area.last_index; i++) {
        if (seen !== null && seen[i] === 1) continue;
        if (p.pinned_pfns.has(i)) continue;
        const iova = iopt_area_index_to_iova(area, i);
        const phys = iommu_iova_to_phys(dom, iova - (iova % PAGE_SIZE));
        if (phys === 0) continue;
        if (seen !== null) seen[i] = 1;
        visit(Math.floor(phys / PAGE_SIZE));
      }
    }
  }
}

/** Long-term pins iommufd holds now: each pinned page index once, however many domains map it. */
export function iommufdLongtermPins(m: Machine): LongtermPin[] {
  const out: LongtermPin[] = [];
  for (const p of allPages(m)) for (const v of pinnedIndexes(p).values()) out.push(v);
  return out;
}

/** One IOMMU mapping of a page; its text is built only when a report needs it. */
export class IommufdMapping implements DmaMapping {
  readonly pinned = true;
  constructor(
    readonly iommuPfn: number, readonly processPfn: number | null,
    private readonly ioas: number, private readonly dom: number, private readonly iova: number, private readonly vaddr: number, private readonly pid: number,
  ) {}
  get where(): string {
    return `iommufd IOAS#${this.ioas} domain#${this.dom} iova 0x${this.iova.toString(16)} (vaddr 0x${this.vaddr.toString(16)}, pid ${this.pid})`;
  }
}

/** Every IOMMU mapping of every area in every domain, with the frame the process maps at that vaddr now. */
export function iommufdDmaMappings(m: Machine): DmaMapping[] {
  const out: DmaMapping[] = [];
  for (const ictx of m.iommufd?.ctxs ?? []) {
    for (const o of ictx.objects.values()) {
      if (o.obj.type !== 'IOMMUFD_OBJ_IOAS' || !('iopt' in o)) continue;
      for (const area of o.iopt.areas) {
        const p = area.pages;
        if (p === null || area.storage_domain === null) continue;
        const t = p.source_task;
        // A file mapping (IOMMU_IOAS_MAP_FILE) has no process side: nothing to be coherent with.
        const live = !t.exited && t.mm === p.source_mm && p.file === null;
        for (const dom of o.iopt.domains) {
          for (let i = area.first_index; i <= area.last_index; i++) {
            const iova = iopt_area_index_to_iova(area, i);
            const phys = iommu_iova_to_phys(dom, iova - (iova % PAGE_SIZE));
            if (phys === 0) continue;
            const vaddr = p.uptr + i * PAGE_SIZE;
            out.push(new IommufdMapping(Math.floor(phys / PAGE_SIZE), live && t.mm !== null ? frameAt(t.mm, vaddr) : null, o.obj.id, dom.id, iova, vaddr, t.pid));
          }
        }
      }
    }
  }
  return out;
}

/** Pages iommufd charged to an mm's locked_vm (IOPT_PAGES_ACCOUNT_MM pages). */
export function iommufdLockedPages(m: Machine, mmId: number): number {
  let n = 0;
  for (const p of allPages(m)) if (p.account_mode === 'IOPT_PAGES_ACCOUNT_MM' && p.source_mm.id === mmId) n += p.last_npinned;
  return n;
}
