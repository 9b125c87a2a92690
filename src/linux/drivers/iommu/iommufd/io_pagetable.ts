/**
 * drivers/iommu/iommufd/io_pagetable.c (Debian linux-source-6.12 6.12.118): the IOVA space of
 * an IOAS — areas, reserved and allowed ranges, IOVA allocation, map/unmap of whole areas, and
 * the domains attached to it.
 *
 * Locking contract: iova_rwsem (write) around every change to the area, reserved and allowed
 * trees; domains_rwsem (read) while areas are filled or torn down, (write) while a domain is
 * added or removed. An area is inserted with pages == NULL before it is filled, so the IOVA
 * range is taken while the locks are dropped; an unmap that meets such an area fails -EBUSY.
 * Unmap removes whole areas only: a range that cuts an area is -ENOENT.
 */
import type { KThread } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import type { file } from '../../../include/linux/fs.js';
import { IS_ENABLED } from '../../../kctx.js';
import { WARN_ON } from '../../../include/linux/bug.js';
import {
  EADDRINUSE, EBUSY, EDEADLK, EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC, EOVERFLOW, EPERM,
} from '../../../include/uapi/linux/errno.js';
import { PAGE_SIZE } from '../../../include/linux/mm_types.js';
import { IOMMU_WRITE, IOMMU_RESV_DIRECT, IOMMU_RESV_DIRECT_RELAXABLE, IOMMU_RESV_MSI, IOMMU_RESV_RESERVED, IOMMU_RESV_SW_MSI } from '../iommu.js';
import type { iommu_domain, iommu_group } from '../iommu.js';
import { init_rwsem, down_read, up_read, down_write, up_write } from '../../../kernel/locking/rwsem.js';
import { mutex_lock, mutex_unlock } from '../../../kernel/locking/mutex.js';
import type { io_pagetable, iommufd_ctx, iopt_area, iopt_pages, iopt_range } from './iommufd_private.js';
import { ULONG_MAX, iommufd_should_fail } from './iommufd_private.js';
import { should_fail } from '../../../include/linux/fault_inject.js';
import {
  iopt_alloc_file_pages, iopt_alloc_pages, iopt_area_fill_domain, iopt_area_fill_domains, iopt_area_unfill_domain, iopt_area_unfill_domains,
  iopt_area_unmap_domain_range, iopt_put_pages,
} from './pages.js';

const FILE = 'drivers/iommu/iommufd/io_pagetable.c';
const HPAGE_SIZE = 2n * 1024n * 1024n;
const PAGE = BigInt(PAGE_SIZE);

/** IOPT_ALLOC_IOVA: let the kernel choose the IOVA. */
export const IOPT_ALLOC_IOVA = 1;

/** iopt_init_table(): a software table over the whole unsigned long IOVA space, alignment 1. */
export function iopt_init_table(k: Kctx): io_pagetable {
  const n = k.m.nextId('io_pagetable');
  return {
    iova_rwsem: init_rwsem(`iova_rwsem(iopt#${n})`), domains_rwsem: init_rwsem(`domains_rwsem(iopt#${n})`),
    areas: [], allowed: [], reserved: [], domains: [], access_list: [], iova_alignment: 1, disable_large_pages: false,
  };
}

function overlaps(aStart: bigint, aLast: bigint, bStart: bigint, bLast: bigint): boolean {
  return aStart <= bLast && bStart <= aLast;
}

/** iopt_area_iter_first(iopt, start, last) */
export function iopt_area_iter_first(iopt: io_pagetable, start: bigint, last: bigint): iopt_area | null {
  for (const a of iopt.areas) if (overlaps(a.iova, a.last, start, last)) return a;
  return null;
}

function reserved_iter_first(iopt: io_pagetable, start: bigint, last: bigint): iopt_range | null {
  for (const r of iopt.reserved) if (overlaps(r.start, r.last, start, last)) return r;
  return null;
}

function insert_sorted<T extends { readonly iova?: bigint; readonly start?: bigint }>(list: T[], x: T): void {
  const key = (t: T): bigint => t.iova ?? t.start ?? 0n;
  let i = 0;
  while (i < list.length && key(list[i] as T) < key(x)) i++;
  list.splice(i, 0, x);
}

