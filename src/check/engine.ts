/**
 * The incremental checker of the step invariants: after each step it re-evaluates only
 * what the step touched, read from the machine's journals:
 *
 * - the mem_map journal (MemMap.touched / freed): folios whose slot a step resolved,
 *   created or dropped → `refcount-sane` for those folios, and the DMA-mapped pages
 *   whose frames lie in them (through a reverse index: physical 2 MiB / 1 GiB block →
 *   the DMA mappings and page ranges that map into it);
 * - each IOMMU domain's journal (iommu_domain.log): IOVA blocks written or cleared;
 * - each process page table's journal (page_table.log): virtual blocks written;
 * - the VFIO structures themselves (few objects, compared every step): a DMA mapping
 *   that appears, grows, shrinks or changes its process side is re-evaluated over the
 *   pages that changed (all of them when its process side changed).
 *
 * Findings are kept per DMA mapping and page (each a segment of linear pages: see
 * check/vfio.ts), so a step costs what it changed, not what exists.
 *
 * The other long-lived holders (io_uring registered buffers: OtherPins.afterMappings,
 * check/holders.ts) are rescanned whole at each update too: few pages each.
 *
 * iommufd's pinned pages and IOMMU mappings are kept incrementally by check/iommufd-engine.ts
 * (per area and page, from the same journals; its access pins rescanned whole). The first finding
 * of each invariant is the one the full rescan (the invariant's own `check`) lists
 * first: tests/unit/check-incremental.test.ts holds the two equal, step for step.
 */
import type { Machine } from '../linux/machine.js';
import type { vfio_dma, vfio_iommu } from '../linux/drivers/vfio/vfio_iommu_type1.js';
import type { iommu_domain } from '../linux/drivers/iommu/iommu.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, forEachTouchedRun, page_table_journal_start, pte_pfn, pte_present } from '../linux/include/linux/mm_types.js';
import { iommu_lookup_leaf, iommu_pte_entries } from '../linux/drivers/iommu/iommu.js';
import type { InvariantId } from './ids.js';
import type { Finding } from './violation.js';
import type { DmaMapping, LongtermPin } from './invariants.js';
import { countsInsane, frameState, insaneFrame, longtermPinFindings, dmaLiveFinding, dmaCoherentFinding, movablePinRule, pinRuleBroken, refcountReportFindings } from './invariants.js';
import type { FrameState } from './invariants.js';
import type { DmaSegment } from './vfio.js';
import { allIommus, dmaPages, dmaProcessMm, dmaWhere, firstDomain, forEachDmaSegment, mdevPins, vfioHolder } from './vfio.js';
import { PageReserved, pfn_valid } from '../linux/include/linux/mm.js';
import { IommufdSteps } from './iommufd-engine.js';
import { dropRange, markBytes, markPages, mergeRanges } from './ranges.js';
import { mem_map_reports_reads } from '../linux/mm/read_report.js';

/** The step invariants this engine maintains (the others are evaluated by their own `check`). */
export const INCREMENTAL_IDS: readonly InvariantId[] = [
  'no-longterm-pin-on-fsdax', 'no-longterm-pin-on-cma-or-movable', 'dma-target-is-live', 'dma-coherent-with-process', 'refcount-sane',
];

/** Long-term pins of holders other than VFIO and iommufd, in the order the full rescan lists them. */
export interface OtherPins {
  /** Listed before VFIO's (a scenario's own GUP results). */
  before(): readonly LongtermPin[];
  /** Listed after VFIO's and iommufd's (io_uring fixed buffers). */
  after(): readonly LongtermPin[];
  /** Holder frames listed after VFIO's and iommufd's (io_uring registered buffer pages; rescanned at each update). */
  afterMappings?(): readonly DmaMapping[];
}

const PAGES_PER_PMD = PMD_SIZE / PAGE_SIZE;
const PAGES_PER_PUD = PUD_SIZE / PAGE_SIZE;

