/**
 * The named invariants (design.md principle 6): each declared once with an id, a
 * one-line title and the document or commit that motivates it, and checked by the
 * checker after steps (checker.ts) — never from inside kernel code.
 *
 * An invariant reads the world through `CheckWorld`: the machine, the runtime, and
 * the long-term pins held right now. A long-term pin is known by its holder (a VFIO
 * DMA mapping, an io_uring fixed buffer, an mdev's vfio_pin_pages, or a scenario's
 * own FOLL_LONGTERM GUP result not yet released), because the kernel keeps no
 * per-pin "long-term" mark: the holder is what makes a pin long-term.
 */
import type { Machine, ObjectEvent } from '../linux/machine.js';
import {
  compound_head, folio_mapcount, folio_order, is_fsdax_page, is_migrate_cma_page, is_zone_device_page, is_zone_movable_page, page_label, pfn_valid, page_ref_count, page_mapcount,
} from '../linux/include/linux/mm.js';
import { PG_anon } from '../linux/include/linux/mm_types.js';
import type { RunResult, Sched, ThreadId } from '../sched/index.js';
import type { InvariantId } from './ids.js';
import type { Finding } from './violation.js';
import type { HolderKind } from './holders.js';
import { holderCoherentFinding, holderFindings, holderLiveFinding } from './holders.js';

/** A long-term pin held now. */
export interface LongtermPin {
  readonly pfn: number;
  /** Who holds it, for reports: `VFIO dma iova 0x0 (container#1)`, `io_uring buf 0`, `T0 result r`. */
  readonly holder: string;
  /** The thread that took it, if known. */
  readonly thread: ThreadId | null;
}

/** A pin or reference the world expects to exist (used by pin-balance-at-exit). */
export interface HeldPin {
  readonly pfn: number;
  readonly holder: string;
  /** 'pin' for FOLL_PIN, 'ref' for FOLL_GET. */
  readonly kind: 'pin' | 'ref';
  /** Pages held from `pfn` on, all in pfn's folio (1 when absent). */
  readonly nr?: number;
}

/** What invariants read. */
export interface CheckWorld {
  readonly m: Machine;
  readonly s: Sched;
  /** Long-term pins held now (all holders). */
  longtermPins(): readonly LongtermPin[];
  /** Pins and references held now by holders the checker knows. */
  heldPins(): readonly HeldPin[];
  /** heldPins() without building the holders' names (PERF: a guest's 4 KiB pages); absent: heldPins() is read. */
  forEachHeld?(visit: (pfn: number, kind: HeldPin['kind'], nr: number) => void): void;
  /** Pages each live mm is expected to have charged to locked_vm now, or null if unknown for that mm. */
  expectedLockedVm(mmId: number): number | null;
  /** (Process name, mm) pairs of live processes. */
  liveMms(): readonly { readonly name: string; readonly mm: { readonly id: number; readonly locked_vm: number; readonly dead?: boolean } }[];
  /** Object events recording a use of a freed VMA (`stale-vma-use` / `use-after-free`), so far. */
  staleUses(): readonly ObjectEvent[];
  /**
   * Holder frames to check (VFIO and iommufd IOMMU mappings, then io_uring registered buffer
   * pages): for each, the frame the holder reaches and, while mapped in the process, the frame
   * the process sees.
   */
  dmaMappings(): readonly DmaMapping[];
}

/**
 * A frame a long-lived page holder reaches for a process address (the name is historical:
 * io_uring buffers are listed too; see check/holders.ts).
 */
export interface DmaMapping {
  /** The holder kind, for the wording of violations (absent: a device mapping). */
  readonly kind?: HolderKind;
  readonly where: string;
  /** The pfn the IOMMU translates to. */
  readonly iommuPfn: number;
  /** The pfn the process maps at the corresponding vaddr now, or null if unmapped there. */
  readonly processPfn: number | null;
  /** Whether the pinning holder still holds a reference on iommuPfn. */
  readonly pinned: boolean;
}

/** How a run ended, for end-of-run invariants. */
export interface RunEnd {
  readonly result: RunResult;
}

