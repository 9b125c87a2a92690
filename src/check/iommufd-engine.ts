/**
 * The incremental checker's iommufd part (called from check/engine.ts): the first finding of
 * `no-longterm-pin-on-fsdax`, `no-longterm-pin-on-cma-or-movable`, `dma-target-is-live` and
 * `dma-coherent-with-process` over iommufd's pinned pages and IOMMU mappings, kept per area and
 * page and re-evaluated only where a step changed something, read from the same journals as
 * VFIO's part:
 *
 * - each area (iopt_area) is a track with a signature (its IOAS, the IOAS's domains, its
 *   storage domain, IOVA, page slice, pages object and whether its source process is still
 *   the one that pinned): a track that appears or whose signature changes is evaluated whole;
 * - each domain's journal (iommu_domain.log): IOVA blocks written or cleared → the pages of
 *   the areas that map through that domain;
 * - each source mm's page-table journal (page_table.log): virtual blocks written → the pages
 *   of the areas read from that range;
 * - the mem_map journal (touched slots, freed ranges): physical frames → the pages that map
 *   them, through a reverse index (physical 2 MiB block → tracks and page ranges).
 *
 * Access pins (iopt_pages.pinned_pfns: what emulated devices pin, a few pages) are rescanned
 * whole at each update, as io_uring's buffers are in engine.ts.
 *
 * The answers are the ones the full rescan (check/iommufd.ts: iommufdLongtermPins,
 * iommufdDmaMappings) lists first: tests/unit/check/incremental-iommufd.test.ts holds the two
 * equal on random runs; tests/unit/check/incremental.test.ts on the corpus.
 *
 * The engine reads the journals at the start of an update, before VFIO's part (which clears
 * the journals of its own domains and mms), and clears its own in `finish()` at the end: a
 * process with a type1 container and an iommufd IOAS shares one page-table journal.
 */
import type { Machine } from '../linux/machine.js';
import type { iommu_domain } from '../linux/drivers/iommu/iommu.js';
import { iommu_iova_to_pfns, iommu_iova_to_phys } from '../linux/drivers/iommu/iommu.js';
import type { iopt_area, iopt_pages } from '../linux/drivers/iommu/iommufd/iommufd_private.js';
import { iopt_area_index_to_iova } from '../linux/drivers/iommu/iommufd/pages.js';
import type { mm_struct } from '../linux/include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, PUD_SIZE, forEachTouchedRun, page_table_journal_start, pte_pfn, pte_present } from '../linux/include/linux/mm_types.js';
import { pte_at } from '../linux/include/linux/mm.js';
import type { Finding } from './violation.js';
import { dmaCoherentFinding, dmaLiveFinding, longtermPinFindings, movablePinRule, pinRuleBroken } from './invariants.js';
import { frameAt } from './vfio.js';
import { IndexPin, IommufdMapping, usesIommufd } from './iommufd.js';
import { dropRange, markBytes, markPages, mergeRanges } from './ranges.js';
import { mem_map_reports_reads } from '../linux/mm/read_report.js';

const PAGES_PER_PMD = PMD_SIZE / PAGE_SIZE;

/** One area as last evaluated. */
interface Track {
  readonly area: iopt_area;
  readonly pages: iopt_pages;
  /** The IOAS id whose area list holds the area, or -1 (a filled area no IOAS lists: mid-teardown). */
  readonly ioas: number;
  /** The IOAS's domains, in attach order, when the area is listed and filled; else none. */
  readonly doms: readonly iommu_domain[];
  /** The storage domain when the area is one of its pages' domain_areas, else null. */
  readonly storage: iommu_domain | null;
  /** The process side of the mappings (the source mm while the source task still runs it), else null. */
  readonly mm: mm_struct | null;
  readonly sig: string;
  /** Pages in the slice (last_index - first_index + 1). */
  readonly n: number;
  /** Pin findings by page offset (storage-domain pins). */
  readonly fsdax: Map<number, Finding>;
  readonly cma: Map<number, Finding>;
  /** Mapping findings by domain position, then page offset. */
  readonly live: Map<number, Finding>[];
  readonly coherent: Map<number, Finding>[];
  /** Page-offset ranges to re-evaluate this update, as [lo, hi) pairs. */
  dirty: number[];
}

