/**
 * The pages of a DMA mapping as the IOMMU view and the VFIO holder list read them:
 * for each page, the frame the IOMMU domain maps at its iova and the frame the process
 * maps at its vaddr. Reads the domain's and the page table's levels directly, keeping
 * the table of the last 1 GiB / 2 MiB block at hand, so a 16 GiB mapping (4 million
 * pages) costs array reads, not a lookup from the top per page. Equal, page for page,
 * to iommu_iova_to_phys() and check/vfio.ts frameAt().
 */
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, pte_pfn, pte_present } from '../linux/include/linux/mm_types.js';
import type { pmd_t, pte_table, pud_t } from '../linux/include/linux/mm_types.js';

/** The IOMMU domain levels (drivers/iommu/iommu.ts: 1 GiB leaf or table of 2 MiB entries: leaf or 512 4 KiB leaves). */
export interface IoLevels {
  readonly pud: ReadonlyMap<number, number | { readonly e: readonly (number | { readonly e: Float64Array } | undefined)[] }>;
}

/** A process page table's levels (mm_types.ts page_table). */
export interface PtLevels {
  readonly pud: ReadonlyMap<number, pud_t>;
  readonly pmd: ReadonlyMap<number, pmd_t | pte_table>;
}

const PAGES_2M = PMD_SIZE / PAGE_SIZE;
const PAGES_1G = PUD_SIZE / PAGE_SIZE;

/**
 * Visit pages [0, n) of a mapping at iova0 (vaddr0 on the process side) that the domain
 * maps: visit(i, pfn, processPfn) in page order; processPfn is null where the process maps
 * nothing present (or `pt` is null).
 */
export function walkDmaPages(dom: IoLevels, iova0: number, vaddr0: number, n: number, pt: PtLevels | null, visit: (i: number, pfn: number, processPfn: number | null) => void): void {
  const processFrame = pt === null ? (): null => null : processFrames(pt);
  let i = 0;
  while (i < n) {
    const iova = iova0 + i * PAGE_SIZE;
    const g = Math.floor(iova / PUD_SIZE);
    const pud = dom.pud.get(g);
    const gEnd = Math.min(n, i + (PAGES_1G - ((iova / PAGE_SIZE) % PAGES_1G)));
    if (pud === undefined) {
      i = gEnd;
      continue;
    }
    if (typeof pud === 'number') {
      const base = Math.floor(pud / 8) + ((iova - g * PUD_SIZE) / PAGE_SIZE);
      for (let j = i; j < gEnd; j++) visit(j, base + (j - i), processFrame(vaddr0 + j * PAGE_SIZE));
      i = gEnd;
      continue;
    }
    const mi = Math.floor(iova / PMD_SIZE) % 512;
    const pmd = pud.e[mi];
    const mEnd = Math.min(n, i + (PAGES_2M - ((iova / PAGE_SIZE) % PAGES_2M)));
    if (pmd === undefined) {
      i = mEnd;
      continue;
    }
    if (typeof pmd === 'number') {
      const base = Math.floor(pmd / 8) + ((iova - Math.floor(iova / PMD_SIZE) * PMD_SIZE) / PAGE_SIZE);
      for (let j = i; j < mEnd; j++) visit(j, base + (j - i), processFrame(vaddr0 + j * PAGE_SIZE));
      i = mEnd;
      continue;
    }
    const e = pmd.e;
    let pi = Math.floor(iova / PAGE_SIZE) % 512;
    for (let j = i; j < mEnd; j++, pi++) {
      const x = e[pi];
      if (x !== 0) visit(j, Math.floor(x / 8), processFrame(vaddr0 + j * PAGE_SIZE));
    }
    i = mEnd;
  }
}

/** The frame the process maps at addr (check/vfio.ts frameAt), or null; keeps the entries of the last 2 MiB block read. */
function processFrames(pt: PtLevels): (addr: number, pt?: null) => number | null {
  let lastKey = -1;
  let pud: pud_t | undefined;
  let pmd: pmd_t | pte_table | undefined;
  return (addr) => {
    const key = Math.floor(addr / PMD_SIZE);
    if (key !== lastKey) {
      lastKey = key;
      pud = pt.pud.get(Math.floor(addr / PUD_SIZE));
      pmd = pud === undefined ? pt.pmd.get(key) : undefined;
    }
    if (pud !== undefined) return pud === 0 || !pte_present(pud) ? null : pte_pfn(pud) + Math.floor((addr % PUD_SIZE) / PAGE_SIZE);
    if (pmd === undefined) return null;
    if (typeof pmd === 'number') return pmd === 0 || !pte_present(pmd) ? null : pte_pfn(pmd) + Math.floor((addr % PMD_SIZE) / PAGE_SIZE);
    const e = pmd.pte[Math.floor(addr / PAGE_SIZE) % 512];
    return e === 0 || !pte_present(e) ? null : pte_pfn(e);
  };
}