export interface InvariantDef {
  readonly id: InvariantId;
  readonly title: string;
  /** The document or commit that motivates it. */
  readonly why: string;
  /** `step`: checked after every step; `end`: when the run ends; `sched`: reported by the runtime. */
  readonly when: 'step' | 'end' | 'sched';
  readonly check: (w: CheckWorld, end: RunEnd | null) => readonly Finding[];
}

const NONE: readonly Finding[] = [];

/** PATCH(gup-migrate-movable-zone) d1e153fea2a8: long-term pins must also avoid ZONE_MOVABLE (v5.13+). */
function movableRuleInProfile(m: Machine): boolean {
  // PATCH(gup-migrate-movable-zone) d1e153fea2a8: ZONE_MOVABLE joins the pages a long-term pin must avoid
  return m.profile.patches.has('gup-migrate-movable-zone');
}

/** FOLL_PIN counts with GUP_PIN_COUNTING_BIAS from v5.7 (PATCH(foll-pin-counting)). */
function pinCountingInProfile(m: Machine): boolean {
  // PATCH(foll-pin-counting) 3faa52c03f44: pins are counted apart from references (GUP_PIN_COUNTING_BIAS)
  return m.profile.patches.has('foll-pin-counting');
}

/** Block reasons that mean "waiting for a DAX page to become idle" (fs/dax.c layout break). */
export function isDaxLayoutWait(label: string, detail: string | undefined, object: string): boolean {
  const s = `${label} ${detail ?? ''} ${object}`;
  return /dax_layout_busy_page|break_layouts|wait_dax_page|dax_break_layout|dax_wait_page_idle/.test(s);
}

