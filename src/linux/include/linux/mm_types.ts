/**
 * include/linux/mm_types.h (v5.4, v5.6, v6.1, v6.12): struct page / struct folio
 * as a struct-of-arrays mem_map, struct vm_area_struct, struct mm_struct and the
 * page-table storage of an mm.
 *
 * A `struct page *` is a pfn (a number); NULL in a page array is `null`.
 *
 * Storage (design.md principle 7). Physical memory is a list of regions (RAM per
 * zone, CMA pageblock ranges, persistent memory in ZONE_DEVICE, BAR ranges without
 * struct page). A frame that no folio covers is free: refcount 0, no flags. Every
 * allocated folio (order 0, 9 or 18) takes one *slot* in typed arrays (head pfn,
 * order, refcount, mapcount, pincount, flags, owner, index, content tag), and a
 * sparse two-level pfn → slot index finds it: 1 GiB regions → (one slot for a whole
 * order-18 folio | 512 entries of 2 MiB → (one slot for an order-9 folio | an
 * Int32Array(512) for order-0 slots)). State that the kernel keeps per subpage of a
 * large folio (PTE mapcount of the subpage, PageAnonExclusive, content) lives in
 * sparse per-pfn maps, so a 1 GiB hugetlb folio costs one slot until its subpages
 * are told apart. An order-0 page costs ~50 bytes (slot + index entry).
 *
 * MODEL: one NUMA node; no page_ext, memcg, LRU lists (PG_lru is a flag only),
 * swap or KSM.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import type { file } from './fs.js';
import type { data_run } from './page_data.js';
import type { rw_semaphore } from '../../kernel/locking/rwsem.js';
import type { SpinLock } from '../../../sched/index.js';
import {
  MIGRATE_CMA, MIGRATE_MOVABLE, ZONE_DEVICE, ZONE_DMA32, ZONE_MOVABLE, ZONE_NORMAL,
} from './gfp.js';
import type { zone_type } from './gfp.js';

export const PAGE_SHIFT = 12;
export const PAGE_SIZE = 4096;
export const PMD_SHIFT = 21;
export const PMD_SIZE = 2 * 1024 * 1024;
export const PUD_SHIFT = 30;
export const PUD_SIZE = 1024 * 1024 * 1024;
export const HPAGE_PMD_ORDER = PMD_SHIFT - PAGE_SHIFT; // 9
export const HPAGE_PUD_ORDER = PUD_SHIFT - PAGE_SHIFT; // 18
export const PTRS_PER_PTE = 512;
/** x86-64 4-level paging: user addresses below 2^47 - PAGE_SIZE. */
export const TASK_SIZE = 2 ** 47 - PAGE_SIZE;

// ---------------------------------------------------------------------------
// struct page flags (enum pageflags, include/linux/page-flags.h), as model bits.
// MODEL: bit positions are the model's own; names are the kernel's. PG_anon stands
// for the PAGE_MAPPING_ANON tag in page->mapping; PG_zero marks the shared zero
// page(s) (the kernel compares pfns).

export const PG_locked = 1 << 0;
export const PG_referenced = 1 << 1;
export const PG_uptodate = 1 << 2;
export const PG_dirty = 1 << 3;
export const PG_lru = 1 << 4;
export const PG_reserved = 1 << 5;
export const PG_writeback = 1 << 6;
export const PG_head = 1 << 7;
export const PG_swapbacked = 1 << 8;
export const PG_unevictable = 1 << 9;
export const PG_mlocked = 1 << 10;
/** PageAnonExclusive (v5.19+: PG_mappedtodisk reused on anon pages). */
export const PG_anon_exclusive = 1 << 11;
/** Isolated from the LRU for migration (isolate_lru_page / folio_isolate_lru). */
export const PG_isolated = 1 << 12;
/** MODEL: PAGE_MAPPING_ANON in page->mapping. */
export const PG_anon = 1 << 13;
/** MODEL: hugetlbfs folio (the kernel marks it through the compound destructor / PG_hugetlb). */
export const PG_hugetlb = 1 << 14;
/**
 * MODEL: the shared 4 KiB zero page (the kernel compares pfns: is_zero_pfn). The huge zero
 * folio does not carry it: the kernel's is_zero_page()/is_zero_folio() are false for it in
 * every modelled release; it is recognised by its pfn (MemMap.huge_zero_pfn).
 */
export const PG_zero = 1 << 15;
/** MODEL: a folio sitting free in a hugetlb pool (refcount 0, still owned by hugetlb). */
export const PG_hugetlb_free = 1 << 16;
/**
 * MODEL: an anonymous THP that lost a mapping of some subpages while others stay mapped
 * (folio_remove_rmap → deferred_split_folio(folio, true)): 6.12's PG_partially_mapped
 * (8422acdc97ed); in 5.4 and 6.1 the same folio is only queued on the deferred split
 * list (deferred_split_huge_page), which nothing in the model reads there. The model
 * has no deferred split queue or shrinker; the flag goes when the folio is split or freed.
 */
export const PG_partially_mapped = 1 << 17;
/**
 * MODEL: in MemMap.sub_flags, marks an explicit per-subpage value; subpages of a
 * large folio without an entry inherit the folio's PG_anon_exclusive from s_flags.
 */
export const SUBPAGE_SET = 1 << 30;

/** Physical frame kinds of a region. */
export type frame_kind =
  /** System RAM with struct pages in DMA32 / Normal / Movable. */
  | 'ram'
  /** Persistent memory under an fs-DAX file system (MEMORY_DEVICE_FS_DAX pgmap, ZONE_DEVICE). */
  | 'fsdax'
  /** Persistent memory behind /dev/daxX.Y (v5.4 MEMORY_DEVICE_DEVDAX, v6.x MEMORY_DEVICE_GENERIC). */
  | 'devdax'
  /** A device BAR: pfns without struct page (pfn_valid() is false). */
  | 'bar';

/** One physical range. */
export interface mem_region {
  readonly name: string;
  readonly start_pfn: number;
  /** Exclusive. */
  readonly end_pfn: number;
  readonly kind: frame_kind;
  readonly zone: zone_type;
  /** MIGRATE_CMA pageblocks (only in DMA32/Normal RAM regions). */
  readonly cma: boolean;
}

/** A memory layout to build a machine from (scenario setup or tests). Sizes in bytes. */
export interface MemoryLayout {
  /** RAM below 4 GiB (ZONE_DMA32). */
  readonly dma32?: number;
  /** RAM in ZONE_NORMAL. */
  readonly normal: number;
  /** movablecore=: RAM in ZONE_MOVABLE. */
  readonly movable?: number;
  /** cma=: bytes of MIGRATE_CMA pageblocks at the end of ZONE_NORMAL (must fit inside it). */
  readonly cma?: number;
  /** Persistent memory namespaces. */
  readonly pmem?: readonly { readonly name: string; readonly size: number; readonly mode: 'fsdax' | 'devdax' }[];
  /** Device BARs (pfns without struct page). */
  readonly bars?: readonly { readonly name: string; readonly size: number }[];
}

/** The free-page state of one zone. */
export interface zone {
  readonly zone_idx: zone_type;
  readonly name: string;
  /** RAM ranges of the zone (CMA pageblocks are separate ranges with cma = true). */
  readonly ranges: readonly mem_region[];
  /** Per range: the next never-allocated pfn (a bump pointer; the rest of the range is free). */
  readonly bump: number[];
  /** Free lists keyed by `(cma ? 64 : 0) + order`: head pfns of free blocks. */
  readonly free_area: Map<number, number[]>;
  /** NR_FREE_PAGES */
  nr_free: number;
  /** NR_FREE_CMA_PAGES */
  nr_free_cma: number;
  /** zone->zone_start_pfn and zone->spanned_pages: the zone's span (0/0 when empty); memory hotplug grows and shrinks it. */
  zone_start_pfn: number;
  spanned_pages: number;
  /** present_pages: RAM frames of the zone that are online (memory offlining/onlining changes it: mm/memory_hotplug.ts). */
  present_pages: number;
}