/** A finding that answers for `n` pages (one segment). */
interface Seg {
  readonly f: Finding;
  readonly n: number;
}

/** One DMA mapping as last evaluated. */
interface Track {
  readonly io: vfio_iommu;
  readonly dma: vfio_dma;
  /** Everything about the mapping except its size that the evaluation reads. */
  sig: string;
  pages: number;
  mm: mm_struct | null;
  /** Findings by first page index of their segment (which spans `n` pages). */
  readonly fsdax: Map<number, Seg>;
  readonly cma: Map<number, Seg>;
  readonly live: Map<number, Seg>;
  readonly coherent: Map<number, Seg>;
  /** Page ranges to re-evaluate this update, as [lo, hi) pairs. */
  dirty: number[];
}

export class IncrementalSteps {
  private started = false;
  private readonly tracks = new Map<vfio_dma, Track>();
  /** Frames that are not refcount-sane now, by slot. */
  private readonly insane = new Map<number, FrameState>();
  /** Physical block (2 MiB: pfn / 512; 1 GiB: -(pfn / 2^18) - 1) → mappings and page ranges that map into it. */
  private readonly rev = new Map<number, Map<Track, [number, number]>>();
  /** How many keys of `rev` are 2 MiB blocks. */
  private rev2m = 0;
  /** The 2 MiB block index() last added a range to, its track and its range (valid while `rev` keeps them). */
  private lastIndexed: Track | null = null;
  private lastBlock = -1;
  private lastRange: [number, number] | null = null;
  /** Domains and page tables whose journals this engine started. */
  private readonly domains = new Set<iommu_domain>();
  private readonly mms = new Set<mm_struct>();
  /** iommufd's findings (check/iommufd-engine.ts). */
  private readonly iommufd: IommufdSteps;
  /** The first live / coherent findings over the other holders' frames (io_uring buffers; rescanned whole at each update). */
  private others: { live: Finding | null; coherent: Finding | null } = { live: null, coherent: null };

  constructor(private readonly m: Machine, private readonly other: OtherPins) {
    this.iommufd = new IommufdSteps(m);
  }