/** Merged [start, last] runs of the given ranges inside [lo, hi]. */
function used_runs(ranges: readonly { start: bigint; last: bigint }[], lo: bigint, hi: bigint): { start: bigint; last: bigint }[] {
  const rs = ranges.filter((r) => overlaps(r.start, r.last, lo, hi))
    .map((r) => ({ start: r.start < lo ? lo : r.start, last: r.last > hi ? hi : r.last }))
    .sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const out: { start: bigint; last: bigint }[] = [];
  for (const r of rs) {
    const prev = out.at(-1);
    if (prev !== undefined && r.start <= prev.last + 1n) {
      if (r.last > prev.last) prev.last = r.last;
    } else out.push({ ...r });
  }
  return out;
}

/** The holes of `runs` inside [lo, hi]. */
function holes_of(runs: readonly { start: bigint; last: bigint }[], lo: bigint, hi: bigint): { start: bigint; last: bigint }[] {
  const out: { start: bigint; last: bigint }[] = [];
  let cur = lo;
  for (const r of runs) {
    if (r.start > cur) out.push({ start: cur, last: r.start - 1n });
    cur = r.last + 1n;
    if (cur > hi) return out;
  }
  if (cur <= hi) out.push({ start: cur, last: hi });
  return out;
}

/** The holes of the reserved tree over [0, ULONG_MAX] (IOAS_IOVA_RANGES). */
export function iopt_usable_ranges(iopt: io_pagetable): { start: bigint; last: bigint }[] {
  return holes_of(used_runs(iopt.reserved, 0n, ULONG_MAX), 0n, ULONG_MAX);
}

function roundup_pow_of_two(x: bigint): bigint {
  let p = 1n;
  while (p < x) p <<= 1n;
  return p;
}

/**
 * __alloc_iova_check_range(): the aligned start inside [start, last] that fits length, or null.
 * Before PATCH(iommufd-prevent-align-overflow) (6.2.12 to 6.6.9, __alloc_iova_check_hole/used)
 * the span must hold length before aligning, ALIGN() wraps past ULONG_MAX (to a start below the
 * span, which only the `> last` test then judges) and a start equal to last still fits.
 */
function check_range(k: Kctx, start: bigint, last: bigint, length: bigint, align: bigint, page_offset: bigint): bigint | null {
  const up = start + align - 1n;
  if (!k.patch('iommufd-prevent-align-overflow')) { // PATCH(iommufd-prevent-align-overflow) b42497e3c0e7
    if (last - start < length - 1n) return null;
    const wrapped = (up & ULONG_MAX & ~(align - 1n)) | page_offset;
    if (wrapped > last || last - wrapped < length - 1n) return null;
    return wrapped;
  }
  if (up > ULONG_MAX) return null;
  const aligned = (up & ~(align - 1n)) | page_offset;
  if (aligned >= last || last - aligned < length - 1n) return null;
  return aligned;
}

/**
 * iopt_alloc_iova(iopt, uptr, length): the lowest IOVA ≥ PAGE_SIZE, inside an allowed range
 * (any, if none are set), clear of reserved ranges and areas, aligned like uptr (up to the
 * huge page size since 6.17, 6.12.43 by stable) and keeping uptr's page offset. -EOVERFLOW for a zero or ≥ ULONG_MAX/2
 * length, -EINVAL when that alignment is below the table's, -ENOSPC when nothing fits.
 */
function iopt_alloc_iova(k: Kctx, iopt: io_pagetable, uptr: bigint, length: bigint): bigint | number {
  const page_offset = uptr % PAGE;
  if (length === 0n || length >= ULONG_MAX / 2n) return -EOVERFLOW;
  let align: bigint;
  if (uptr === 0n) align = roundup_pow_of_two(length);
  else {
    const low = uptr & -uptr;
    const r = roundup_pow_of_two(length);
    align = r < low ? r : low;
  }
  // PATCH(iommufd-prevent-align-overflow) b42497e3c0e7: at most the huge page size (PAGE_SIZE without THP); unbounded before.
  if (k.patch('iommufd-prevent-align-overflow')) {
    const max = IS_ENABLED(k, 'CONFIG_TRANSPARENT_HUGEPAGE') ? HPAGE_SIZE : PAGE;
    if (align >= max) align = max;
  }
  if (align < BigInt(iopt.iova_alignment)) return -EINVAL;
  const lo = PAGE;
  const hi = ULONG_MAX - PAGE;
  const allowedSpans = iopt.allowed.length === 0 ? [{ start: lo, last: hi }] : used_runs(iopt.allowed, lo, hi);
  const busy = [...iopt.reserved.map((r) => ({ start: r.start, last: r.last })), ...iopt.areas.map((a) => ({ start: a.iova, last: a.last }))];
  for (const span of allowedSpans) {
    const s = check_range(k, span.start, span.last, length, align, page_offset);
    if (s === null) continue;
    for (const hole of holes_of(used_runs(busy, s, span.last), s, span.last)) {
      const at = check_range(k, hole.start, hole.last, length, align, page_offset);
      if (at !== null) return at;
    }
  }
  return -ENOSPC;
}