/**
 * MODEL: what a composite content id stands for: every byte of the page holds the plain
 * tag `base` except the overlays `runs` (flat [offset, len, plain tag id, ...], sorted,
 * disjoint, none of them the base). Rendered by MemMap.tag_name as `base{off+len:tag,...}`.
 */
export interface page_bytes {
  readonly base: number;
  readonly runs: readonly number[];
}

/** Initial slot capacity: small, since most machines (one per explored run) hold a few dozen folios; grow() scales it by 1.5. */
const SLOT_INIT = 32;
/** Bytes per slot of the initial buffer: two Float64 arrays, eight Int32 arrays, one Uint8 array. */
const SLOT_BYTES = 2 * 8 + 8 * 4 + 1;
const PFN_PER_GIB = 1 << (PUD_SHIFT - PAGE_SHIFT);
const PFN_PER_2M = 1 << (PMD_SHIFT - PAGE_SHIFT);

/** An ES2024 resizable ArrayBuffer (the project's lib is ES2023). */
interface ResizableBuffer extends ArrayBuffer {
  resize(bytes: number): void;
}
const ResizableArrayBuffer = ArrayBuffer as unknown as new (bytes: number, opts: { maxByteLength: number }) => ResizableBuffer;
/** The largest resizable buffer V8 (Node 20–24) reserves: 4 GiB. */
const RAB_MAX = 2 ** 32;
/** Slot capacity from which the slot arrays move to plain arrays of the frame bound, or to resizable buffers past PLAIN_MAX (below it a copy is cheap). */
const RAB_FROM = 1 << 16;
/** Slot arrays up to this many bytes in all are plain arrays of the frames bound (grow()). */
const PLAIN_MAX = 2 ** 30;
/** hotplug_skip() of a mem_map no block was ever isolated in (shared, never written). */
const NO_SKIP: readonly number[] = [];

/** Second level of the pfn index: per 2 MiB, a slot (order ≥ 9 folio) or per-pfn slots. */
type l2_node = (number | Int32Array)[];

/**
 * The mem_map. Owned by the Machine (`m.mem`). All page accessors in mm.ts read
 * and write it; nothing else keeps per-page state.
 */
export class MemMap {
  /** Physical ranges; a memory block onlined into another zone becomes its own range (set_range_zone). */
  regions: readonly mem_region[];
  readonly zones: readonly zone[];
  /** The shared zero page (ZERO_PAGE(0)). */
  readonly zero_pfn: number;
  /**
   * mm/huge_memory.c huge_zero_pfn (~0UL when none: -1 here): the huge zero folio, an
   * order-9 allocation made on first use by get_huge_zero_page() (mm/huge_memory.ts).
   */
  huge_zero_pfn = -1;
  /**
   * mm/huge_memory.c huge_zero_refcount: one per mm that has MMF_HUGE_ZERO_PAGE, plus
   * the shrinker's one; 0 while no huge zero folio exists.
   */
  huge_zero_refcount = 0;

  // Slot arrays (slot 0 unused: 0 means "no folio" in the index). The initial ones
  // are views of one buffer (one allocation per machine: the explorer builds a
  // machine per run); grow() gives each its own.
  private cap = SLOT_INIT;
  private readonly initial = new ArrayBuffer(SLOT_INIT * SLOT_BYTES);
  s_pfn = new Float64Array(this.initial, 0, SLOT_INIT);
  /** page->index (pages, not bytes). */
  s_index = new Float64Array(this.initial, SLOT_INIT * 8, SLOT_INIT);
  /** folio->_refcount (head page refcount). */
  s_ref = new Int32Array(this.initial, SLOT_INIT * 16, SLOT_INIT);
  /** Order 0: page mapcount. Large folio: entire (PMD/PUD) mapcount. */
  s_map = new Int32Array(this.initial, SLOT_INIT * 20, SLOT_INIT);
  /** Large folio: number of PTE mappings of its subpages (sum of subpage mapcounts). */
  s_ptemaps = new Int32Array(this.initial, SLOT_INIT * 24, SLOT_INIT);
  /** Large folio: compound_pincount / _pincount. Unused for order 0 (pins there are refcount bias). */
  s_pin = new Int32Array(this.initial, SLOT_INIT * 28, SLOT_INIT);
  s_flags = new Int32Array(this.initial, SLOT_INIT * 32, SLOT_INIT);
  /** page->mapping: an address_space id (file pages) or an anon_vma id (PG_anon); 0 = none. */
  s_mapping = new Int32Array(this.initial, SLOT_INIT * 36, SLOT_INIT);
  /** Content tag id (0 = zero-filled). */
  s_content = new Int32Array(this.initial, SLOT_INIT * 40, SLOT_INIT);
  s_order = new Uint8Array(this.initial, SLOT_INIT * 44, SLOT_INIT);
  private top = 1;
  private readonly freeSlots: number[] = [];

  /** Subpages of large folios: PTE mapcount, per-subpage flags (PG_anon_exclusive), content tag. */
  readonly sub_map = new Map<number, number>();
  readonly sub_flags = new Map<number, number>();
  readonly sub_content = new Map<number, number>();

  /** pfn index, level 1: per GiB of physical address space. */
  private readonly l1 = new Map<number, number | l2_node>();
  /**
   * MODEL: the last 2 MiB leaf slot_of() resolved (its pfn / PFN_PER_2M, and the leaf),
   * so runs of lookups in one block skip the two-level walk; index_set() clears it.
   */
  private leafKey = -1;
  private leaf: Int32Array | null = null;

  /** Interned content tags. */
  private readonly tags: string[] = [''];
  private readonly tagIds = new Map<string, number>([['', 0]]);
  /**
   * MODEL (byte-granular page data): content ids that stand for a page whose bytes differ —
   * a base tag plus sorted, disjoint byte-range overlays — interned once each, so a frame
   * still holds one Int32 content id and a COW or migration copy copies that id.
   */
  private readonly comps = new Map<number, page_bytes>();
  private readonly compIds = new Map<string, number>();