/** The areas of every IOAS of the machine, in the full rescan's order, with their IOAS. */
function listedAreas(m: Machine): { ioas: number; doms: readonly iommu_domain[]; area: iopt_area }[] {
  const out: { ioas: number; doms: readonly iommu_domain[]; area: iopt_area }[] = [];
  for (const ictx of m.iommufd?.ctxs ?? []) {
    for (const o of ictx.objects.values()) {
      if (o.obj.type !== 'IOMMUFD_OBJ_IOAS' || !('iopt' in o)) continue;
      for (const area of o.iopt.areas) out.push({ ioas: o.obj.id, doms: o.iopt.domains, area });
    }
  }
  return out;
}

export class IommufdSteps {
  private readonly tracks = new Map<iopt_area, Track>();
  /** Physical 2 MiB block → tracks and page-offset ranges that map into it. */
  private readonly rev = new Map<number, Map<Track, [number, number]>>();
  private lastIndexed: Track | null = null;
  private lastBlock = -1;
  private lastRange: [number, number] | null = null;
  /** Domains and page tables whose journals this engine reads. */
  private readonly domains = new Set<iommu_domain>();
  private readonly mms = new Set<mm_struct>();
  /** Access pins' first findings per pages object (rescanned whole at each update). */
  private access = new Map<iopt_pages, { fsdax: Finding | null; cma: Finding | null }>();
  /** Whether the machine had iommufd state at the last update. */
  private active = false;

  constructor(private readonly m: Machine) {}

  /** Bring the findings up to date; `touched` / `freed` are the mem_map journal of this update. */
  update(touched: readonly number[], freed: readonly number[]): void {
    const m = this.m;
    this.active = usesIommufd(m);
    if (!this.active && this.tracks.size === 0) return;
    // Which areas exist now, in which role, and what changed in each.
    const seen = new Set<iopt_area>();
    const visit = (area: iopt_area, ioas: number, doms: readonly iommu_domain[], storage: iommu_domain | null): void => {
      const p = area.pages;
      if (p === null || seen.has(area)) return;
      seen.add(area);
      const t0 = p.source_task;
      // A file mapping (IOMMU_IOAS_MAP_FILE) has no process side: nothing to be coherent with.
      const mm = !t0.exited && t0.mm === p.source_mm && p.file === null ? t0.mm : null;
      const mapped = area.storage_domain !== null ? doms : [];
      for (const d of [...mapped, ...(storage !== null ? [storage] : [])]) {
        if (!this.domains.has(d)) {
          // Not journaled so far: whatever reads it is evaluated whole.
          d.log ??= [];
          this.domains.add(d);
          for (const t of this.tracks.values()) if (t.doms.includes(d) || t.storage === d) t.dirty = [0, t.n];
        }
      }
      if (mm !== null && !this.mms.has(mm)) {
        page_table_journal_start(mm.pgd);
        this.mms.add(mm);
        for (const t of this.tracks.values()) if (t.mm === mm) t.dirty = [0, t.n];
      }
      const sig = `${ioas}:${mapped.map((d) => d.id).join(',')}:${storage?.id ?? '-'}:${area.iova}:${area.page_offset}:${area.first_index}:${area.last_index}:${p.id}:${p.uptr}:${mm?.id ?? '-'}`;
      const t = this.tracks.get(area);
      if (t !== undefined && t.sig === sig) return;
      const n = area.last_index - area.first_index + 1;
      this.tracks.set(area, {
        area, pages: p, ioas, doms: mapped, storage, mm, sig, n,
        fsdax: new Map(), cma: new Map(), live: mapped.map(() => new Map()), coherent: mapped.map(() => new Map()), dirty: [0, n],
      });
      this.lastIndexed = null;
    };
    const listed = listedAreas(m);
    const pagesSeen = new Set<iopt_pages>();
    for (const { ioas, doms, area } of listed) {
      const p = area.pages;
      if (p === null) continue;
      visit(area, ioas, doms, p.domain_areas.includes(area) ? area.storage_domain : null);
      pagesSeen.add(p);
    }
    // Filled areas of the listed pages that no IOAS lists (being torn down) still hold pins.
    for (const p of pagesSeen) for (const a of p.domain_areas) if (!seen.has(a)) visit(a, -1, [], a.storage_domain);
    for (const a of this.tracks.keys()) if (!seen.has(a)) this.tracks.delete(a);
    // Journals → page ranges of the tracks that read them.
    for (const d of this.domains) {
      const log = d.log;
      if (log === null || log.length === 0) continue;
      const users = [...this.tracks.values()].filter((t) => t.doms.includes(d) || t.storage === d);
      if (users.length > 0) forEachKey(log, (lo, hi) => { for (const t of users) this.markIova(t, lo, hi); });
    }
    for (const mm of this.mms) {
      const log = mm.pgd.log;
      if (log === null || log.length === 0) continue;
      const users = [...this.tracks.values()].filter((t) => t.mm === mm);
      if (users.length > 0) forEachKey(log, (lo, hi) => { for (const t of users) this.markVaddr(t, lo, hi); });
    }
    if (this.rev.size > 0) {
      const mem = m.mem;
      let last = -1;
      forEachTouchedRun(touched, (s0, n) => {
        for (let s = s0; s < s0 + n; s++) {
          if (s <= 0 || s >= mem.slot_top) continue;
          const b = Math.floor(mem.s_pfn[s] / PAGES_PER_PMD);
          // PERF: consecutive touched slots usually lie in the block the previous one did.
          if (b === last && mem.s_order[s] < 9) continue;
          last = b;
          this.markPhys(mem.s_pfn[s], mem.s_pfn[s] + 2 ** mem.s_order[s]);
        }
      });
      for (let j = 0; j < freed.length; j += 2) this.markPhys(freed[j], freed[j + 1]);
    }
    for (const t of this.tracks.values()) if (t.dirty.length > 0) this.evaluate(t);
    // Access pins: few pages each, rescanned whole.
    this.access = new Map();
    for (const p of pagesSeen) {
      if (p.pinned_pfns.size === 0) continue;
      const pins: IndexPin[] = [];
      for (const [i, pfn] of p.pinned_pfns) pins.push(new IndexPin(pfn, p.id, i, null));
      this.access.set(p, {
        fsdax: longtermPinFindings(m, 'no-longterm-pin-on-fsdax', pins)[0] ?? null,
        cma: longtermPinFindings(m, 'no-longterm-pin-on-cma-or-movable', pins)[0] ?? null,
      });
    }
  }