/** iopt_check_iova(iopt, iova, length): alignment, overflow, reserved (-EINVAL), taken (-EEXIST). */
function iopt_check_iova(iopt: io_pagetable, iova: bigint, length: bigint): number {
  if ((iova & (BigInt(iopt.iova_alignment) - 1n)) !== 0n) return -EINVAL;
  const last = iova + length - 1n;
  if (last > ULONG_MAX) return -EOVERFLOW;
  if (reserved_iter_first(iopt, iova, last) !== null) return -EINVAL;
  if (iopt_area_iter_first(iopt, iova, last) !== null) return -EEXIST;
  return 0;
}

/** struct iopt_pages_list */
export interface iopt_pages_list {
  pages: iopt_pages | null;
  area: iopt_area | null;
  start_byte: number;
  length: bigint;
}

/** iopt_insert_area(): the area takes [start_byte, start_byte + length) of pages at iova. */
function iopt_insert_area(k: Kctx, iopt: io_pagetable, area: iopt_area, pages: iopt_pages, iova: bigint, start_byte: number, length: bigint, iommu_prot: number): number {
  if ((iommu_prot & IOMMU_WRITE) !== 0 && !pages.writable) return -EPERM;
  area.iommu_prot = iommu_prot;
  area.page_offset = start_byte % PAGE_SIZE;
  if ((area.page_offset & (iopt.iova_alignment - 1)) !== 0) return -EINVAL;
  area.iova = iova;
  area.last = iova + length - 1n;
  if (area.last > ULONG_MAX) return -EOVERFLOW;
  area.first_index = Math.floor(start_byte / PAGE_SIZE);
  area.last_index = Number((BigInt(start_byte) + length - 1n) / PAGE);
  if (WARN_ON(k, area.last_index >= pages.npages, `${FILE}:iopt_insert_area`, 'area past its pages')) return -EOVERFLOW;
  area.iopt = iopt;
  insert_sorted(iopt.areas, area);
  return 0;
}

function iopt_area_alloc(k: Kctx): iopt_area {
  return {
    id: k.m.nextId('iopt_area'), iova: 0n, last: 0n, first_index: 0, last_index: 0, page_offset: 0, pages: null, iopt: null,
    iommu_prot: 0, storage_domain: null, num_accesses: 0, prevent_access: false,
  };
}