  /** Bring the findings up to date with the machine (consumes the journals). */
  update(): void {
    const m = this.m;
    const mem = m.mem;
    if (!this.started) mem.journal_start();
    // The engine's own reads go through slot_of too: stop the journal while it works.
    const touched = mem.touched as number[];
    const freed = mem.freed as number[];
    mem.touched = null;
    mem.freed = null;
    if (!this.started) {
      this.started = true;
      for (let s = 1; s < mem.slot_top; s++) this.recheckSlot(s);
    } else {
      forEachTouchedRun(touched, (s0, n) => {
        for (let q = 0; q < n; q++) this.recheckSlot(s0 + q);
      });
    }
    // iommufd reads the domain and page-table journals before VFIO's part clears its own.
    this.iommufd.update(touched, freed);
    // VFIO: which mappings exist now, and what changed in each.
    const seen = new Set<vfio_dma>();
    for (const io of allIommus(m)) {
      const dom = firstDomain(io);
      if (dom !== null && !this.domains.has(dom)) {
        // A domain not journaled so far: its mappings are evaluated whole below.
        dom.log = [];
        this.domains.add(dom);
        for (const dma of io.dma_list) this.tracks.delete(dma);
      }
      for (const dma of io.dma_list) {
        seen.add(dma);
        const mm = dmaProcessMm(dma);
        if (mm !== null && !this.mms.has(mm)) {
          page_table_journal_start(mm.pgd);
          this.mms.add(mm);
        }
        const sig = `${io.id}:${dom?.id ?? '-'}:${dma.iova}:${dma.vaddr}:${dma.iommu_mapped ? 1 : 0}:${mm?.id ?? '-'}`;
        const pages = dom !== null && dma.iommu_mapped ? dmaPages(dma) : 0;
        let t = this.tracks.get(dma);
        if (t === undefined || t.sig !== sig || t.io !== io) {
          if (t !== undefined) this.dropFindings(t);
          t = { io, dma, sig, pages, mm, fsdax: new Map(), cma: new Map(), live: new Map(), coherent: new Map(), dirty: [0, pages] };
          this.tracks.set(dma, t);
        } else if (t.pages !== pages) {
          t.dirty.push(Math.min(t.pages, pages), Math.max(t.pages, pages));
          t.pages = pages;
        }
      }
    }
    for (const [dma, t] of this.tracks) {
      if (!seen.has(dma)) {
        this.dropFindings(t);
        this.tracks.delete(dma);
      }
    }
    // IOMMU journals → IOVA ranges; page-table journals → virtual ranges; freed and touched frames → physical ranges.
    for (const dom of this.domains) {
      const log = dom.log;
      if (log === null || log.length === 0) continue;
      for (const key of new Set(log)) {
        const [lo, hi] = key < 0 ? [(-key - 1) * PUD_SIZE, (-key) * PUD_SIZE] : [key * PMD_SIZE, (key + 1) * PMD_SIZE];
        for (const t of this.tracks.values()) if (firstDomain(t.io) === dom) this.markIova(t, lo, hi);
      }
      log.length = 0;
    }
    for (const mm of this.mms) {
      const log = mm.pgd.log;
      if (log === null || log.length === 0) continue;
      for (const key of new Set(log)) {
        const [lo, hi] = key < 0 ? [(-key - 1) * PUD_SIZE, (-key) * PUD_SIZE] : [key * PMD_SIZE, (key + 1) * PMD_SIZE];
        for (const t of this.tracks.values()) if (t.mm === mm) this.markVaddr(t, lo, hi);
      }
      log.length = 0;
    }
    if (this.rev.size > 0) {
      // PERF: frames of consecutive touched folios that follow each other (a run of pages
      // allocated or pinned in order) are marked as one range: the same pages get marked.
      let lo = -1;
      let hi = -1;
      forEachTouchedRun(touched, (s0, n) => {
        for (let s = s0; s < s0 + n; s++) {
          if (s <= 0 || s >= mem.slot_top) continue;
          const a = mem.s_pfn[s];
          const b = a + 2 ** mem.s_order[s];
          if (a === hi) {
            hi = b;
            continue;
          }
          if (lo >= 0) this.markPhys(lo, hi);
          lo = a;
          hi = b;
        }
      });
      if (lo >= 0) this.markPhys(lo, hi);
      for (let j = 0; j < freed.length; j += 2) this.markPhys(freed[j], freed[j + 1]);
    }
    for (const t of this.tracks.values()) if (t.dirty.length > 0) this.evaluate(t);
    this.iommufd.finish();
    this.others = firstHolderFindings(m, this.other.afterMappings?.() ?? []);
    mem.touched = touched;
    mem.freed = freed;
    mem.journal_clear();
  }

  /** The first finding of an invariant this engine maintains, as the full rescan would list it first, or null. */
  first(id: InvariantId): Finding | null {
    switch (id) {
      case 'no-longterm-pin-on-fsdax':
      case 'no-longterm-pin-on-cma-or-movable':
        return this.firstPin(id);
      case 'dma-target-is-live':
        return this.firstOf((t) => t.live) ?? this.iommufd.firstMapping(id) ?? this.others.live;
      case 'dma-coherent-with-process':
        return this.firstOf((t) => t.coherent) ?? this.iommufd.firstMapping(id) ?? this.others.coherent;
      case 'refcount-sane': {
        let best = -1;
        for (const s of this.insane.keys()) if (best < 0 || s < best) best = s;
        if (best >= 0) return insaneFrame(this.insane.get(best) as FrameState);
        return refcountReportFindings(this.m)[0] ?? null;
      }
      default:
        throw new Error(`pinlab bug: ${id} is not an incremental invariant`);
    }
  }