  /** Empty the journals this engine read (after VFIO's part has read the ones it shares). */
  finish(): void {
    for (const d of this.domains) if (d.log !== null) d.log.length = 0;
    for (const mm of this.mms) if (mm.pgd.log !== null) mm.pgd.log.length = 0;
  }

  /** The first long-term pin finding over iommufd's pins, in iommufdLongtermPins' order, or null. */
  firstPin(id: 'no-longterm-pin-on-fsdax' | 'no-longterm-pin-on-cma-or-movable'): Finding | null {
    if (!this.active) return null;
    const fsdax = id === 'no-longterm-pin-on-fsdax';
    const done = new Set<iopt_pages>();
    for (const { area } of listedAreas(this.m)) {
      const p = area.pages;
      if (p === null || done.has(p)) continue;
      done.add(p);
      const a = this.access.get(p);
      const fa = a === undefined ? null : fsdax ? a.fsdax : a.cma;
      if (fa !== null) return fa;
      // Storage-domain pins: area order, then index; an index listed already (an access pin, an
      // earlier area that maps it) is not listed again.
      const earlier: iopt_area[] = [];
      for (const da of p.domain_areas) {
        const t = this.tracks.get(da);
        const dom = da.storage_domain;
        if (dom === null) continue;
        const map = t === undefined ? undefined : fsdax ? t.fsdax : t.cma;
        if (map !== undefined && map.size > 0) {
          for (const off of [...map.keys()].sort((x, y) => x - y)) {
            const i = da.first_index + off;
            if (p.pinned_pfns.has(i) || earlier.some((b) => claims(b, i))) continue;
            return map.get(off) as Finding;
          }
        }
        earlier.push(da);
      }
    }
    return null;
  }