/** iopt_abort_area(): take a never-filled area out of the tree. */
function* iopt_abort_area(k: Kctx, area: iopt_area): KThread<void> {
  const iopt = area.iopt;
  if (iopt !== null) {
    yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_abort_area`);
    const i = iopt.areas.indexOf(area);
    if (i >= 0) iopt.areas.splice(i, 1);
    up_write(k, iopt.iova_rwsem, `${FILE}:iopt_abort_area`);
  }
}

/** iopt_free_pages_list() */
export function* iopt_free_pages_list(k: Kctx, list: iopt_pages_list[]): KThread<void> {
  for (const elm of list) {
    if (elm.area !== null) yield* iopt_abort_area(k, elm.area);
    if (elm.pages !== null) yield* iopt_put_pages(k, elm.pages);
    elm.area = null;
    elm.pages = null;
  }
  list.length = 0;
}

/** iopt_alloc_area_pages(): choose or check the IOVA and insert the (unfilled) areas. */
function* iopt_alloc_area_pages(k: Kctx, iopt: io_pagetable, list: iopt_pages_list[], length: bigint, dst_iova: { v: bigint }, iommu_prot: number, flags: number): KThread<number> {
  for (const elm of list) {
    // Not yet in the tree: the caller's iopt_free_pages_list() drops the areas already allocated.
    if (should_fail(k, 'drivers/iommu/iommufd/io_pagetable.c:iopt_alloc_area_pages:kzalloc')) return -ENOMEM;
    elm.area = iopt_area_alloc(k);
  }
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_alloc_area_pages`);
  let rc = 0;
  out: {
    if ((length & (BigInt(iopt.iova_alignment) - 1n)) !== 0n || length === 0n) {
      rc = -EINVAL;
      break out;
    }
    if (flags & IOPT_ALLOC_IOVA) {
      const first = list[0] as iopt_pages_list;
      // Use the first entry to guess the ideal IOVA alignment: its user address, or its file offset (6.13+).
      const fp = first.pages as iopt_pages;
      const at = iopt_alloc_iova(k, iopt, BigInt((fp.file !== null ? fp.start : fp.uptr) + first.start_byte), length);
      if (typeof at === 'number') {
        rc = at;
        break out;
      }
      dst_iova.v = at;
    } else {
      rc = iopt_check_iova(iopt, dst_iova.v, length);
      if (rc) break out;
    }
    let iova = dst_iova.v;
    for (const elm of list) {
      rc = iopt_insert_area(k, iopt, elm.area as iopt_area, elm.pages as iopt_pages, iova, elm.start_byte, elm.length, iommu_prot);
      if (rc) break out;
      iova += elm.length;
    }
  }
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_alloc_area_pages`);
  return rc;
}

/**
 * iopt_map_pages(iopt, pages_list, length, dst_iova, iommu_prot, flags): insert areas, fill
 * every domain (pins here), then publish area->pages.
 */
export function* iopt_map_pages(k: Kctx, iopt: io_pagetable, list: iopt_pages_list[], length: bigint, dst_iova: { v: bigint }, iommu_prot: number, flags: number): KThread<number> {
  let rc = yield* iopt_alloc_area_pages(k, iopt, list, length, dst_iova, iommu_prot, flags);
  if (rc) return rc;
  yield* down_read(k, iopt.domains_rwsem, `${FILE}:iopt_map_pages`);
  out: {
    for (let i = 0; i < list.length; i++) {
      const elm = list[i] as iopt_pages_list;
      rc = yield* iopt_area_fill_domains(k, elm.area as iopt_area, elm.pages as iopt_pages);
      if (rc) {
        for (let j = 0; j < i; j++) {
          const u = list[j] as iopt_pages_list;
          yield* iopt_area_unfill_domains(k, u.area as iopt_area, u.pages as iopt_pages);
        }
        break out;
      }
    }
    yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_map_pages`);
    for (const elm of list) {
      (elm.area as iopt_area).pages = elm.pages;
      elm.pages = null;
      elm.area = null;
    }
    up_write(k, iopt.iova_rwsem, `${FILE}:iopt_map_pages`);
  }
  up_read(k, iopt.domains_rwsem, `${FILE}:iopt_map_pages`);
  return rc;
}

/**
 * iopt_map_user_pages(ictx, iopt, iova, uptr, length, iommu_prot, flags): an iopt_pages over
 * the user range (MM accounting if the context asks for it), mapped as one area.
 */
export function* iopt_map_user_pages(k: Kctx, ictx: iommufd_ctx, iopt: io_pagetable, iova: { v: bigint }, uptr: bigint, length: bigint, iommu_prot: number, flags: number): KThread<number> {
  const pages = iopt_alloc_pages(k, uptr, length, (iommu_prot & IOMMU_WRITE) !== 0);
  if (typeof pages === 'number') return pages;
  return yield* iopt_map_common(k, ictx, iopt, pages, iova, length, Number(uptr - BigInt(pages.uptr)), iommu_prot, flags);
}

/** iopt_map_common(): the context's accounting mode, then one area over the pages. */
function* iopt_map_common(k: Kctx, ictx: iommufd_ctx, iopt: io_pagetable, pages: iopt_pages, iova: { v: bigint }, length: bigint, start_byte: number, iommu_prot: number, flags: number): KThread<number> {
  if (ictx.account_mode === 'IOPT_PAGES_ACCOUNT_MM' && pages.account_mode === 'IOPT_PAGES_ACCOUNT_USER') pages.account_mode = 'IOPT_PAGES_ACCOUNT_MM';
  const list: iopt_pages_list[] = [{ pages, area: null, start_byte, length }];
  const rc = yield* iopt_map_pages(k, iopt, list, length, iova, iommu_prot, flags);
  if (rc) yield* iopt_free_pages_list(k, list);
  return rc;
}

/**
 * iopt_map_file_pages(ictx, iopt, iova, file, start, length, iommu_prot, flags) (6.13+): as
 * iopt_map_user_pages, for a file range by offset (IOMMU_IOAS_MAP_FILE).
 */