  constructor(layout: MemoryLayout) {
    const regions: mem_region[] = [];
    // Physical layout: DMA32 from 16 MiB (x86 keeps the first MiBs for firmware),
    // Normal from 4 GiB, Movable above Normal, pmem above that, BARs high.
    const pagesOf = (bytes: number, what: string): number => {
      if (bytes < 0 || bytes % PMD_SIZE !== 0) throw new Error(`pinlab bug: ${what} size ${bytes} must be a non-negative multiple of 2 MiB`);
      return bytes / PAGE_SIZE;
    };
    const dma32 = pagesOf(layout.dma32 ?? 0, 'dma32');
    const normal = pagesOf(layout.normal, 'normal');
    const movable = pagesOf(layout.movable ?? 0, 'movable');
    const cma = pagesOf(layout.cma ?? 0, 'cma');
    if (dma32 > (4 * PUD_SIZE - 16 * 1024 * 1024) / PAGE_SIZE) throw new Error('pinlab bug: ZONE_DMA32 larger than 4 GiB');
    if (cma > normal) throw new Error('pinlab bug: cma larger than ZONE_NORMAL');
    const dmaStart = (16 * 1024 * 1024) / PAGE_SIZE;
    if (dma32 > 0) regions.push({ name: 'dma32', start_pfn: dmaStart, end_pfn: dmaStart + dma32, kind: 'ram', zone: ZONE_DMA32, cma: false });
    let at = (4 * PUD_SIZE) / PAGE_SIZE;
    if (normal - cma > 0) regions.push({ name: 'normal', start_pfn: at, end_pfn: at + normal - cma, kind: 'ram', zone: ZONE_NORMAL, cma: false });
    at += normal - cma;
    if (cma > 0) regions.push({ name: 'cma', start_pfn: at, end_pfn: at + cma, kind: 'ram', zone: ZONE_NORMAL, cma: true });
    at += cma;
    // ZONE_MOVABLE starts on a GiB boundary so 1 GiB folios can be placed in it.
    at = Math.ceil(at / PFN_PER_GIB) * PFN_PER_GIB;
    if (movable > 0) regions.push({ name: 'movable', start_pfn: at, end_pfn: at + movable, kind: 'ram', zone: ZONE_MOVABLE, cma: false });
    at = Math.ceil((at + movable) / PFN_PER_GIB) * PFN_PER_GIB;
    for (const p of layout.pmem ?? []) {
      const n = pagesOf(p.size, `pmem ${p.name}`);
      regions.push({ name: p.name, start_pfn: at, end_pfn: at + n, kind: p.mode, zone: ZONE_DEVICE, cma: false });
      at = Math.ceil((at + n) / PFN_PER_GIB) * PFN_PER_GIB;
    }
    let barAt = (2 ** 40) / PAGE_SIZE; // BARs at 1 TiB and up
    for (const b of layout.bars ?? []) {
      if (b.size <= 0 || b.size % PAGE_SIZE !== 0) throw new Error(`pinlab bug: BAR ${b.name} size must be a positive multiple of 4 KiB`);
      const n = b.size / PAGE_SIZE;
      if (barAt < at) barAt = Math.ceil(at / PFN_PER_GIB) * PFN_PER_GIB;
      regions.push({ name: b.name, start_pfn: barAt, end_pfn: barAt + n, kind: 'bar', zone: ZONE_DEVICE, cma: false });
      barAt = Math.ceil((barAt + n) / PFN_PER_GIB) * PFN_PER_GIB;
    }
    this.regions = regions;
    const zones: zone[] = [];
    for (const z of [ZONE_DMA32, ZONE_NORMAL, ZONE_MOVABLE] as const) {
      const ranges = regions.filter((r) => r.kind === 'ram' && r.zone === z);
      const present = ranges.reduce((a, r) => a + (r.end_pfn - r.start_pfn), 0);
      zones.push({
        zone_idx: z, name: ['DMA32', 'Normal', 'Movable'][z], ranges, bump: ranges.map((r) => r.start_pfn),
        free_area: new Map(), nr_free: present, nr_free_cma: ranges.filter((r) => r.cma).reduce((a, r) => a + (r.end_pfn - r.start_pfn), 0),
        present_pages: present,
        zone_start_pfn: ranges.length > 0 ? ranges[0].start_pfn : 0,
        spanned_pages: ranges.length > 0 ? ranges[ranges.length - 1].end_pfn - ranges[0].start_pfn : 0,
      });
    }
    this.zones = zones;
    // The zero page: the first page of DMA32 if present, else of Normal (reserved at boot).
    const zpZone = zones.find((z) => z.ranges.some((r) => !r.cma) && z.zone_idx !== ZONE_MOVABLE);
    if (!zpZone) throw new Error('pinlab bug: a machine needs some DMA32 or Normal RAM');
    const zp = this.takeFree(zpZone, 0, false);
    if (zp === null) throw new Error('pinlab bug: no page for the zero page');
    this.zero_pfn = zp;
    const slot = this.newSlot(zp, 0);
    this.s_ref[slot] = 1;
    this.s_flags[slot] = PG_reserved | PG_zero | PG_uptodate;
  }

  // ---- regions ---------------------------------------------------------

  /** The region holding `pfn`, or null (a hole: no memory there). */
  region_of(pfn: number): mem_region | null {
    for (const r of this.regions) if (pfn >= r.start_pfn && pfn < r.end_pfn) return r;
    return null;
  }

  // ---- content tags -----------------------------------------------------

  tag_id(tag: string): number {
    let id = this.tagIds.get(tag);
    if (id === undefined) {
      id = this.tags.length;
      this.tags.push(tag);
      this.tagIds.set(tag, id);
    }
    return id;
  }

  tag_name(id: number): string {
    return this.tags[id];
  }

  /** The overlays of a composite content id, or null for a plain tag (every byte holds it). */
  tag_bytes(id: number): page_bytes | null {
    return this.comps.get(id) ?? null;
  }

  /**
   * The content id of a page holding `base` (a plain tag id) under `runs` (flat
   * [offset, len, plain tag id, ...], sorted by offset, disjoint, inside the page).
   * Normalised first: runs equal to the base dropped, touching runs of one tag merged;
   * what is left decides — no run: the base itself; one run over the whole page: its tag;
   * else the composite, interned by its canonical form.
   */
  tag_compose(base: number, runs: readonly number[]): number {
    const out: number[] = [];
    for (let i = 0; i < runs.length; i += 3) {
      const [off, len, t] = [runs[i], runs[i + 1], runs[i + 2]];
      if (len <= 0 || t === base) continue;
      const n = out.length;
      if (n > 0 && out[n - 1] === t && out[n - 3] + out[n - 2] === off) out[n - 2] += len;
      else out.push(off, len, t);
    }
    if (out.length === 0) return base;
    if (out.length === 3 && out[0] === 0 && out[1] === PAGE_SIZE) return out[2];
    const key = `${base};${out.join(',')}`;
    let id = this.compIds.get(key);
    if (id === undefined) {
      id = this.tags.length;
      let name = this.tags[base];
      name += '{';
      for (let i = 0; i < out.length; i += 3) name += `${i > 0 ? ',' : ''}${out[i]}+${out[i + 1]}:${this.tags[out[i + 2]]}`;
      this.tags.push(`${name}}`);
      // Its rendering names it too, so page_content → set_page_content round trips keep the
      // bytes (unless a scenario already used that very string as a plain tag).
      if (!this.tagIds.has(`${name}}`)) this.tagIds.set(`${name}}`, id);
      this.compIds.set(key, id);
      this.comps.set(id, { base, runs: out });
    }
    return id;
  }

  // ---- slots and the pfn index -------------------------------------------

  /** Slot of the folio covering `pfn`, or 0 when the frame is free / has no folio. */
  slot_of(pfn: number): number {
    const s = this.peek_slot(pfn);
    // MODEL (checker journal): every write to a folio's counters follows a lookup of its slot.
    if (this.touched !== null && s !== this.lastTouched) {
      this.lastTouched = s;
      this.touched.push(s);
    }
    return s;
  }

  /**
   * MODEL: the checker's journal of the mem_map (src/check/engine.ts): while `touched` is
   * an array, every slot slot_of() resolves (so every folio a step may change), every new
   * slot and every dropped one is appended, and `freed` receives the [pfn, pfn + 2^order)
   * ranges of dropped folios. Null (the default) records nothing. A run of consecutive
   * slots s .. s + n - 1 may be one pair of entries, -n then s (touch_run(); read with
   * forEachTouched()).
   */
  touched: number[] | null = null;
  freed: number[] | null = null;
  private lastTouched = -1;