export const INVARIANTS: readonly InvariantDef[] = [
  {
    id: 'no-longterm-pin-on-fsdax',
    title: 'long-term pin on an fs-DAX page',
    why: '94db151dc892 "vfio: disable filesystem-dax page pinning"; mm/gup.c check_dax_vmas (v5.4) / check_vma_flags (v5.11+)',
    when: 'step',
    check: (w) => longtermPinFindings(w.m, 'no-longterm-pin-on-fsdax', w.longtermPins()),
  },
  {
    id: 'no-longterm-pin-on-cma-or-movable',
    title: 'long-term pin on a CMA or ZONE_MOVABLE page',
    why: '9a4e9f3b2d73 "mm: update get_user_pages_longterm to migrate pages allocated from CMA region" (CMA, v5.1); d1e153fea2a8 "mm/gup: migrate pinned pages out of movable zone" (ZONE_MOVABLE, v5.13)',
    when: 'step',
    check: (w) => longtermPinFindings(w.m, 'no-longterm-pin-on-cma-or-movable', w.longtermPins()),
  },
  // The two holder rules below read every long-lived holder (VFIO, iommufd, io_uring
  // registered buffers: check/holders.ts); their ids, titles and why lines predate that.
  {
    id: 'dma-target-is-live',
    title: 'an IOMMU mapping points at a freed or reused frame',
    why: 'drivers/vfio/vfio_iommu_type1.c: pages stay pinned for as long as they are mapped in the IOMMU (vfio_unmap_unpin unmaps before unpinning)',
    when: 'step',
    check: (w) => holderFindings(w.m, 'dma-target-is-live', w.dmaMappings()) ?? NONE,
  },
  {
    id: 'dma-coherent-with-process',
    title: 'process and device see different frames at a DMA-mapped address',
    why: '70e806e4e645 "mm: Do early cow for pinned pages during fork() for ptes" (v5.9); 84209e87c696 "mm/gup: reliable R/O long-term pinning in COW mappings" (v6.2)',
    when: 'step',
    check: (w) => holderFindings(w.m, 'dma-coherent-with-process', w.dmaMappings()) ?? NONE,
  },
  {
    id: 'locked-vm-accounting',
    title: 'mm->locked_vm disagrees with what is pinned or locked',
    why: 'mm/util.c __account_locked_vm; 046eca5018f8 "vfio/type1: prevent locked_vm underflow" (v6.3)',
    when: 'end',
    check: (w) => {
      let out: Finding[] | null = null;
      for (const { name, mm } of w.liveMms()) {
        if (mm.dead === true) continue;
        const want = w.expectedLockedVm(mm.id);
        if (mm.locked_vm < 0) (out ??= []).push({ invariant: 'locked-vm-accounting', message: `locked_vm of ${name} (mm:${mm.id}) is negative: ${mm.locked_vm}`, objects: [`mm:${mm.id}`] });
        else if (want !== null && mm.locked_vm !== want) (out ??= []).push({ invariant: 'locked-vm-accounting', message: `locked_vm of ${name} (mm:${mm.id}) is ${mm.locked_vm} pages, but ${want} pages are pinned or mlocked against it`, objects: [`mm:${mm.id}`] });
      }
      for (const r of w.m.reports) {
        if (r.about === 'locked_vm') {
          (out ??= []).push({ invariant: 'locked-vm-accounting', message: `kernel warning at ${r.site}: ${r.message}`, objects: [] });
        }
      }
      return out ?? NONE;
    },
  },
  {
    id: 'pin-balance-at-exit',
    title: 'a pin or reference outlives every holder (leaked pin)',
    why: 'Documentation/core-api/pin_user_pages.rst (every FOLL_PIN is released by unpin_user_page*); 96e1fac162cc "mm/gup: use unpin_user_pages() in __gup_longterm_locked()" (v5.10)',
    when: 'end',
    check: (w, end) => {
      // Judged when every thread has exited: a run stopped earlier (step bound, deadlock, a
      // stopping hook) leaves threads inside system calls holding pins in their own
      // variables (a MAP_DMA between pinning a run of pages and mapping it), which no
      // holder the checker reads accounts for.
      if (end === null || end.result.status !== 'done') return NONE;
      let out: Finding[] | null = null;
      // References each holder accounts for: FOLL_GET one; FOLL_PIN on an order-0 page
      // GUP_PIN_COUNTING_BIAS (1024) from v5.7 (PATCH foll-pin-counting), else one.
      const bias = pinCountingInProfile(w.m) ? 1024 : 1;
      // By folio slot: only frames of the mem_map can leak (leakedFrames reads its slots).
      const mem = w.m.mem;
      const held = new Float64Array(mem.slot_top);
      const add = (pfn: number, kind: HeldPin['kind'], nr: number): void => {
        if (!pfn_valid(w.m, pfn)) return;
        const head = compound_head(w.m, pfn);
        const slot = mem.peek_slot(head);
        if (slot === 0 || slot >= held.length) return;
        held[slot] += (kind === 'pin' && folio_order(w.m, head) === 0 ? bias : 1) * nr;
      };
      if (w.forEachHeld !== undefined) w.forEachHeld(add);
      else for (const h of w.heldPins()) add(h.pfn, h.kind, h.nr ?? 1);
      for (const f of leakedFrames(w.m, held)) {
        (out ??= []).push({ invariant: 'pin-balance-at-exit', message: `${page_label(f.pfn)} has ${f.refs} references (${f.maps} mappings) but no holder accounts for ${f.extra} of them`, objects: [page_label(f.pfn)] });
      }
      return out ?? NONE;
    },
  },
  {
    id: 'no-stale-vma-use',
    title: 'a VMA is used after it was freed (as KASAN would report)',
    why: 'mm/gup.c __get_user_pages_locked: BUG_ON(locked && vmas), stale vmas[] after the lock is dropped',
    when: 'step',
    check: (w) => {
      let out: Finding[] | null = null;
      for (const ev of w.staleUses()) {
        (out ??= []).push({ invariant: 'no-stale-vma-use', message: `${ev.objects.join(', ')} used after free in ${ev.fn}`, objects: ev.objects, threads: ev.thread === null ? [] : [ev.thread] });
      }
      return out ?? NONE;
    },
  },
  {
    id: 'fs-progress',
    title: 'a truncate or hole punch waits forever on a pinned DAX page',
    why: 'fs/dax.c dax_layout_busy_page + ext4_break_layouts: a long-term pin on fs-DAX blocks truncate until released',
    when: 'end',
    check: (w, end) => {
      if (end === null || end.result.status !== 'deadlock') return NONE;
      let out: Finding[] | null = null;
      for (const v of w.s.views()) {
        if (v.state !== 'blocked' || v.reason === null) continue;
        if (!isDaxLayoutWait(v.label, v.reason.detail, v.reason.object)) continue;
        (out ??= []).push({ invariant: 'fs-progress', message: `T${v.id} (${v.name}) waits forever at ${v.label} for ${v.reason.object} to become idle`, objects: [v.reason.object], threads: [v.id] });
      }
      return out ?? NONE;
    },
  },
  {
    id: 'refcount-sane',
    title: 'a page reference count is negative or below its mapcount',
    why: 'include/linux/page_ref.h VM_BUG_ON_PAGE(page_ref_count(page) <= 0) in put_page_testzero; include/linux/mm.h page_mapcount',
    when: 'step',
    check: (w) => {
      const frames = insaneFrames(w.m).map(insaneFrame);
      const reports = refcountReportFindings(w.m);
      return frames.length + reports.length === 0 ? NONE : [...frames, ...reports];
    },
  },
  {
    id: 'lock-held-at-exit',
    title: 'a thread ended while holding a kernel lock',
    why: 'Documentation/locking/lockdep-design.rst ("lock held when returning to user space")',
    when: 'sched',
    check: (w) => w.s.violations.filter((v) => v.kind === 'lock-held-at-exit').map((v) => ({ invariant: 'lock-held-at-exit' as const, message: v.kind === 'lock-held-at-exit' ? `T${v.thread} (${v.name}) ended holding ${v.held.map((h) => h.lock).join(', ')}` : '', objects: v.kind === 'lock-held-at-exit' ? v.held.map((h) => h.lock) : [], threads: v.kind === 'lock-held-at-exit' ? [v.thread] : [] })),
  },
  {
    id: 'deadlock',
    title: 'every live thread is blocked',
    why: 'Documentation/locking/lockdep-design.rst; the runtime detects a global deadlock when no thread is enabled',
    when: 'sched',
    check: (w) => {
      const out: Finding[] = [];
      for (const v of w.s.violations) {
        if (v.kind !== 'deadlock') continue;
        out.push({ invariant: 'deadlock', message: v.threads.map((t) => `T${t.thread} (${t.name}) waits at ${t.label} for ${t.reason.kind} ${t.reason.object}${t.reason.detail !== undefined ? ` (${t.reason.detail})` : ''}`).join('; '), objects: v.threads.map((t) => t.reason.object), threads: v.threads.map((t) => t.thread) });
      }
      return out;
    },
  },
  {
    id: 'sleep-in-atomic',
    title: 'a thread did something that may sleep while holding a spinlock',
    why: 'include/linux/kernel.h might_sleep() and kernel/sched/core.c __might_sleep ("BUG: sleeping function called from invalid context", CONFIG_DEBUG_ATOMIC_SLEEP)',
    when: 'sched',
    check: (w) => {
      const out: Finding[] = [];
      for (const v of w.s.violations) {
        if (v.kind !== 'sleep-in-atomic') continue;
        out.push({ invariant: 'sleep-in-atomic', message: `T${v.thread} (${v.name}) may sleep at ${v.label} while holding spinlock ${v.spinlock}`, objects: [v.spinlock], threads: [v.thread] });
      }
      return out;
    },
  },
  {
    id: 'offline-progress',
    title: 'a memory offline waits forever on a page it cannot migrate',
    why: 'mm/memory_hotplug.c offline_pages: the scan_movable_pages/do_migrate_range loop retries until every page of the block has moved; a page with an extra reference (a GUP reference, a pin in ZONE_MOVABLE) keeps it looping until a signal (-EINTR)',
    when: 'end',
    check: (w, end) => {
      if (end === null || end.result.status !== 'deadlock') return NONE;
      let out: Finding[] | null = null;
      for (const v of w.s.views()) {
        if (v.state !== 'blocked' || v.reason === null || !v.label.startsWith('mm/memory_hotplug.c:offline_pages')) continue;
        (out ??= []).push({ invariant: 'offline-progress', message: `T${v.id} (${v.name}) retries the offline forever at ${v.label}: ${v.reason.object} cannot be migrated`, objects: [v.reason.object], threads: [v.id] });
      }
      return out ?? NONE;
    },
  },
];