  /** The first dma-target-is-live / dma-coherent-with-process finding, in iommufdDmaMappings' order, or null. */
  firstMapping(id: 'dma-target-is-live' | 'dma-coherent-with-process'): Finding | null {
    if (!this.active) return null;
    for (const { area } of listedAreas(this.m)) {
      const t = this.tracks.get(area);
      if (t === undefined) continue;
      for (const map of id === 'dma-target-is-live' ? t.live : t.coherent) {
        if (map.size === 0) continue;
        let best = -1;
        for (const k of map.keys()) if (best < 0 || k < best) best = k;
        return map.get(best) as Finding;
      }
    }
    return null;
  }

  // ---- internals ------------------------------------------------------------------------

  private markIova(t: Track, lo: number, hi: number): void {
    markBytes(t.dirty, t.n, Number(t.area.iova) - t.area.page_offset, lo, hi, PAGE_SIZE);
  }

  private markVaddr(t: Track, lo: number, hi: number): void {
    markBytes(t.dirty, t.n, t.pages.uptr + t.area.first_index * PAGE_SIZE, lo, hi, PAGE_SIZE);
  }

  /** Tracks that map any frame of [lo, hi): mark the page ranges the reverse index knows. */
  private markPhys(lo: number, hi: number): void {
    for (let k = Math.floor(lo / PAGES_PER_PMD); k * PAGES_PER_PMD < hi; k++) {
      const e = this.rev.get(k);
      if (e === undefined) continue;
      for (const [t, [a, b]] of e) {
        if (this.tracks.get(t.area) !== t) {
          e.delete(t);
          this.lastIndexed = null;
          continue;
        }
        markPages(t.dirty, t.n, a, b);
      }
      if (e.size === 0) {
        this.rev.delete(k);
        this.lastIndexed = null;
      }
    }
  }

  /** Record that page `off` of track t maps frame pfn (one 2 MiB block per entry). */
  private index(t: Track, pfn: number, off: number): void {
    const k = Math.floor(pfn / PAGES_PER_PMD);
    if (this.lastIndexed === t && this.lastBlock === k) {
      const r = this.lastRange as [number, number];
      if (off < r[0]) r[0] = off;
      if (off + 1 > r[1]) r[1] = off + 1;
      return;
    }
    let e = this.rev.get(k);
    if (e === undefined) {
      e = new Map();
      this.rev.set(k, e);
    }
    let r = e.get(t);
    if (r === undefined) {
      r = [off, off + 1];
      e.set(t, r);
    } else {
      if (off < r[0]) r[0] = off;
      if (off + 1 > r[1]) r[1] = off + 1;
    }
    this.lastIndexed = t;
    this.lastBlock = k;
    this.lastRange = r;
  }

  /** Re-evaluate a track's dirty pages. */
  private evaluate(t: Track): void {
    const m = this.m;
    const ranges = mergeRanges(t.dirty);
    t.dirty = [];
    const area = t.area;
    // What depends on the memory region alone (the pin rules), for the region last seen.
    const rc: RegionCache = { lo: 0, hi: 0, broken: false, movable: movablePinRule(m) };
    // PERF: the plain pages of a track whose one domain is its storage domain are taken a process
    // PTE table at a time (plainRun), unless the run's reads are reported (the explorer's footprints).
    const plain = t.storage !== null && t.doms.length === 1 && t.doms[0] === t.storage && t.mm !== null && !mem_map_reports_reads(m.mem);
    for (let r = 0; r < ranges.length; r += 2) {
      const [lo0, hi0] = [ranges[r], ranges[r + 1]];
      for (const map of [t.fsdax, t.cma, ...t.live, ...t.coherent]) dropRange(map, lo0, hi0);
      // PERF: each domain's pfns a chunk of pages at a time, into typed arrays (the IOVA of page
      // off is the page of the area's first IOVA plus off pages).
      for (let lo = lo0; lo < hi0; lo += EVAL_CHUNK) {
        const hi = Math.min(hi0, lo + EVAL_CHUNK);
        const iovaBase = Number(area.iova) - area.page_offset;
        const at = iovaBase + lo * PAGE_SIZE;
        const sp = chunkArray(0, hi - lo);
        if (t.storage !== null) iommu_iova_to_pfns(t.storage, at, hi - lo, sp, 0);
        const dp = t.doms.map((d, di) => {
          if (d === t.storage) return sp;
          const a = chunkArray(di + 1, hi - lo);
          iommu_iova_to_pfns(d, at, hi - lo, a, 0);
          return a;
        });
        for (let off = lo; off < hi;) {
          const n = plain ? this.plainRun(t, off, hi, lo, sp, rc) : 0;
          if (n > 0) {
            off += n;
            continue;
          }
          this.evaluatePage(t, off, lo, sp, dp, rc);
          off++;
        }
      }
    }
  }