  /**
   * MODEL (speed only): journal slots s0 .. s0 + n - 1 as slot_of() resolving each would
   * (for the batched paths, which look slots up with peek_slot), as one pair of entries.
   */
  touch_run(s0: number, n: number): void {
    if (this.touched === null || n <= 0) return;
    if (n === 1) {
      if (s0 !== this.lastTouched) this.touched.push(s0);
    } else {
      this.touched.push(-n, s0);
    }
    this.lastTouched = s0 + n - 1;
  }

  /** Start (or restart) the journal; the checker empties the arrays after reading them. */
  journal_start(): void {
    this.touched = [];
    this.freed = [];
    this.lastTouched = -1;
  }

  /** Empty the journal (the checker has read it). */
  journal_clear(): void {
    if (this.touched !== null) this.touched.length = 0;
    if (this.freed !== null) this.freed.length = 0;
    this.lastTouched = -1;
  }

  /**
   * slot_of() for readers (the checker): the same answer, never journaled. The explorer's
   * footprints (src/scenario/object-footprint.ts) report every slot it resolves by swapping
   * in a subclass for the runs they track; this class reports nothing.
   */
  peek_slot(pfn: number): number {
    return this.find_slot(pfn);
  }

  private find_slot(pfn: number): number {
    const k2 = Math.floor(pfn / PFN_PER_2M);
    // A hit means k2 >= 0 (keys come from real pfns), so pfn - k2 * PFN_PER_2M is exactly
    // pfn % PFN_PER_2M, without the floating-point modulo V8 runs as a C call.
    if (k2 === this.leafKey && this.leaf !== null) return this.leaf[pfn - k2 * PFN_PER_2M];
    const e = this.l1.get(Math.floor(pfn / PFN_PER_GIB));
    if (e === undefined) return 0;
    if (typeof e === 'number') return e;
    const e2 = e[k2 % 512];
    if (e2 === undefined || typeof e2 === 'number') return e2 ?? 0;
    this.leafKey = k2;
    this.leaf = e2;
    return e2[pfn % PFN_PER_2M];
  }

  /**
   * MODEL (speed only): the first pfn in [pfn, end) whose frame has a folio (peek_slot(pfn)
   * non-zero), else `end`: the answer of peek_slot() frame by frame, with empty GiB and 2 MiB
   * parts of the index skipped whole. For scans of large pfn ranges (memory hotplug's 128 MiB
   * blocks); the caller looks the slot up with peek_slot/slot_of as before (onRead sees it).
   */
  next_folio_pfn(pfn: number, end: number): number {
    while (pfn < end) {
      const g = Math.floor(pfn / PFN_PER_GIB);
      const e = this.l1.get(g);
      if (e === undefined || typeof e === 'number') {
        if (e !== undefined && e !== 0) return pfn;
        pfn = (g + 1) * PFN_PER_GIB;
        continue;
      }
      const k2 = Math.floor(pfn / PFN_PER_2M);
      const e2 = e[k2 % 512];
      if (e2 === undefined || typeof e2 === 'number') {
        if (e2 !== undefined && e2 !== 0) return pfn;
        pfn = (k2 + 1) * PFN_PER_2M;
        continue;
      }
      const stop = Math.min(end, (k2 + 1) * PFN_PER_2M);
      for (let i = pfn - k2 * PFN_PER_2M; pfn < stop; pfn++, i++) if (e2[i] !== 0) return pfn;
    }
    return end;
  }

  /** Number of live folio slots (for benchmarks and fingerprints). */
  get nr_slots(): number {
    return this.top - 1 - this.freeSlots.length;
  }

  /** Highest slot index ever used + 1. */
  get slot_top(): number {
    return this.top;
  }

  /**
   * PERF: the slot arrays once they outgrow the initial buffer: one resizable buffer each
   * (ES2024 `ArrayBuffer(n, { maxByteLength })`, typed arrays that track its length), grown
   * in place. Copying into fresh arrays on each growth touched about three times the final
   * size in new memory, and first-touch page faults dominated a 16 GiB population.
   */
  private rab: ResizableBuffer[] | null = null;

  /** Replace every slot array with its grown copy (g64/g32/g8: one per element type). */
  private regrowSlots(
    g64: (a: Float64Array<ArrayBuffer>) => Float64Array<ArrayBuffer>,
    g32: (a: Int32Array<ArrayBuffer>) => Int32Array<ArrayBuffer>,
    g8: (a: Uint8Array<ArrayBuffer>) => Uint8Array<ArrayBuffer>,
  ): void {
    this.s_pfn = g64(this.s_pfn);
    this.s_order = g8(this.s_order);
    this.s_ref = g32(this.s_ref);
    this.s_map = g32(this.s_map);
    this.s_ptemaps = g32(this.s_ptemaps);
    this.s_pin = g32(this.s_pin);
    this.s_flags = g32(this.s_flags);
    this.s_mapping = g32(this.s_mapping);
    this.s_index = g64(this.s_index);
    this.s_content = g32(this.s_content);
  }

  private grow(): void {
    // Frames with a struct page bound the folios (slots) a machine can have.
    const most = this.regions.reduce((n, r) => n + (r.kind === 'bar' ? 0 : r.end_pfn - r.start_pfn), 2);
    // PERF: the last growth stops at that bound, so it stays in the resizable buffers
    // (growing 1.5x past it fell to the copying path: a fresh copy of every slot array).
    let cap = Math.max(this.cap + 1, Math.min(Math.ceil(this.cap * 1.5), most));
    if (cap >= RAB_FROM && cap <= most && most * SLOT_BYTES <= PLAIN_MAX) {
      // PERF: plain arrays of the frames bound at once (fresh buffers come zeroed from the
      // system's allocator, so memory no slot uses is never touched): V8 reads and writes a
      // plain typed array several times faster than one over a resizable buffer, and the hot
      // loops then see one kind of array only.
      cap = most;
      const g64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => { const b = new Float64Array(cap); b.set(a); return b; };
      const g32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap); b.set(a); return b; };
      const g8 = (a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => { const b = new Uint8Array(cap); b.set(a); return b; };
      this.rab = null;
      this.regrowSlots(g64, g32, g8);
    } else if (cap < RAB_FROM || cap > most || most * 8 > RAB_MAX) {
      // Small machines (the explorer builds one per run), and past what a resizable buffer
      // holds (2^29 folios) or the frames bound: fresh arrays, copied.
      const g64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => { const b = new Float64Array(cap); b.set(a); return b; };
      const g32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const b = new Int32Array(cap); b.set(a); return b; };
      const g8 = (a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => { const b = new Uint8Array(cap); b.set(a); return b; };
      this.rab = null;
      this.regrowSlots(g64, g32, g8);
    } else if (this.rab === null) {
      const all: ResizableBuffer[] = [];
      const r = (bytes: number): ResizableBuffer => { const b = new ResizableArrayBuffer(cap * bytes, { maxByteLength: most * bytes }); all.push(b); return b; };
      const g64 = (a: Float64Array<ArrayBuffer>): Float64Array<ArrayBuffer> => { const b = new Float64Array(r(8)); b.set(a); return b; };
      const g32 = (a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> => { const b = new Int32Array(r(4)); b.set(a); return b; };
      const g8 = (a: Uint8Array<ArrayBuffer>): Uint8Array<ArrayBuffer> => { const b = new Uint8Array(r(1)); b.set(a); return b; };
      this.regrowSlots(g64, g32, g8);
      this.rab = all;
    } else {
      for (const b of this.rab) b.resize(cap * (b.byteLength / this.cap));
    }
    this.cap = cap;
  }