export function* iopt_map_file_pages(k: Kctx, ictx: iommufd_ctx, iopt: io_pagetable, iova: { v: bigint }, f: file, start: bigint, length: bigint, iommu_prot: number, flags: number): KThread<number> {
  const pages = iopt_alloc_file_pages(k, f, start, length, (iommu_prot & IOMMU_WRITE) !== 0);
  if (typeof pages === 'number') return pages;
  return yield* iopt_map_common(k, ictx, iopt, pages, iova, length, Number(start - BigInt(pages.start)), iommu_prot, flags);
}

/** iopt_get_pages(iopt, iova, length, list): references to the pages behind a contiguous run of areas. */
export function* iopt_get_pages(k: Kctx, iopt: io_pagetable, iova: bigint, length: bigint, list: iopt_pages_list[]): KThread<number> {
  if (length === 0n) return -EINVAL;
  const last_iova = iova + length - 1n;
  if (last_iova > ULONG_MAX) return -EOVERFLOW;
  yield* down_read(k, iopt.iova_rwsem, `${FILE}:iopt_get_pages`);
  let cur = iova;
  let rc = 0;
  // iopt_for_each_contig_area(): the first area may start before iova, every next one must
  // start where the previous ended, and all must be live (pages set).
  for (const area of iopt.areas) {
    if (area.last < cur) continue;
    const first = cur === iova;
    if ((first ? area.iova > cur : area.iova !== cur) || area.pages === null || cur > last_iova) break;
    const last = last_iova < area.last ? last_iova : area.last;
    const start_byte = area.first_index * PAGE_SIZE + area.page_offset + Number(cur - area.iova);
    area.pages.refs++;
    list.push({ pages: area.pages, area: null, start_byte, length: last - cur + 1n });
    cur = last + 1n;
    if (last === last_iova) break;
  }
  if (cur !== last_iova + 1n) rc = -ENOENT;
  up_read(k, iopt.iova_rwsem, `${FILE}:iopt_get_pages`);
  if (rc) yield* iopt_free_pages_list(k, list);
  return rc;
}

/**
 * iommufd_access_notify_unmap(iopt, iova, length) [device.c]: ask every access of the IOAS
 * to unpin what it holds in the range (the driver's unmap op).
 */
function* iommufd_access_notify_unmap(k: Kctx, iopt: io_pagetable, iova: bigint, length: bigint): KThread<void> {
  for (const access of [...iopt.access_list]) yield* access.unmap(k, access, iova, length);
}

/**
 * iopt_unmap_iova_range(iopt, start, last, unmapped): remove every area inside [start, last];
 * an area sticking out is -ENOENT, one still being built -EBUSY; areas with accesses are
 * first notified (up to 100 rounds, then -EDEADLOCK).
 */
function* iopt_unmap_iova_range(k: Kctx, iopt: io_pagetable, start: bigint, last: bigint, unmapped: { v: bigint }): KThread<number> {
  let bytes = 0n;
  let tries = 0;
  // PATCH(iommufd-compat-unmap-empty) afb47765f923: an empty range is success (IOAS_UNMAP says -ENOENT itself); -ENOENT before.
  const emptyOk = k.patch('iommufd-compat-unmap-empty');
  let rc = emptyOk ? 0 : -ENOENT;
  let failed = false;
  again: for (;;) {
    yield* down_read(k, iopt.domains_rwsem, `${FILE}:iopt_unmap_iova_range`);
    yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_unmap_iova_range`);
    let area: iopt_area | null;
    while ((area = iopt_area_iter_first(iopt, start, last)) !== null) {
      const first = area.iova;
      const area_last = area.last;
      if (area.pages === null) {
        rc = -EBUSY;
        failed = true;
        break;
      }
      if (first < start || area_last > last) {
        rc = -ENOENT;
        failed = true;
        break;
      }
      if (first !== start) tries = 0;
      if (area.num_accesses) {
        start = first;
        area.prevent_access = true;
        up_write(k, iopt.iova_rwsem, `${FILE}:iopt_unmap_iova_range`);
        up_read(k, iopt.domains_rwsem, `${FILE}:iopt_unmap_iova_range`);
        yield* iommufd_access_notify_unmap(k, iopt, first, area_last - first + 1n);
        tries++;
        if (WARN_ON(k, tries > 100, `${FILE}:iopt_unmap_iova_range`, 'an access does not respond to unmap')) {
          unmapped.v = bytes;
          return -EDEADLK;
        }
        continue again;
      }
      const pages = area.pages;
      area.pages = null;
      up_write(k, iopt.iova_rwsem, `${FILE}:iopt_unmap_iova_range`);
      yield* iopt_area_unfill_domains(k, area, pages);
      yield* iopt_abort_area(k, area);
      yield* iopt_put_pages(k, pages);
      bytes += area_last - first + 1n;
      yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_unmap_iova_range`);
      // PATCH(iommufd-unmap-advance-start) 8602018b1f17: search on past what was unmapped; before it the search
      // starts again at `start`, finding an area a concurrent map placed there while iova_rwsem was dropped.
      if (k.patch('iommufd-unmap-advance-start')) {
        if (area_last >= last) break;
        start = area_last + 1n;
      }
    }
    if (!emptyOk && !failed && bytes !== 0n) rc = 0;
    up_write(k, iopt.iova_rwsem, `${FILE}:iopt_unmap_iova_range`);
    up_read(k, iopt.domains_rwsem, `${FILE}:iopt_unmap_iova_range`);
    break;
  }
  unmapped.v = bytes;
  return rc;
}