  // ---- internals ------------------------------------------------------------------------

  private recheckSlot(s: number): void {
    const mem = this.m.mem;
    if (s <= 0 || s >= mem.slot_top) return;
    const pfn = mem.s_pfn[s];
    // PERF: frameState()'s counters read straight from the slot (a head page: page_ref_count
    // is the slot's count, page_mapcount its mapcount plus, for a large folio, the head's own PTE maps).
    const live = mem.peek_slot(pfn) === s;
    if (live && countsInsane(mem.s_ref[s], mem.s_order[s] === 0 ? mem.s_map[s] : mem.s_map[s] + (mem.sub_map.get(pfn) ?? 0))) {
      this.insane.set(s, frameState(this.m, pfn) as FrameState);
    } else if (this.insane.size > 0) this.insane.delete(s);
  }

  private firstOf(pick: (t: Track) => Map<number, Seg>): Finding | null {
    for (const io of allIommus(this.m)) {
      for (const dma of io.dma_list) {
        const t = this.tracks.get(dma);
        if (t === undefined) continue;
        const f = minKey(pick(t));
        if (f !== null) return f;
      }
    }
    return null;
  }

  private firstPin(id: 'no-longterm-pin-on-fsdax' | 'no-longterm-pin-on-cma-or-movable'): Finding | null {
    const m = this.m;
    const before = longtermPinFindings(m, id, this.other.before());
    if (before.length > 0) return before[0];
    for (const io of allIommus(m)) {
      for (const dma of io.dma_list) {
        const t = this.tracks.get(dma);
        if (t !== undefined) {
          const f = minKey(id === 'no-longterm-pin-on-fsdax' ? t.fsdax : t.cma);
          if (f !== null) return f;
        }
        if (dma.pfn_list.size > 0) {
          const md = longtermPinFindings(m, id, mdevPins(m, io, dma, false));
          if (md.length > 0) return md[0];
        }
      }
    }
    const fd = this.iommufd.firstPin(id);
    if (fd !== null) return fd;
    return longtermPinFindings(m, id, this.other.after())[0] ?? null;
  }

  private dropFindings(t: Track): void {
    t.fsdax.clear();
    t.cma.clear();
    t.live.clear();
    t.coherent.clear();
  }

  private markIova(t: Track, lo: number, hi: number): void {
    markBytes(t.dirty, t.pages, Number(t.dma.iova), lo, hi, PAGE_SIZE);
  }

  private markVaddr(t: Track, lo: number, hi: number): void {
    markBytes(t.dirty, t.pages, Number(t.dma.vaddr), lo, hi, PAGE_SIZE);
  }

  /** Mappings that map any frame of [lo, hi): mark the page ranges the reverse index knows. */
  private markPhys(lo: number, hi: number): void {
    const keys: number[] = [];
    for (let g = Math.floor(lo / PAGES_PER_PUD); g * PAGES_PER_PUD < hi; g++) keys.push(-g - 1);
    if (this.rev2m > 0) {
      const b0 = Math.floor(lo / PAGES_PER_PMD);
      const b1 = Math.ceil(hi / PAGES_PER_PMD);
      if (b1 - b0 <= this.rev2m) for (let b = b0; b < b1; b++) keys.push(b);
      else for (const k of this.rev.keys()) if (k >= b0 && k < b1) keys.push(k);
    }
    for (const k of keys) {
      const e = this.rev.get(k);
      if (e === undefined) continue;
      for (const [t, [a, b]] of e) {
        if (this.tracks.get(t.dma) !== t) {
          e.delete(t);
          this.lastIndexed = null;
          continue;
        }
        markPages(t.dirty, t.pages, a, b);
      }
      if (e.size === 0) this.unindex(k);
    }
  }

  private unindex(k: number): void {
    this.lastIndexed = null;
    if (this.rev.delete(k) && k >= 0) this.rev2m--;
  }