  /**
   * Create the folio record for an allocated block (all counters zero). `journal` false:
   * the caller journals the new slot itself (touch_run()).
   */
  newSlot(pfn: number, order: number, journal = true): number {
    let slot = this.freeSlots.pop();
    if (slot === undefined) {
      if (this.top >= this.cap) this.grow();
      slot = this.top++;
      // PERF: a slot never used before is all zeros in every array (fresh buffers are
      // zero-filled, and only dropSlot() writes to a slot below `top`): only what is not
      // zero is written, so the arrays a guest's order-0 pages leave at zero (s_order,
      // s_ptemaps, s_pin, s_content) are never touched (first-touch page faults dominate
      // populating a large guest).
      this.s_pfn[slot] = pfn;
      if (order > 0) {
        this.s_order[slot] = order;
        this.s_flags[slot] = PG_head;
      }
    } else {
      this.s_pfn[slot] = pfn;
      this.s_order[slot] = order;
      this.s_ref[slot] = 0;
      this.s_map[slot] = 0;
      this.s_ptemaps[slot] = 0;
      this.s_pin[slot] = 0;
      this.s_flags[slot] = order > 0 ? PG_head : 0;
      this.s_mapping[slot] = 0;
      this.s_index[slot] = 0;
      this.s_content[slot] = 0;
    }
    this.index_set(pfn, order, slot);
    if (this.touched !== null && journal) {
      this.touched.push(slot);
      // The new folio's own slot_of() (which most allocations make next) need not journal it again.
      this.lastTouched = slot;
    }
    return slot;
  }

  /** Drop a folio record (the frames become free memory without state). */
  dropSlot(slot: number): void {
    const pfn = this.s_pfn[slot];
    const order = this.s_order[slot];
    this.index_set(pfn, order, 0);
    if (this.freed !== null) this.freed.push(pfn, pfn + 2 ** order);
    if (order > 0) {
      const n = 2 ** order;
      if (this.sub_map.size + this.sub_flags.size + this.sub_content.size > 0) {
        for (const mp of [this.sub_map, this.sub_flags, this.sub_content]) {
          if (mp.size === 0) continue;
          if (mp.size < n) {
            for (const key of [...mp.keys()]) if (key >= pfn && key < pfn + n) mp.delete(key);
          } else {
            for (let p = pfn; p < pfn + n; p++) mp.delete(p);
          }
        }
      }
    }
    this.s_flags[slot] = 0;
    this.s_ref[slot] = 0;
    this.freeSlots.push(slot);
  }

  private index_set(pfn: number, order: number, slot: number): void {
    this.leafKey = -1;
    this.leaf = null;
    const g = Math.floor(pfn / PFN_PER_GIB);
    if (order >= HPAGE_PUD_ORDER) {
      if (slot === 0) this.l1.delete(g);
      else this.l1.set(g, slot);
      return;
    }
    let e = this.l1.get(g);
    if (e === undefined || typeof e === 'number') {
      if (slot === 0) return;
      e = [];
      this.l1.set(g, e);
    }
    const i2 = Math.floor(pfn / PFN_PER_2M) % 512;
    if (order >= HPAGE_PMD_ORDER) {
      e[i2] = slot;
      return;
    }
    let e2 = e[i2];
    if (e2 === undefined || typeof e2 === 'number') {
      if (slot === 0) return;
      e2 = new Int32Array(PFN_PER_2M);
      e[i2] = e2;
    }
    const base = pfn % PFN_PER_2M;
    const n = 2 ** order;
    for (let i = 0; i < n; i++) e2[base + i] = slot;
    // PERF: e2 is the index's leaf for this 2 MiB: keep it as the lookup cache (the next
    // lookup is most often of this block: the new folio's own slot_of()).
    this.leafKey = Math.floor(pfn / PFN_PER_2M);
    this.leaf = e2;
  }

  // ---- the buddy-like allocator's storage (policy: mm/page_alloc.ts) --------

  /**
   * Take a free block of `order` from `z` (CMA ranges if `cma`, else the others), or
   * null. Blocks come from the free list first (LIFO), then from the bump pointer,
   * then by splitting a larger free block.
   * MODEL: freed blocks are not coalesced with their buddies.
   */
  takeFree(z: zone, order: number, cma: boolean): number | null {
    const key = (cma ? 64 : 0) + order;
    const list = z.free_area.get(key);
    const n = 2 ** order;
    if (list && list.length > 0) {
      const pfn = list.pop() as number;
      this.accountTake(z, n, cma);
      return pfn;
    }
    for (let i = 0; i < z.ranges.length; i++) {
      const r = z.ranges[i];
      if (r.cma !== cma) continue;
      const start = Math.ceil(z.bump[i] / n) * n;
      if (start + n > r.end_pfn) continue;
      if (this.bumpSkip.length > 0 && this.skipBump(z, i, start, n, cma)) {
        i--; // the bump pointer moved past a hot-plug range: try this range again
        continue;
      }
      // Pages skipped to align the block go to the order-0 free list.
      for (let p = z.bump[i]; p < start; p++) this.freeList(z, 0, cma).push(p);
      z.bump[i] = start + n;
      this.accountTake(z, n, cma);
      return start;
    }
    for (const bigger of [HPAGE_PMD_ORDER, HPAGE_PUD_ORDER]) {
      if (bigger <= order) continue;
      const big = this.takeFree(z, bigger, cma);
      if (big === null) continue;
      // Give back all but the first `order` block of the split.
      const nb = 2 ** bigger;
      this.accountGive(z, nb, cma);
      const list2 = this.freeList(z, order, cma);
      for (let p = big + nb - n; p > big; p -= n) list2.push(p);
      this.accountTake(z, n, cma);
      return big;
    }
    return null;
  }

  /**
   * MODEL (speed only): up to `n` successive takeFree(z, 0, false) calls at once, the frames
   * written to out[0 ..] in the order those calls return them (free list, then the bump
   * pointers range by range). Returns how many it took; 0 when the zone has no frame for
   * such a call (takeFree would return null); -1 when a call would do what this does not
   * (skip a hot-plug range, split a larger free block): the caller then makes the calls.
   */
  takeFreeRun(z: zone, n: number, out: number[]): number {
    if (this.bumpSkip.length > 0) return -1;
    let k = 0;
    const list = z.free_area.get(0);
    if (list !== undefined) while (k < n && list.length > 0) out[k++] = list.pop() as number;
    for (let i = 0; i < z.ranges.length && k < n; i++) {
      const r = z.ranges[i];
      if (r.cma) continue;
      let b = z.bump[i];
      while (k < n && b < r.end_pfn) out[k++] = b++;
      z.bump[i] = b;
    }
    if (k === 0) {
      for (const bigger of [HPAGE_PMD_ORDER, HPAGE_PUD_ORDER]) if ((z.free_area.get(bigger)?.length ?? 0) > 0) return -1;
      return 0;
    }
    this.accountTake(z, k, false);
    return k;
  }

  /** Return a block to its zone's free list. */
  giveFree(pfn: number, order: number): void {
    const r = this.region_of(pfn);
    if (!r || r.kind !== 'ram') return;
    // A frame freed into a MIGRATE_ISOLATE range goes to the isolated free list, uncounted.
    if (this.isolated.length > 0) {
      const iso = this.isolated.find((x) => pfn >= x.start && pfn < x.end);
      if (iso !== undefined) {
        iso.parked.push([pfn, order]);
        return;
      }
    }
    const z = this.zones[r.zone];
    this.freeList(z, order, r.cma).push(pfn);
    this.accountGive(z, 2 ** order, r.cma);
  }

  private freeList(z: zone, order: number, cma: boolean): number[] {
    const key = (cma ? 64 : 0) + order;
    let l = z.free_area.get(key);
    if (!l) {
      l = [];
      z.free_area.set(key, l);
    }
    return l;
  }