/** iopt_unmap_iova(iopt, iova, length, unmapped): length 0 is -EINVAL, a wrap -EOVERFLOW. */
export function* iopt_unmap_iova(k: Kctx, iopt: io_pagetable, iova: bigint, length: bigint, unmapped: { v: bigint }): KThread<number> {
  if (length === 0n) return -EINVAL;
  const last = iova + length - 1n;
  if (last > ULONG_MAX) return -EOVERFLOW;
  return yield* iopt_unmap_iova_range(k, iopt, iova, last, unmapped);
}

/** iopt_unmap_all(): everything (an empty table is success). */
export function* iopt_unmap_all(k: Kctx, iopt: io_pagetable, unmapped: { v: bigint }): KThread<number> {
  const rc = yield* iopt_unmap_iova_range(k, iopt, 0n, ULONG_MAX, unmapped);
  // PATCH(iommufd-compat-unmap-empty): before it the range's -ENOENT for "nothing mapped" is turned into success here.
  if (!k.patch('iommufd-compat-unmap-empty') && rc === -ENOENT) return 0;
  return rc;
}

/** iopt_set_allow_iova(): replace the allowed ranges; any overlap with a reserved range is -EADDRINUSE. */
export function* iopt_set_allow_iova(k: Kctx, iopt: io_pagetable, allowed: iopt_range[]): KThread<number> {
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_set_allow_iova`);
  let rc = 0;
  for (const a of allowed) if (reserved_iter_first(iopt, a.start, a.last) !== null) rc = -EADDRINUSE;
  if (!rc) iopt.allowed = [...allowed].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_set_allow_iova`);
  return rc;
}

/** iopt_reserve_iova(iopt, start, last, owner): -EADDRINUSE over an area or an allowed range. Caller holds iova_rwsem. */
export function iopt_reserve_iova(iopt: io_pagetable, start: bigint, last: bigint, owner: unknown): number {
  if (iopt_area_iter_first(iopt, start, last) !== null || iopt.allowed.some((a) => overlaps(a.start, a.last, start, last))) return -EADDRINUSE;
  insert_sorted(iopt.reserved, { start, last, owner });
  return 0;
}

/** __iopt_remove_reserved_iova(iopt, owner) */
function remove_reserved(iopt: io_pagetable, owner: unknown): void {
  for (let i = iopt.reserved.length - 1; i >= 0; i--) if ((iopt.reserved[i] as iopt_range).owner === owner) iopt.reserved.splice(i, 1);
}

/** iopt_remove_reserved_iova(iopt, owner) */
export function* iopt_remove_reserved_iova(k: Kctx, iopt: io_pagetable, owner: unknown): KThread<void> {
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_remove_reserved_iova`);
  remove_reserved(iopt, owner);
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_remove_reserved_iova`);
}

/**
 * iopt_table_enforce_dev_resv_regions(iopt, dev): reserve the device's reserved regions
 * (direct-mapped and MSI windows) in the IOAS, owned by the device.
 */
export function* iopt_table_enforce_dev_resv_regions(k: Kctx, iopt: io_pagetable, group: iommu_group, owner: unknown): KThread<number> {
  if (iommufd_should_fail(k, 'drivers/iommu/iommufd/io_pagetable.c:iopt_table_enforce_dev_resv_regions:iommufd_should_fail')) return -EINVAL;
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_table_enforce_dev_resv_regions`);
  let rc = 0;
  for (const r of group.resv_regions) {
    if (r.type === IOMMU_RESV_DIRECT_RELAXABLE || r.type === IOMMU_RESV_SW_MSI) continue;
    if (r.type !== IOMMU_RESV_MSI && r.type !== IOMMU_RESV_DIRECT && r.type !== IOMMU_RESV_RESERVED) continue;
    rc = iopt_reserve_iova(iopt, BigInt(r.start), BigInt(r.start + r.length - 1), owner);
    if (rc) break;
  }
  if (rc) remove_reserved(iopt, owner);
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_table_enforce_dev_resv_regions`);
  return rc;
}