  private index(t: Track, s: DmaSegment): void {
    // PERF: consecutive 4 KiB segments usually fall in the block the previous one did.
    if (s.n < PAGES_PER_PMD && this.lastIndexed === t && this.lastBlock === Math.floor(s.pfn / PAGES_PER_PMD) && this.lastBlock === Math.floor((s.pfn + s.n - 1) / PAGES_PER_PMD)) {
      const r = this.lastRange as [number, number];
      if (s.i < r[0]) r[0] = s.i;
      if (s.i + s.n > r[1]) r[1] = s.i + s.n;
      return;
    }
    this.lastIndexed = null;
    const add = (k: number): void => {
      let e = this.rev.get(k);
      if (e === undefined) {
        e = new Map();
        this.rev.set(k, e);
        if (k >= 0) this.rev2m++;
      }
      let r = e.get(t);
      if (r === undefined) {
        r = [s.i, s.i + s.n];
        e.set(t, r);
      } else {
        if (s.i < r[0]) r[0] = s.i;
        if (s.i + s.n > r[1]) r[1] = s.i + s.n;
      }
      if (k >= 0) {
        this.lastIndexed = t;
        this.lastBlock = k;
        this.lastRange = r;
      }
    };
    if (s.n >= PAGES_PER_PUD) for (let g = Math.floor(s.pfn / PAGES_PER_PUD); g * PAGES_PER_PUD < s.pfn + s.n; g++) add(-g - 1);
    else for (let b = Math.floor(s.pfn / PAGES_PER_PMD); b * PAGES_PER_PMD < s.pfn + s.n; b++) add(b);
  }

  /** forEachDmaSegment() over a mapping's pages for evaluate() (forEachDmaSegmentPlain). */
  private segments(t: Track, dom: iommu_domain, lo: number, hi: number, visit: (s: DmaSegment) => void): void {
    const m = this.m;
    const movable = movablePinRule(m);
    // What depends on the memory region alone (pfn_valid, the pin rules), for the region last seen.
    let rlo = 0;
    let rhi = 0;
    let ok = false;
    const plain = (pfn: number): boolean => {
      if (pfn < rlo || pfn >= rhi) {
        const r = m.mem.region_of(pfn);
        if (r === null) return false;
        rlo = r.start_pfn;
        rhi = r.end_pfn;
        ok = pfn_valid(m, pfn) && pinRuleBroken(m, 'no-longterm-pin-on-fsdax', pfn, movable) === null && pinRuleBroken(m, 'no-longterm-pin-on-cma-or-movable', pfn, movable) === null;
      }
      return ok;
    };
    forEachDmaSegmentPlain(m, dom, t.dma, lo, hi, visit, plain, (s) => this.index(t, s));
  }