  private accountTake(z: zone, n: number, cma: boolean): void {
    z.nr_free -= n;
    if (cma) z.nr_free_cma -= n;
  }

  private accountGive(z: zone, n: number, cma: boolean): void {
    z.nr_free += n;
    if (cma) z.nr_free_cma += n;
  }

  // ---- memory hot(un)plug storage (policy: mm/memory_hotplug.ts) -------------
  //
  // MODEL: a memory block being offlined is a MIGRATE_ISOLATE range: its free frames are
  // parked (the kernel's isolated free lists: not counted in NR_FREE_PAGES, never handed
  // out); an offline block's frames leave the allocator; an onlined block's frames join
  // the free lists of the zone it is onlined into. Boot-time bump pointers never enter a
  // range that was isolated once (its never-allocated frames were parked then).

  /** Ranges [start, end) the bump pointers step over (blocks isolated at least once). */
  private readonly bumpSkip: [number, number][] = [];
  /** MIGRATE_ISOLATE ranges with their parked free blocks ([head pfn, order]). */
  readonly isolated: { readonly start: number; readonly end: number; readonly parked: [number, number][] }[] = [];

  /** The skip ranges, flattened (for the state fingerprint). */
  hotplug_skip(): readonly number[] {
    return this.bumpSkip.length === 0 ? NO_SKIP : this.bumpSkip.flat();
  }

  /** takeFree's bump path met a skip range at [start, start + n): move the bump pointer past it (true), or not (false). */
  private skipBump(z: zone, i: number, start: number, n: number, cma: boolean): boolean {
    for (const [s, e] of this.bumpSkip) {
      if (start + n <= s || start >= e || z.bump[i] >= e) continue;
      // Frames between the bump pointer and the skipped range stay free.
      this.pushFreeRange(z, z.bump[i], Math.max(z.bump[i], Math.min(s, z.ranges[i].end_pfn)), cma);
      z.bump[i] = Math.min(Math.max(z.bump[i], e), z.ranges[i].end_pfn);
      return true;
    }
    return false;
  }

  /** Free frames [from, to) as free blocks (order 9 where 2 MiB aligned, else order 0), to `out` or a zone's free lists. */
  private pushFreeRange(z: zone | null, from: number, to: number, cma: boolean, out?: [number, number][]): void {
    let p = from;
    while (p < to) {
      const order = p % PFN_PER_2M === 0 && p + PFN_PER_2M <= to ? HPAGE_PMD_ORDER : 0;
      if (out !== undefined) out.push([p, order]);
      else if (z !== null) this.freeList(z, order, cma).push(p);
      p += 2 ** order;
    }
  }

  /**
   * start_isolate_page_range() storage side: mark [start, end) MIGRATE_ISOLATE and park its
   * free frames (free-list blocks and never-allocated ones), taking them out of NR_FREE_PAGES.
   */
  isolate_range(start: number, end: number): void {
    const parked: [number, number][] = [];
    for (const z of this.zones) {
      for (const [key, list] of z.free_area) {
        const order = key & 63;
        const cma = key >= 64;
        const n = 2 ** order;
        const keep: number[] = [];
        for (const p of list) {
          if (p + n <= start || p >= end) keep.push(p);
          else if (p >= start && p + n <= end) {
            parked.push([p, order]);
            this.accountTake(z, n, cma);
          } else {
            // A block straddling the range (1 GiB): split into 2 MiB blocks on either side.
            const inside: [number, number][] = [];
            this.pushFreeRange(null, Math.max(p, start), Math.min(p + n, end), cma, inside);
            for (const b of inside) parked.push(b);
            this.accountTake(z, Math.min(p + n, end) - Math.max(p, start), cma);
            const outside: [number, number][] = [];
            this.pushFreeRange(null, p, Math.max(p, start), cma, outside);
            this.pushFreeRange(null, Math.min(p + n, end), p + n, cma, outside);
            for (const [q, o] of outside) (o === order ? keep : this.freeList(z, o, cma)).push(q);
          }
        }
        list.length = 0;
        for (const p of keep) list.push(p);
      }
      for (let i = 0; i < z.ranges.length; i++) {
        const r = z.ranges[i];
        const from = Math.max(z.bump[i], start, r.start_pfn);
        const to = Math.min(end, r.end_pfn);
        if (from >= to) continue;
        this.pushFreeRange(null, from, to, r.cma, parked);
        this.accountTake(z, to - from, r.cma);
      }
    }
    this.addBumpSkip(start, end);
    this.isolated.push({ start, end, parked });
  }

  /**
   * Add [start, end) to the skip ranges; a range that continues one already there (the next
   * pageblock of a block being isolated) extends it, so a whole block ends as one range.
   */
  private addBumpSkip(start: number, end: number): void {
    for (const r of this.bumpSkip) {
      if (start >= r[0] && end <= r[1]) return;
      if (r[1] === start) {
        r[1] = end;
        return;
      }
    }
    this.bumpSkip.push([start, end]);
  }

  /** The isolated ranges inside [start, end) (one per isolated pageblock), removed from the list, their parked blocks joined. */
  private takeIsolated(start: number, end: number): [number, number][] {
    const out: [number, number][] = [];
    for (let i = 0; i < this.isolated.length; ) {
      const x = this.isolated[i];
      if (x.start >= start && x.end <= end) {
        for (const b of x.parked) out.push(b);
        this.isolated.splice(i, 1);
      } else i++;
    }
    return out;
  }

  /** undo_isolate_page_range() storage side: the parked free blocks of the isolated ranges inside [start, end) go back to their zones' free lists. */
  undo_isolate_range(start: number, end: number): void {
    for (const [p, order] of this.takeIsolated(start, end)) this.giveFree(p, order);
  }

  /** __offline_isolated_pages() storage side: the parked frames leave the allocator (the range is offline). */
  offline_isolated_range(start: number, end: number): void {
    this.takeIsolated(start, end);
  }

  /**
   * move_pfn_range_to_zone() + online_pages_range() storage side: [start, end) belongs to zone
   * `zone` from now on (a range of its own in `regions`) and all its frames are free there.
   */
  online_range(start: number, end: number, zone: zone_type): void {
    const out: mem_region[] = [];
    for (const r of this.regions) {
      if (r.kind !== 'ram' || r.end_pfn <= start || r.start_pfn >= end) {
        out.push(r);
        continue;
      }
      if (r.start_pfn < start) out.push({ ...r, end_pfn: start });
      out.push({ ...r, start_pfn: Math.max(start, r.start_pfn), end_pfn: Math.min(end, r.end_pfn), zone, cma: false });
      if (r.end_pfn > end) out.push({ ...r, start_pfn: end });
    }
    this.regions = out;
    const z = this.zones[zone];
    this.pushFreeRange(z, start, end, false);
    this.accountGive(z, end - start, false);
  }

  /** get_pageblock_migratetype() of the block holding pfn (CMA or movable/other). */
  pageblock_migratetype(pfn: number): number {
    const r = this.region_of(pfn);
    return r && r.cma ? MIGRATE_CMA : MIGRATE_MOVABLE;
  }
}

// ---------------------------------------------------------------------------
// Page tables.
//
// A pte_t / pmd_t / pud_t value is a number: physical address | flag bits, as on
// x86-64 (pfn << 12 | low flags), so pte_pfn() is a division. 0 is pte_none().
// MODEL: _PAGE_SPECIAL and _PAGE_DEVMAP sit in low software bits the model picks
// (x86 puts devmap at bit 58, beyond a double's exact integer range); no NX bit.

export type pte_t = number;
export type pmd_t = number;
export type pud_t = number;