export const INVARIANT_BY_ID: ReadonlyMap<InvariantId, InvariantDef> = new Map(INVARIANTS.map((d) => [d.id, d]));

// ---- findings (one place for each message; check/engine.ts builds the same) --------------------

/** Findings of a pin rule over a list of long-term pins, in list order. */
export function longtermPinFindings(m: Machine, id: 'no-longterm-pin-on-fsdax' | 'no-longterm-pin-on-cma-or-movable', pins: readonly LongtermPin[]): readonly Finding[] {
  let out: Finding[] | null = null;
  const movable = id === 'no-longterm-pin-on-cma-or-movable' && movableRuleInProfile(m);
  for (const p of pins) {
    const what = pinRuleBroken(m, id, p.pfn, movable);
    if (what === null) continue;
    (out ??= []).push({ invariant: id, message: `${page_label(p.pfn)} (${what}) is long-term pinned by ${p.holder}`, objects: [page_label(p.pfn)], threads: p.thread === null ? [] : [p.thread] });
  }
  return out ?? NONE;
}

/**
 * Why a long-term pin of `pfn` breaks rule `id` ('fs-DAX', 'CMA pageblock', 'ZONE_MOVABLE'),
 * or null when it does not. `movable`: the profile has the ZONE_MOVABLE rule (the caller
 * asks once). PERF: the incremental checker asks this before it builds a pin record.
 */