  /** evaluate() of page `off` of track t (its pfns at off - lo in sp / dp). */
  private evaluatePage(t: Track, off: number, lo: number, sp: Float64Array, dp: readonly Float64Array[], rc: RegionCache): void {
    const m = this.m;
    const mem = m.mem;
    const { area, pages: p } = t;
    const i = area.first_index + off;
    if (t.storage !== null) {
      const pfn = sp[off - lo];
      if (pfn >= 0) {
        this.index(t, pfn, off);
        regionBroken(m, pfn, rc);
        // PERF: the pin record (its holder text) is built only for a page that breaks a pin rule.
        if (rc.broken) {
          const pin = [new IndexPin(pfn, p.id, i, iopt_area_index_to_iova(area, i))];
          const fd = longtermPinFindings(m, 'no-longterm-pin-on-fsdax', pin);
          if (fd.length > 0) t.fsdax.set(off, fd[0]);
          const fc = longtermPinFindings(m, 'no-longterm-pin-on-cma-or-movable', pin);
          if (fc.length > 0) t.cma.set(off, fc[0]);
        }
      }
    }
    if (t.doms.length === 0) return;
    const vaddr = p.uptr + i * PAGE_SIZE;
    let processPfn: number | null | undefined;
    for (let di = 0; di < t.doms.length; di++) {
      const dom = t.doms[di];
      const pfn = dp[di][off - lo];
      if (pfn < 0) continue;
      if (dom !== t.storage) this.index(t, pfn, off);
      processPfn ??= processFrame(t.mm, vaddr);
      // PERF: the mapping's description is built only for a page that may break a rule.
      const incoherent = processPfn !== null && processPfn !== pfn;
      const s0 = mem.peek_slot(pfn);
      if (!incoherent && s0 !== 0 && mem.s_ref[s0] > 0) continue;
      const d = new IommufdMapping(pfn, processPfn, t.ioas, dom.id, iopt_area_index_to_iova(area, i), vaddr, p.source_task.pid);
      const fl = dmaLiveFinding(m, d);
      if (fl !== null) t.live[di].set(off, fl);
      const fh = dmaCoherentFinding(d);
      if (fh !== null) t.coherent[di].set(off, fh);
    }
  }

  /**
   * PERF: evaluatePage() for the pages from `off` (below `hi`, inside one process PTE table) that
   * need nothing but the reverse index, for a track whose one domain is its storage domain: the
   * domain maps a frame (sp), the frame's region breaks no pin rule, the process maps that same
   * frame by a present PTE, and the frame's folio has references. For those evaluatePage() only
   * indexes the page (no finding), which this does for the run at once (index() keeps, per
   * physical 2 MiB block, the lowest and highest page offset: the run's first and last page of
   * each block give the same ranges). Stops at the first other page. Returns the pages done.
   */
  private plainRun(t: Track, off: number, hi: number, lo: number, sp: Float64Array, rc: RegionCache): number {
    const m = this.m;
    const mem = m.mem;
    const mm = t.mm as mm_struct;
    const vaddr = t.pages.uptr + (t.area.first_index + off) * PAGE_SIZE;
    const key = Math.floor(vaddr / PMD_SIZE);
    const pt = mm.pgd.pmd.peek(key);
    if (pt === undefined || typeof pt === 'number') return 0;
    const v0 = Math.floor(vaddr / PAGE_SIZE) - key * PAGES_PER_PMD;
    const n = Math.min(hi - off, PAGES_PER_PMD - v0);
    // The run being indexed: offsets [ro, ro + rn) map frames [rpfn, rpfn + rn) of one physical block.
    let ro = off;
    let rn = 0;
    let rpfn = -1;
    let j = 0;
    for (; j < n; j++) {
      const pfn = sp[off + j - lo];
      if (pfn < 0) break;
      if (pfn < rc.lo || pfn >= rc.hi) regionBroken(m, pfn, rc);
      if (rc.broken) break;
      const e = pt.pte[v0 + j];
      if (e === 0 || !pte_present(e) || pte_pfn(e) !== pfn) break;
      const s = mem.peek_slot(pfn);
      if (s === 0 || mem.s_ref[s] <= 0) break;
      if (rn > 0 && pfn === rpfn + rn && Math.floor(pfn / PAGES_PER_PMD) === Math.floor(rpfn / PAGES_PER_PMD)) {
        rn++;
        continue;
      }
      if (rn > 0) this.indexRun(t, rpfn, ro, rn);
      ro = off + j;
      rn = 1;
      rpfn = pfn;
    }
    if (rn > 0) this.indexRun(t, rpfn, ro, rn);
    return j;
  }