export const _PAGE_PRESENT = 0x001;
export const _PAGE_RW = 0x002;
export const _PAGE_USER = 0x004;
export const _PAGE_ACCESSED = 0x020;
export const _PAGE_DIRTY = 0x040;
/** Huge leaf (PMD / PUD level). */
export const _PAGE_PSE = 0x080;
/** pte_special(): no struct page to refcount (zero page, PFNMAP). */
export const _PAGE_SPECIAL = 0x200;
/** pte_devmap() / pmd_devmap(): a ZONE_DEVICE page mapped by DAX. */
export const _PAGE_DEVMAP = 0x400;
/** MODEL: soft-dirty tracking bit (unused by the model so far). */
export const _PAGE_SOFT_DIRTY = 0x800;
const FLAG_SPAN = 4096;

/** One page-table page of 512 PTEs. */
export interface pte_table {
  readonly pte: Float64Array;
  /** Non-none entries. */
  count: number;
}

/**
 * The page tables of one mm: PUD leaves (1 GiB), PMD entries (a 2 MiB leaf value or
 * a PTE table), keyed by virtual address / size.
 */
export class page_table {
  readonly pud = new pud_map();
  readonly pmd = new pmd_map();
  /**
   * MODEL (checker journal, src/check/engine.ts): while an array, the 2 MiB keys
   * (addr / PMD_SIZE) of every PMD entry or PTE table written, and -(g + 1) for every
   * 1 GiB key g of a PUD entry written. Null (the default) records nothing.
   */
  log: number[] | null = null;
}

/** MODEL: the PUD-level map, reporting its updates to the page table's journal. Behaves as a Map. */
export class pud_map extends Map<number, pud_t> {
  log: number[] | null = null;
  override set(key: number, value: pud_t): this {
    if (this.log !== null) this.log.push(-(key + 1));
    return super.set(key, value);
  }
  override delete(key: number): boolean {
    if (this.log !== null) this.log.push(-(key + 1));
    return super.delete(key);
  }
}

/**
 * MODEL: the PMD-level map, counting its updates (`gen`) so pte_at() (mm.ts) can reuse
 * the entry it found last (`lastKey` / `lastEntry`, valid while `lastGen === gen`)
 * instead of hashing the key again for every page of a table. Behaves as a Map.
 */
export class pmd_map extends Map<number, pmd_t | pte_table> {
  /**
   * MODEL (explorer footprints, src/scenario/object-footprint.ts): the read of one PTE
   * (key = address / 2 MiB, index in its table) by pt_walk, pte_at or set_pte_at, and of a
   * whole entry (index -1: a PMD leaf). This class reports nothing; the footprints swap in a
   * subclass that reports these reads, get() and iteration, for the runs they track.
   */
  read_pte(_key: number, _index: number): void {}
  /** get() without reporting a read (for callers that report the one PTE they read). */
  peek(key: number): pmd_t | pte_table | undefined {
    return super.get(key);
  }
  gen = 0;
  lastGen = -1;
  lastKey = -1;
  lastEntry: pmd_t | pte_table | undefined = undefined;
  /** The page table's journal (page_table.log), shared by page_table_journal_start(). */
  log: number[] | null = null;
  override set(key: number, value: pmd_t | pte_table): this {
    this.gen++;
    if (this.log !== null) this.log.push(key);
    return super.set(key, value);
  }
  override delete(key: number): boolean {
    this.gen++;
    if (this.log !== null) this.log.push(key);
    return super.delete(key);
  }
  override clear(): void {
    this.gen++;
    if (this.log !== null) for (const key of this.keys()) this.log.push(key);
    super.clear();
  }
}

/**
 * MODEL (journals): append `key` to a journal of keys (page_table.log, iommu_domain.log)
 * unless it repeats the last entry. Readers take a journal as a set of keys, so a run of
 * writes to one block (the PTEs of a table, the 4 KiB leaves of a 2 MiB block) needs it once.
 */
export function log_key(log: number[], key: number): void {
  if (log.length === 0 || log[log.length - 1] !== key) log.push(key);
}

/**
 * MODEL (speed only): a run of consecutive slots a batched path looked up with peek_slot,
 * journaled at once (MemMap.touch_run) when it breaks and at flush().
 */
export class SlotRun {
  private s0 = -1;
  private n = 0;
  constructor(private readonly mem: MemMap) {}
  add(s: number): void {
    if (s === this.s0 + this.n) {
      this.n++;
      return;
    }
    this.flush();
    this.s0 = s;
    this.n = 1;
  }
  flush(): void {
    this.mem.touch_run(this.s0, this.n);
    this.s0 = -1;
    this.n = 0;
  }
}

/** The slots of a mem_map journal (MemMap.touched), in journal order, runs (-n, s) expanded. */
export function forEachTouched(touched: readonly number[], visit: (slot: number) => void): void {
  for (let j = 0; j < touched.length; j++) {
    const e = touched[j];
    if (e >= 0) {
      visit(e);
      continue;
    }
    const s = touched[++j];
    for (let q = 0; q < -e; q++) visit(s + q);
  }
}

/**
 * PERF: forEachTouched() a run at a time: visit(s0, n) for each journal entry, slots s0 .. s0 + n - 1
 * (n = 1 for a single slot), in journal order, so a caller loops over a run itself (one call per
 * run instead of one per slot).
 */
export function forEachTouchedRun(touched: readonly number[], visit: (s0: number, n: number) => void): void {
  for (let j = 0; j < touched.length; j++) {
    const e = touched[j];
    if (e >= 0) visit(e, 1);
    else visit(touched[++j], -e);
  }
}

/** Start journaling a page table's writes (page_table.log); the checker empties the array after reading it. */
export function page_table_journal_start(pt: page_table): number[] {
  if (pt.log === null) {
    pt.log = [];
    pt.pmd.log = pt.log;
    pt.pud.log = pt.log;
  }
  return pt.log;
}

export function mk_pte(pfn: number, flags: number): pte_t {
  return pfn * FLAG_SPAN + flags;
}
export function pte_pfn(pte: pte_t): number {
  return Math.floor(pte / FLAG_SPAN);
}
export function pte_flags(pte: pte_t): number {
  // MODEL: for a positive entry, the low bits without a floating-point modulo (which V8
  // runs as a C call); exact, since FLAG_SPAN is a power of two. Same value as `%`.
  return pte > 0 ? pte - Math.floor(pte / FLAG_SPAN) * FLAG_SPAN : pte % FLAG_SPAN;
}
export function pte_none(pte: pte_t): boolean {
  return pte === 0;
}
export function pte_present(pte: pte_t): boolean {
  return (pte_flags(pte) & _PAGE_PRESENT) !== 0;
}
export function pte_write(pte: pte_t): boolean {
  return (pte_flags(pte) & _PAGE_RW) !== 0;
}
export function pte_dirty(pte: pte_t): boolean {
  return (pte_flags(pte) & _PAGE_DIRTY) !== 0;
}
export function pte_young(pte: pte_t): boolean {
  return (pte_flags(pte) & _PAGE_ACCESSED) !== 0;
}
export function pte_special(pte: pte_t): boolean {
  return (pte_flags(pte) & _PAGE_SPECIAL) !== 0;
}
export function pte_devmap(pte: pte_t): boolean {
  return (pte_flags(pte) & _PAGE_DEVMAP) !== 0;
}
export function pte_mkwrite(pte: pte_t): pte_t {
  return pte_write(pte) ? pte : pte + _PAGE_RW;
}
export function pte_wrprotect(pte: pte_t): pte_t {
  return pte_write(pte) ? pte - _PAGE_RW : pte;
}
export function pte_mkdirty(pte: pte_t): pte_t {
  return pte_dirty(pte) ? pte : pte + _PAGE_DIRTY;
}
export function pte_mkclean(pte: pte_t): pte_t {
  return pte_dirty(pte) ? pte - _PAGE_DIRTY : pte;
}
export function pte_mkold(pte: pte_t): pte_t {
  return pte_young(pte) ? pte - _PAGE_ACCESSED : pte;
}
export function pte_mkyoung(pte: pte_t): pte_t {
  return pte_young(pte) ? pte : pte + _PAGE_ACCESSED;
}
/** A PMD/PUD value is a huge leaf (pmd_trans_huge / pmd_huge / pud_huge). */
export function pmd_leaf(pmd: pmd_t): boolean {
  return (pte_flags(pmd) & _PAGE_PSE) !== 0;
}
export const pmd_pfn = pte_pfn;
export const pud_pfn = pte_pfn;
export const pmd_write = pte_write;
export const pmd_dirty = pte_dirty;
export const pmd_young = pte_young;
export const pmd_devmap = pte_devmap;
export const pmd_present = pte_present;