export function pinRuleBroken(m: Machine, id: 'no-longterm-pin-on-fsdax' | 'no-longterm-pin-on-cma-or-movable', pfn: number, movable: boolean): string | null {
  if (!pfn_valid(m, pfn)) return null;
  if (id === 'no-longterm-pin-on-fsdax') return is_fsdax_page(m, pfn) ? 'fs-DAX' : null;
  if (is_migrate_cma_page(m, pfn)) return 'CMA pageblock';
  return movable && is_zone_movable_page(m, pfn) ? 'ZONE_MOVABLE' : null;
}

/** Does the profile forbid long-term pins in ZONE_MOVABLE (the second half of the CMA rule)? */
export function movablePinRule(m: Machine): boolean {
  return movableRuleInProfile(m);
}

/** dma-target-is-live for one holder frame, or null if it holds (check/holders.ts words it per holder). */
export const dmaLiveFinding = holderLiveFinding;

/** dma-coherent-with-process for one holder frame, or null if it holds. */
export const dmaCoherentFinding = holderCoherentFinding;

/** refcount-sane for one frame state. */
export function insaneFrame(f: FrameState): Finding {
  return { invariant: 'refcount-sane', message: `${page_label(f.pfn)}: refcount ${f.refs}, mapcount ${f.maps}`, objects: [page_label(f.pfn)] };
}

/** refcount-sane findings from kernel BUG reports about reference counts. */
export function refcountReportFindings(m: Machine): readonly Finding[] {
  let out: Finding[] | null = null;
  for (const r of m.reports) {
    if (r.kind === 'bug' && r.about === 'refcount') (out ??= []).push({ invariant: 'refcount-sane', message: `kernel BUG at ${r.site}: ${r.message}`, objects: [] });
  }
  return out ?? NONE;
}

// ---- frame scans ------------------------------------------------------------------------------

export interface FrameState {
  readonly pfn: number;
  readonly refs: number;
  readonly maps: number;
  readonly extra: number;
}

/** The state of a folio head whose counters are not sane, or null when they are. */
export function frameState(m: Machine, pfn: number): FrameState | null {
  const refs = page_ref_count(m, pfn);
  const maps = page_mapcount(m, pfn);
  return countsInsane(refs, maps) ? { pfn, refs, maps, extra: 0 } : null;
}

/** refcount-sane's rule for a head page's reference count and mapcount. */
export function countsInsane(refs: number, maps: number): boolean {
  return refs < 0 || maps < 0 || (maps > 0 && refs < maps);
}

/** Every folio head in the mem_map with a record (an allocated frame) whose counters are not sane, in slot order. */
function insaneFrames(m: Machine): FrameState[] {
  const mem = m.mem;
  const out: FrameState[] = [];
  for (let s = 1; s < mem.slot_top; s++) {
    const pfn = mem.s_pfn[s];
    // PERF: a head's counters straight from its slot, as engine.ts recheckSlot reads them
    // (page_ref_count is the slot's count; page_mapcount its mapcount plus, for a large folio,
    // the head's own PTE maps); only a slot whose counters fail is asked whether it is live.
    if (!countsInsane(mem.s_ref[s], mem.s_order[s] === 0 ? mem.s_map[s] : mem.s_map[s] + (mem.sub_map.get(pfn) ?? 0))) continue;
    if (mem.peek_slot(pfn) !== s) continue;
    const f = frameState(m, pfn);
    if (f !== null) out.push(f);
  }
  return out;
}