  /** Re-evaluate a mapping's dirty page ranges. */
  private evaluate(t: Track): void {
    const m = this.m;
    const mem = m.mem;
    const dom = firstDomain(t.io);
    const maps = [t.fsdax, t.cma, t.live, t.coherent];
    const movable = movablePinRule(m);
    // A kept finding answers for its whole segment: widen each range over the segments
    // it cuts (until none is cut), so that no page loses its finding.
    let ranges = mergeRanges(t.dirty);
    for (;;) {
      const wider = ranges.slice();
      for (const map of maps) {
        for (const [k, sg] of map) {
          for (let r = 0; r < ranges.length; r += 2) {
            if (k < ranges[r + 1] && k + sg.n > ranges[r]) {
              wider.push(k, k + sg.n);
              break;
            }
          }
        }
      }
      const merged = mergeRanges(wider);
      if (merged.length === ranges.length && merged.every((x, j) => x === ranges[j])) break;
      ranges = merged;
    }
    t.dirty = [];
    for (let r = 0; r < ranges.length; r += 2) {
      const [lo, hi] = [ranges[r], ranges[r + 1]];
      for (const map of maps) dropRange(map, lo, hi);
      if (dom === null || !t.dma.iommu_mapped) continue;
      // PERF: what depends on the memory region alone (pfn_valid, the pin rules) is asked once per region.
      let rlo = 0;
      let rhi = 0;
      let valid = false;
      let broken = false;
      this.segments(t, dom, lo, hi, (s) => {
        this.index(t, s);
        if (s.pfn < rlo || s.pfn >= rhi) {
          const r = mem.region_of(s.pfn);
          rlo = r === null ? s.pfn : r.start_pfn;
          rhi = r === null ? s.pfn + 1 : r.end_pfn;
          valid = pfn_valid(m, s.pfn);
          broken = pinRuleBroken(m, 'no-longterm-pin-on-fsdax', s.pfn, movable) !== null || pinRuleBroken(m, 'no-longterm-pin-on-cma-or-movable', s.pfn, movable) !== null;
        }
        // isInvalidReservedPfn(), with pfn_valid() from the region.
        const reserved = valid ? PageReserved(m, s.pfn) : true;
        // PERF: the pin record (its holder text) is built only for a page that breaks a pin rule.
        if (!reserved && broken) {
          const pin = [{ pfn: s.pfn, holder: vfioHolder(t.io, s.iova), thread: null }];
          const fd = longtermPinFindings(m, 'no-longterm-pin-on-fsdax', pin);
          if (fd.length > 0) t.fsdax.set(s.i, { f: fd[0], n: s.n });
          const fc = longtermPinFindings(m, 'no-longterm-pin-on-cma-or-movable', pin);
          if (fc.length > 0) t.cma.set(s.i, { f: fc[0], n: s.n });
        }
        // PERF: the mapping's description is built only for a page that may break a rule.
        const incoherent = s.processPfn !== null && s.processPfn !== s.pfn;
        const s0 = mem.peek_slot(s.pfn);
        if (!incoherent && (s0 !== 0 && mem.s_ref[s0] > 0)) return;
        const d = { where: dmaWhere(t.dma, s.iova, s.vaddr), iommuPfn: s.pfn, processPfn: s.processPfn, pinned: true };
        const fl = dmaLiveFinding(m, d);
        if (fl !== null) t.live.set(s.i, { f: fl, n: s.n });
        const fh = dmaCoherentFinding(d);
        if (fh !== null) t.coherent.set(s.i, { f: fh, n: s.n });
      });
    }
  }
}

/**
 * PERF: forEachDmaSegment() for evaluate(), with the plain 4 KiB pages taken a 2 MiB block at a
 * time. A page the process maps by a PTE and the IOMMU by a 4 KiB entry or a larger leaf, where the process maps
 * the frame the IOMMU maps, the frame is in memory with struct pages that breaks no pin rule
 * (`plain`), and its folio has references, is one the visitor would only index: such pages are
 * indexed as runs (one segment per run of consecutive frames in one physical 2 MiB block: the
 * same reverse-index ranges as one segment per page). Every other page, and every stretch not
 * covered by an IOMMU mapping and a process PTE table, goes through forEachDmaSegment() and the visitor, as before. Not
 * in a run whose reads are reported (the explorer's footprints: mem_map_reports_reads), where every
 * read is made as forEachDmaSegment() makes it.
 */