// ---------------------------------------------------------------------------
// VMAs and mms.

/** struct anon_vma: the identity anon pages of a VMA (and its fork descendants) point to. */
export interface anon_vma {
  readonly id: number;
  /** The root anon_vma (the original one, before forks). */
  readonly root: anon_vma;
}

/** struct vm_fault: what a ->fault handler sees and fills in. */
export interface vm_fault {
  readonly vma: vm_area_struct;
  /** Faulting address, page aligned. */
  readonly address: number;
  /** File offset of the page, in pages (linear_page_index). */
  readonly pgoff: number;
  /** FAULT_FLAG_* */
  flags: number;
  /** The PTE value seen when the fault started (0 = none). */
  orig_pte: pte_t;
  /** Out: the page the handler found (with a reference), or null. */
  page: number | null;
  /** do_cow_fault's preallocated anon page (a DAX handler fills and maps it itself: VM_FAULT_DONE_COW). */
  cow_page: number | null;
}

/**
 * vm_operations_struct: a file's or special mapping's fault handlers (generators:
 * they can sleep). `name` identifies the implementation ('shmem', 'ext4_file',
 * 'hugetlb', 'dax', 'devdax', 'vfio_pci_bar', ...).
 */
export interface vm_operations_struct {
  readonly name: string;
  /** ->fault: find or read the page at vmf.pgoff; returns VM_FAULT_* and sets vmf.page (referenced). */
  readonly fault?: (k: Kctx, vmf: vm_fault) => KThread<number>;
  /** ->page_mkwrite: a shared mapping's page is about to become writable. */
  readonly page_mkwrite?: (k: Kctx, vmf: vm_fault) => KThread<number>;
  /** ->pfn_mkwrite: a shared mapping's PTE without a normal page (special, devmap) is about to become writable. */
  readonly pfn_mkwrite?: (k: Kctx, vmf: vm_fault) => KThread<number>;
  /** ->huge_fault (DAX PMD/PUD faults). */
  readonly huge_fault?: (k: Kctx, vmf: vm_fault, order: number) => KThread<number>;
  /** ->may_split (5.4.1: ->split): 0 if the VMA may be split at addr, else the errno __split_vma returns. */
  readonly may_split?: (vma: vm_area_struct, addr: number) => number;
  /** ->open / ->close: a VMA using these ops is created by split/fork, or destroyed. */
  readonly open?: (vma: vm_area_struct) => void;
  readonly close?: (vma: vm_area_struct) => void;
  /**
   * ->access(vma, addr, buf, len, write): copy to/from a mapping GUP cannot get pages of
   * (VM_IO | VM_PFNMAP; /dev/mem's generic_access_phys). Bytes copied, or <= 0.
   */
  readonly access?: (k: Kctx, vma: vm_area_struct, addr: number, buf: remote_buf, len: number, write: boolean) => number;
}

/**
 * The kernel-side buffer of a remote access (mm/access_remote.ts: access_remote_vm's `buf`).
 * MODEL: data are byte runs of content tags (page_data.ts): a write copies `src` (runs
 * relative to the buffer's start, or one tag throughout) into the bytes it reaches; a read
 * appends the runs of the bytes it copies. `pos` is where the next chunk goes (the kernel
 * advances its `buf` pointer by each chunk).
 */
export interface remote_buf {
  /** Write: the data the buffer holds. */
  readonly src: string | readonly data_run[];
  /** Read: what was copied, as runs relative to the buffer's start. */
  readonly runs: data_run[];
  pos: number;
}

/** struct vm_area_struct (include/linux/mm_types.h). */
export interface vm_area_struct {
  /** MODEL: identity for traces and stale-use detection (`vma:N`). */
  readonly id: number;
  vm_start: number;
  /** Exclusive. */
  vm_end: number;
  vm_flags: number;
  /** Offset in the file (or anon linear index base) in pages. */
  vm_pgoff: number;
  vm_file: file | null;
  readonly vm_mm: mm_struct;
  anon_vma: anon_vma | null;
  vm_ops: vm_operations_struct | null;
  vm_private_data: unknown;
  /**
   * MODEL: the VMA was freed (vm_area_free) — any later use by a thread that kept a
   * pointer to it is a no-stale-vma-use violation. Set, never cleared.
   */
  vm_freed: boolean;
}

/** struct mm_struct (include/linux/mm_types.h). */
export interface mm_struct extends mm_layout {
  readonly id: number;
  /** mmap_sem (v5.4) / mmap_lock (v5.8+): named `mmap_lock(mm#N)`. */
  readonly mmap_lock: rw_semaphore;
  /** The VMAs, sorted by vm_start, non-overlapping (the mm_rb tree / maple tree). */
  readonly mmap: vm_area_struct[];
  readonly pgd: page_table;
  /** Pages (not bytes), as the kernel counts. */
  locked_vm: number;
  pinned_vm: number;
  total_vm: number;
  /** mm->def_flags (VM_LOCKED after mlockall(MCL_FUTURE)). */
  def_flags: number;
  /** mm->flags (MMF_* bits; MMF_HAS_PINNED on releases that use the bit). */
  flags: number;
  /** mm->has_pinned (v5.9–v5.x atomic; later MMF_HAS_PINNED in flags). The model sets both where a release has either. */
  has_pinned: boolean;
  /** write_protect_seq (v5.11+ / 5.10 stable): a seqcount; odd while fork write-protects PTEs. */
  write_protect_seq: number;
  mm_users: number;
  mm_count: number;
  /** Top of the mmap area (mmap_base); get_unmapped_area searches down from here. */
  mmap_base: number;
  task_size: number;
  /** The task whose RLIMIT_MEMLOCK and credentials charge this mm (mm->owner, roughly). */
  owner_pid: number;
  /** MODEL: set once exit_mmap() tore the mm down. */
  dead: boolean;
  /**
   * mm->arg_lock: guards the layout fields below against prctl(PR_SET_MM) while
   * /proc/PID/cmdline reads them (kernel/sys_prctl.ts, fs/proc/base.ts).
   */
  readonly arg_lock: SpinLock;
}

/**
 * The exec layout of an mm (mm->start_code ... env_end): the eleven fields prctl(PR_SET_MM)
 * sets one at a time (struct prctl_mm_map's addresses); initial values: EXEC_LAYOUT
 * (kernel/sys_prctl.ts).
 */
export interface mm_layout {
  start_code: number;
  end_code: number;
  start_data: number;
  end_data: number;
  start_brk: number;
  brk: number;
  start_stack: number;
  arg_start: number;
  arg_end: number;
  env_start: number;
  env_end: number;
}

export const MMF_HAS_PINNED = 27;