/** Do the mappings of this ZONE_DEVICE page hold folio references (fs-DAX / device-DAX from v6.15)? */
function deviceMappingsCounted(m: Machine, pfn: number): boolean {
  // PATCH(fsdax-refcounted-folios) 38607c62b34b / PATCH(devdax-refcounted-mapping) aed877c2b425: DAX mappings take references
  return is_fsdax_page(m, pfn) ? m.profile.patches.has('fsdax-refcounted-folios') : m.profile.patches.has('devdax-refcounted-mapping');
}

/**
 * Frames whose references exceed what mappings, the page cache and known holders
 * explain (`held`: the references holders account for, by folio slot). MODEL: a
 * page-cache page holds one reference for the cache; the zero page and the huge zero
 * folio hold one each (mappings take none); reserved frames are skipped.
 */
function leakedFrames(m: Machine, held: Float64Array): FrameState[] {
  const out: FrameState[] = [];
  const mem = m.mem;
  for (let s = 1; s < mem.slot_top; s++) {
    const pfn = mem.s_pfn[s];
    if (mem.peek_slot(pfn) !== s) continue;
    // PERF: an anonymous order-0 page that only its mappings hold (every page of a
    // populated guest) is settled from its slot: refcount == mapcount, no holder.
    if (mem.s_order[s] === 0 && (mem.s_flags[s] & PG_anon) !== 0 && mem.s_ref[s] === mem.s_map[s] && mem.s_map[s] > 0 && pfn !== mem.zero_pfn && held[s] === 0 && !is_zone_device_page(m, pfn)) continue;
    const refs = page_ref_count(m, pfn);
    if (pfn === m.mem.zero_pfn) {
      // The zero page: one reserved reference; mappings take none. Holders may
      // (5.x GUP references it; 6.x never pins it, so a holder may account for more than is there).
      const extraZero = refs - 1 - held[s];
      if (extraZero > 0) out.push({ pfn, refs, maps: 0, extra: extraZero });
      continue;
    }
    if (pfn === m.mem.huge_zero_pfn) {
      // The huge zero folio (mm/huge_memory.c get_huge_zero_page): its allocation reference
      // stays until the shrinker frees it; huge zero PMDs take none. GUP references and pins
      // on it are ordinary large-folio ones, explained by their holders.
      const extraHuge = refs - 1 - held[s];
      if (extraHuge > 0) out.push({ pfn, refs, maps: 0, extra: extraHuge });
      continue;
    }
    // Every mapping of any subpage holds a folio reference: a PTE-mapped THP whose head
    // page is unmapped is still held by its other subpages' PTEs.
    const maps = folio_mapcount(m, pfn);
    const slot = m.mem.slot_of(pfn);
    const device = is_zone_device_page(m, pfn);
    // A DAX page (fs-DAX or device-DAX) is idle at refcount 1 up to 6.12 (memmap init's reference;
    // 5.4.1 memmap_init_zone_device, 6.x __init_zone_device_page); its mappings and DAX entries take
    // none. From v6.15 (6.18.26) every mapping takes a folio reference, and an fs-DAX page is idle at 0.
    const refcounted = device && deviceMappingsCounted(m, pfn);
    const cache = device ? (refcounted && is_fsdax_page(m, pfn) ? 0 : 1) : m.mem.s_mapping[slot] !== 0 && (m.mem.s_flags[slot] & PG_anon) === 0 ? 1 : 0;
    const base = (device && !refcounted ? 0 : Math.max(maps, 0)) + cache + held[s];
    // A frame nobody maps, caches or holds should have been freed (refcount 0 → no record).
    const extra = refs - base;
    const leak = !device && (maps > 0 || cache > 0) ? extra >= 1024 : extra > 0;
    if (leak) out.push({ pfn, refs, maps, extra });
  }
  return out;
}