/** ffs of a page size bitmap: the smallest page size. */
function min_pgsize(domain: iommu_domain): number {
  let b = 1;
  while (b > 0 && (domain.pgsize_bitmap & b) === 0) b *= 2;
  return b;
}

/** iopt_fill_domain(iopt, domain): map every filled area into a new domain; unwind on failure. */
function* iopt_fill_domain(k: Kctx, iopt: io_pagetable, domain: iommu_domain): KThread<number> {
  const done: iopt_area[] = [];
  for (const area of iopt.areas) {
    const pages = area.pages;
    if (pages === null) continue;
    yield* mutex_lock(k, pages.mutex, `${FILE}:iopt_fill_domain`);
    const rc = yield* iopt_area_fill_domain(k, area, domain);
    if (rc) {
      mutex_unlock(k, pages.mutex, `${FILE}:iopt_fill_domain`);
      for (const a of done) {
        const p = a.pages as iopt_pages;
        yield* mutex_lock(k, p.mutex, `${FILE}:iopt_fill_domain`);
        if (iopt.domains.length === 0) {
          const i = p.domain_areas.indexOf(a);
          if (i >= 0) p.domain_areas.splice(i, 1);
          a.storage_domain = null;
        }
        yield* iopt_area_unfill_domain(k, a, p, domain);
        mutex_unlock(k, p.mutex, `${FILE}:iopt_fill_domain`);
      }
      return rc;
    }
    if (area.storage_domain === null) {
      area.storage_domain = domain;
      pages.domain_areas.push(area);
    }
    mutex_unlock(k, pages.mutex, `${FILE}:iopt_fill_domain`);
    done.push(area);
  }
  return 0;
}

/**
 * iopt_table_add_domain(iopt, domain): the domain's smallest page size becomes the IOVA
 * alignment (existing areas must conform: -EADDRINUSE), IOVAs outside its aperture are
 * reserved, and every area is mapped (and, for the first domain, pinned) into it.
 */
export function* iopt_table_add_domain(k: Kctx, iopt: io_pagetable, domain: iommu_domain): KThread<number> {
  yield* down_write(k, iopt.domains_rwsem, `${FILE}:iopt_table_add_domain`);
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_table_add_domain`);
  let rc = 0;
  out: {
    if (WARN_ON(k, iopt.domains.includes(domain), `${FILE}:iopt_table_add_domain`, 'domain added twice')) {
      rc = -EEXIST;
      break out;
    }
    const align = Math.max(min_pgsize(domain), iopt.iova_alignment);
    if (align > PAGE_SIZE) {
      rc = -EINVAL;
      break out;
    }
    if (align !== iopt.iova_alignment) {
      const mask = BigInt(align - 1);
      if (iopt.areas.some((a) => (a.iova & mask) !== 0n || ((a.last - a.iova + 1n) & mask) !== 0n || (BigInt(a.page_offset) & mask) !== 0n)) {
        rc = -EADDRINUSE;
        break out;
      }
    }
    const g = domain.geometry;
    if (g.aperture_start !== 0) rc = iopt_reserve_iova(iopt, 0n, BigInt(g.aperture_start) - 1n, domain);
    if (!rc && BigInt(g.aperture_end) !== ULONG_MAX) rc = iopt_reserve_iova(iopt, BigInt(g.aperture_end) + 1n, ULONG_MAX, domain);
    if (rc) {
      remove_reserved(iopt, domain);
      break out;
    }
    rc = yield* iopt_fill_domain(k, iopt, domain);
    if (rc) {
      remove_reserved(iopt, domain);
      break out;
    }
    iopt.iova_alignment = align;
    iopt.domains.push(domain);
  }
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_table_add_domain`);
  up_write(k, iopt.domains_rwsem, `${FILE}:iopt_table_add_domain`);
  return rc;
}

/**
 * iopt_table_remove_domain(iopt, domain): unmap every area from it; when it was the storage
 * domain of an area, another domain takes over, or (the last domain) the pages are unpinned.
 */