  /** index() of pages [off, off + n) mapping frames [pfn, pfn + n) of one physical 2 MiB block. */
  private indexRun(t: Track, pfn: number, off: number, n: number): void {
    this.index(t, pfn, off);
    if (n > 1) this.index(t, pfn + n - 1, off + n - 1);
  }
}

/** The pin rules of the memory region last seen by evaluate() (asked once per region). */
interface RegionCache {
  lo: number;
  hi: number;
  broken: boolean;
  readonly movable: boolean;
}

/** Bring rc to the region of pfn (unless it is there already): does a long-term pin of it break a pin rule? */
function regionBroken(m: Machine, pfn: number, rc: RegionCache): void {
  if (pfn >= rc.lo && pfn < rc.hi) return;
  const reg = m.mem.region_of(pfn);
  rc.lo = reg === null ? pfn : reg.start_pfn;
  rc.hi = reg === null ? pfn + 1 : reg.end_pfn;
  rc.broken = pinRuleBroken(m, 'no-longterm-pin-on-fsdax', pfn, rc.movable) !== null || pinRuleBroken(m, 'no-longterm-pin-on-cma-or-movable', pfn, rc.movable) !== null;
}

/** Pages evaluate() reads from each domain at a time. */
const EVAL_CHUNK = 1 << 16;
/** Scratch arrays of evaluate() (one per domain of a track), reused; views of `n` entries. */
const chunkBuffers: Float64Array[] = [];
function chunkArray(which: number, n: number): Float64Array {
  let b = chunkBuffers[which];
  if (b === undefined) {
    b = new Float64Array(EVAL_CHUNK);
    chunkBuffers[which] = b;
  }
  return b.subarray(0, n);
}

/** frameAt(mm, vaddr), through pte_at()'s cached PTE table for 4 KiB pages; null without a process side. */
function processFrame(mm: mm_struct | null, vaddr: number): number | null {
  if (mm === null) return null;
  const e = pte_at(mm, vaddr);
  if (e !== 0) return pte_present(e) ? pte_pfn(e) : null;
  return frameAt(mm, vaddr);
}

/** Whether an earlier filled area lists index i of its pages (its storage domain maps it). */
function claims(b: iopt_area, i: number): boolean {
  if (b.storage_domain === null || i < b.first_index || i > b.last_index) return false;
  const iova = iopt_area_index_to_iova(b, i);
  return iommu_iova_to_phys(b.storage_domain, iova - (iova % PAGE_SIZE)) !== 0;
}

/** Each distinct journal key of a log as an address range (2 MiB blocks; -(g + 1) for 1 GiB block g). */
function forEachKey(log: readonly number[], visit: (lo: number, hi: number) => void): void {
  let prev = NaN;
  const done = new Set<number>();
  for (let j = 0; j < log.length; j++) {
    const key = log[j];
    // PERF: a map of 4 KiB pages logs each 2 MiB key 512 times in a row.
    if (key === prev || done.has(key)) continue;
    prev = key;
    done.add(key);
    if (key < 0) visit((-key - 1) * PUD_SIZE, -key * PUD_SIZE);
    else visit(key * PMD_SIZE, (key + 1) * PMD_SIZE);
  }
}