function forEachDmaSegmentPlain(
  m: Machine, dom: iommu_domain, dma: vfio_dma, lo: number, hi: number, visit: (s: DmaSegment) => void,
  plain: (pfn: number) => boolean, index: (s: DmaSegment) => void,
): void {
  const mm = dmaProcessMm(dma);
  if (mm === null || mem_map_reports_reads(m.mem)) {
    forEachDmaSegment(m, dom, dma, lo, hi, visit);
    return;
  }
  const mem = m.mem;
  const iova0 = Number(dma.iova);
  const vaddr0 = Number(dma.vaddr);
  // Pages [slow, i) are left to forEachDmaSegment().
  let slow = lo;
  let i = lo;
  while (i < hi) {
    const iova = iova0 + i * PAGE_SIZE;
    const vaddr = vaddr0 + i * PAGE_SIZE;
    const ip = Math.floor(iova / PAGE_SIZE) % PAGES_PER_PMD;
    const vp = Math.floor(vaddr / PAGE_SIZE) % PAGES_PER_PMD;
    const n = Math.min(hi - i, PAGES_PER_PMD - ip, PAGES_PER_PMD - vp);
    // The IOMMU side: a 4 KiB table, else a 2 MiB / 1 GiB leaf over the whole block (frame = its first + offset).
    const tab = iommu_pte_entries(dom, iova);
    const leaf = tab === null ? iommu_lookup_leaf(dom, iova) : null;
    const pt = mm.pgd.pmd.peek(Math.floor(vaddr / PMD_SIZE));
    if ((tab === null && leaf === null) || pt === undefined || typeof pt === 'number') {
      // Left to forEachDmaSegment(), which takes large leaves whole: past a process-side 1 GiB
      // leaf at once (a guest on 1 GiB pages), else to the end of this block.
      const g = Math.floor(vaddr / PUD_SIZE);
      i += mm.pgd.pud.has(g) ? Math.min(hi - i, (g + 1) * PAGES_PER_PUD - Math.floor(vaddr / PAGE_SIZE)) : n;
      continue;
    }
    const leafPfn = leaf === null ? 0 : Math.floor(leaf.e / 8) + (iova - leaf.base) / PAGE_SIZE;
    if (slow < i) forEachDmaSegment(m, dom, dma, slow, i, visit);
    // The run being indexed: pages [ri, ri + rn) map frames [rpfn, rpfn + rn).
    let ri = -1;
    let rn = 0;
    let rpfn = -1;
    const flush = (): void => {
      if (rn > 0) index({ i: ri, n: rn, iova: iova0 + ri * PAGE_SIZE, vaddr: vaddr0 + ri * PAGE_SIZE, pfn: rpfn, processPfn: rpfn });
      rn = 0;
    };
    for (let j = 0; j < n; j++) {
      let pfn: number;
      if (tab !== null) {
        const e = tab[ip + j];
        if (e === 0) continue; // unmapped: forEachDmaSegment() skips it too
        pfn = Math.floor(e / 8);
      } else {
        pfn = leafPfn + j;
      }
      const pte = pt.pte[vp + j];
      const s = pte !== 0 && pte_present(pte) && pte_pfn(pte) === pfn && plain(pfn) ? mem.peek_slot(pfn) : 0;
      if (s === 0 || mem.s_ref[s] <= 0) {
        flush();
        forEachDmaSegment(m, dom, dma, i + j, i + j + 1, visit);
        continue;
      }
      if (rn > 0 && pfn === rpfn + rn && Math.floor(pfn / PAGES_PER_PMD) === Math.floor(rpfn / PAGES_PER_PMD)) {
        rn++;
        continue;
      }
      flush();
      ri = i + j;
      rn = 1;
      rpfn = pfn;
    }
    flush();
    i += n;
    slow = i;
  }
  if (slow < hi) forEachDmaSegment(m, dom, dma, slow, hi, visit);
}

/** The first dma-target-is-live and dma-coherent-with-process findings over a list of holder frames (a full scan). */
function firstHolderFindings(m: Machine, frames: readonly DmaMapping[]): { live: Finding | null; coherent: Finding | null } {
  let live: Finding | null = null;
  let coherent: Finding | null = null;
  for (const d of frames) {
    live ??= dmaLiveFinding(m, d);
    coherent ??= dmaCoherentFinding(d);
    if (live !== null && coherent !== null) break;
  }
  return { live, coherent };
}

/** The finding with the smallest key. */
function minKey(map: Map<number, Seg>): Finding | null {
  let best = -1;
  for (const k of map.keys()) if (best < 0 || k < best) best = k;
  return best < 0 ? null : (map.get(best) as Seg).f;
}