export function* iopt_table_remove_domain(k: Kctx, iopt: io_pagetable, domain: iommu_domain): KThread<void> {
  yield* down_write(k, iopt.domains_rwsem, `${FILE}:iopt_table_remove_domain`);
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_table_remove_domain`);
  const i = iopt.domains.indexOf(domain);
  if (i >= 0) {
    iopt.domains.splice(i, 1);
    // iopt_unfill_domain()
    for (const area of iopt.areas) {
      const pages = area.pages;
      if (pages === null) continue;
      yield* mutex_lock(k, pages.mutex, `${FILE}:iopt_unfill_domain`);
      if (iopt.domains.length === 0) {
        const j = pages.domain_areas.indexOf(area);
        if (j >= 0) pages.domain_areas.splice(j, 1);
        area.storage_domain = null;
        yield* iopt_area_unfill_domain(k, area, pages, domain);
      } else {
        if (area.storage_domain === domain) area.storage_domain = iopt.domains[0] as iommu_domain;
        iopt_area_unmap_domain_range(k, area, domain, area.first_index, area.last_index);
      }
      mutex_unlock(k, pages.mutex, `${FILE}:iopt_unfill_domain`);
    }
    remove_reserved(iopt, domain);
    iopt.iova_alignment = 1;
    WARN_ON(k, iopt_calculate_iova_alignment(iopt) !== 0, `${FILE}:iopt_table_remove_domain`, 'alignment');
  }
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_table_remove_domain`);
  up_write(k, iopt.domains_rwsem, `${FILE}:iopt_table_remove_domain`);
}

/**
 * iopt_calculate_iova_alignment(): PAGE_SIZE with huge pages disabled (else 1), raised to
 * every domain's smallest page size; a rise existing areas do not conform to is -EADDRINUSE.
 */
function iopt_calculate_iova_alignment(iopt: io_pagetable): number {
  let align = iopt.disable_large_pages ? PAGE_SIZE : 1;
  for (const d of iopt.domains) align = Math.max(align, min_pgsize(d));
  for (const a of iopt.access_list) align = Math.max(align, a.iova_alignment);
  if (align > iopt.iova_alignment) {
    const mask = BigInt(align - 1);
    if (iopt.areas.some((a) => (a.iova & mask) !== 0n || ((a.last - a.iova + 1n) & mask) !== 0n || (BigInt(a.page_offset) & mask) !== 0n)) return -EADDRINUSE;
  }
  iopt.iova_alignment = align;
  return 0;
}

/** iopt_disable_large_pages(): refused (-EINVAL) once domains have mappings. */
export function* iopt_disable_large_pages(k: Kctx, iopt: io_pagetable): KThread<number> {
  yield* down_write(k, iopt.domains_rwsem, `${FILE}:iopt_disable_large_pages`);
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_disable_large_pages`);
  let rc = 0;
  if (!iopt.disable_large_pages) {
    if (iopt.domains.length > 0 && iopt.areas.length > 0) rc = -EINVAL;
    else {
      iopt.disable_large_pages = true;
      rc = iopt_calculate_iova_alignment(iopt);
      if (rc) iopt.disable_large_pages = false;
    }
  }
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_disable_large_pages`);
  up_write(k, iopt.domains_rwsem, `${FILE}:iopt_disable_large_pages`);
  return rc;
}

/** iopt_enable_large_pages() */
export function* iopt_enable_large_pages(k: Kctx, iopt: io_pagetable): KThread<void> {
  yield* down_write(k, iopt.domains_rwsem, `${FILE}:iopt_enable_large_pages`);
  yield* down_write(k, iopt.iova_rwsem, `${FILE}:iopt_enable_large_pages`);
  iopt.disable_large_pages = false;
  WARN_ON(k, iopt_calculate_iova_alignment(iopt) !== 0, `${FILE}:iopt_enable_large_pages`, 'alignment');
  up_write(k, iopt.iova_rwsem, `${FILE}:iopt_enable_large_pages`);
  up_write(k, iopt.domains_rwsem, `${FILE}:iopt_enable_large_pages`);
}

/** The area containing iova whose pages are live, for access pins (iopt_area_contig_init). */
export function iopt_area_at(iopt: io_pagetable, iova: bigint): iopt_area | null {
  for (const a of iopt.areas) if (a.iova <= iova && iova <= a.last && a.pages !== null && !a.prevent_access) return a;
  return null;
}

export { PAGE };
