/**
 * drivers/iommu/iommufd/pages.c (Debian linux-source-6.12 6.12.118): iopt_pages, the pfn
 * reader that fills IOMMU domains, pinning, and accounting.
 *
 * Pinning: user pages are pinned only when something needs their pfns — a domain being
 * filled (IOAS_MAP with a device attached, or a device attaching to an IOAS that already
 * has areas) or an access (iommufd_access_pin_pages). Each page index of an iopt_pages is
 * pinned once, however many domains or accesses use it: the reader takes pfns, in order of
 * preference, from the pinned_pfns xarray (indexes an access holds), from the storage domain
 * of an area already filled (iommu_iova_to_phys), and only for the remaining holes from the
 * process — pin_user_pages_fast() when the caller runs in the source mm, otherwise
 * pin_user_pages_remote(FOLL_LONGTERM, &locked) with mmap_read_lock held and droppable.
 *
 * Accounting (do_update_pinned): after the whole range was pinned and mapped, the change in
 * npinned is charged at once — user->locked_vm against the source task's RLIMIT_MEMLOCK
 * (IOPT_PAGES_ACCOUNT_USER, the default), mm->locked_vm through __account_locked_vm
 * (IOPT_PAGES_ACCOUNT_MM: the VFIO compat container, or IOMMU_OPTION_RLIMIT_MODE = 1), or
 * nothing (IOPT_PAGES_ACCOUNT_NONE: the mapping task had CAP_IPC_LOCK) — and mm->pinned_vm
 * grows in every mode. Over the limit, the error unwind unpins everything just pinned and
 * unmaps it again: the limit bites after the pinning, never before.
 *
 * Locking contract: pages->mutex around every fill/unfill/access change; the reader holds
 * mmap_read_lock of a remote source_mm across pin calls (GUP may drop it: `locked`), and
 * drops it before taking mmap_write_lock for MM accounting.
 *
 * MODEL: the batch is the pfns of up to PFN_BATCH_PAGES consecutive indexes (the kernel's
 * batch holds up to a temp_kmalloc's worth of contiguous runs); user pins are requested in
 * chunks of at most UPAGES_MAX pages (the 64 KiB temp_kmalloc of page pointers).
 */
import type { KThread } from '../../../../sched/index.js';
import { Mutex } from '../../../../sched/index.js';
import type { Kctx } from '../../../kctx.js';
import { WARN_ON } from '../../../include/linux/bug.js';
import { EFAULT, EINVAL, ENOMEM, EOVERFLOW, EPERM } from '../../../include/uapi/linux/errno.js';
import { PAGE_SHIFT, PAGE_SIZE } from '../../../include/linux/mm_types.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK, capable, get_current, task_rlimit } from '../../../include/linux/sched.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../include/linux/foll.js';
import { down_read, up_read, down_write, up_write } from '../../../kernel/locking/rwsem.js';
import { mutex_lock, mutex_unlock } from '../../../kernel/locking/mutex.js';
import { mmdrop, mmget_not_zero, mmgrab, mmput } from '../../../kernel/fork.js';
import type { int_ptr, page_array } from '../../../mm/gup.js';
import { pin_user_pages_remote, unpin_user_page_range_dirty_lock, unpin_user_pages } from '../../../mm/gup.js';
import { pin_user_pages_fast } from '../../../mm/gup_fast.js';
import { memfd_pin_folios } from '../../../mm/gup_memfd.js';
import type { file } from '../../../include/linux/fs.js';
import { fput, get_file } from '../../../include/linux/fs.js';
import { unpin_pages_run } from '../../../mm/gup_speed.js';
import { __account_locked_vm } from '../../../mm/util.js';
import { current_user } from '../../../io_uring/io_uring.js';
import type { iommu_domain } from '../iommu.js';
import { iommu_iova_to_pfns, iommu_iova_to_phys, iommu_map, iommu_unmap } from '../iommu.js';
import type { iopt_area, iopt_pages } from './iommufd_private.js';
import { iommufd_should_fail } from './iommufd_private.js';
import { should_fail } from '../../../include/linux/fault_inject.js';

const FILE = 'drivers/iommu/iommufd/pages.c';

/** TEMP_MEMORY_LIMIT (64 KiB) / sizeof(struct page *). */
export const UPAGES_MAX = 65536 / 8;
/** MODEL: indexes per batch. */
export const PFN_BATCH_PAGES = 8192;

// ---- iopt_pages ------------------------------------------------------------------------------

/**
 * iopt_alloc_pages(uptr, length, writable): -EINVAL for a zero or huge length, -EOVERFLOW when
 * uptr + length wraps; the source is current's mm, group leader and user; CAP_IPC_LOCK at
 * this moment selects IOPT_PAGES_ACCOUNT_NONE, otherwise USER.
 */
export function iopt_alloc_pages(k: Kctx, uptr: bigint, length: bigint, writable: boolean): iopt_pages | number {
  if (length > (1n << 64n) - 1n - BigInt(PAGE_SIZE) || length === 0n) return -EINVAL;
  if (uptr + length > (1n << 64n) - 1n) return -EOVERFLOW;
  const task = get_current(k);
  const mm = task.mm;
  if (mm === null) return -EFAULT;
  if (should_fail(k, 'drivers/iommu/iommufd/pages.c:iopt_alloc_pages:kzalloc')) return -ENOMEM;
  const aligned = uptr - (uptr % BigInt(PAGE_SIZE));
  const npages = Number((length + (uptr - aligned) + BigInt(PAGE_SIZE) - 1n) / BigInt(PAGE_SIZE));
  mmgrab(mm);
  const id = k.m.nextId('iopt_pages');
  return {
    id, refs: 1, mutex: new Mutex(`pages->mutex(iopt_pages#${id})`), source_mm: mm, source_task: task.group_leader,
    source_user: current_user(k), type: 'IOPT_ADDRESS_USER', uptr: Number(aligned), file: null, start: 0, npages, writable,
    account_mode: capable(k, CAP_IPC_LOCK) ? 'IOPT_PAGES_ACCOUNT_NONE' : 'IOPT_PAGES_ACCOUNT_USER',
    npinned: 0, last_npinned: 0, domain_areas: [], accesses: [], pinned_pfns: new Map(),
  };
}

/**
 * iopt_alloc_file_pages(file, start, length, writable) (6.13+): an iopt_pages over a file range
 * by offset; start + length - 1 wrapping is -EOVERFLOW, a zero or huge length -EINVAL. It holds a
 * file reference; the source (charged, and moved by CHANGE_PROCESS) is still the current process.
 */
export function iopt_alloc_file_pages(k: Kctx, f: file, start: bigint, length: bigint, writable: boolean): iopt_pages | number {
  if (length !== 0n && start + length - 1n > (1n << 64n) - 1n) return -EOVERFLOW;
  const start_down = start - (start % BigInt(PAGE_SIZE));
  const pages = iopt_alloc_pages(k, start - start_down, length, writable);
  if (typeof pages === 'number') return pages;
  return { ...pages, type: 'IOPT_ADDRESS_FILE', uptr: 0, file: get_file(f), start: Number(start_down) };
}

/** iopt_put_pages(): the last reference frees it (nothing may still be pinned); a file's reference goes. */
export function* iopt_put_pages(k: Kctx, pages: iopt_pages): KThread<void> {
  pages.refs--;
  if (pages.refs > 0) return;
  WARN_ON(k, pages.domain_areas.length > 0 || pages.accesses.length > 0, `${FILE}:iopt_release_pages`, 'iopt_pages released while in use');
  WARN_ON(k, pages.npinned !== 0, `${FILE}:iopt_release_pages`, `iopt_pages#${pages.id} released with ${pages.npinned} pages pinned`);
  mmdrop(k.m, pages.source_mm);
  if (pages.file !== null) yield* fput(k, pages.file);
}

/** Is page index `i` held by an access (1), by a filled area's domain (2), or by nothing (0)? */
function index_used(pages: iopt_pages, i: number): 0 | 1 | 2 {
  for (const a of pages.accesses) if (a.first <= i && i <= a.last) return 1;
  for (const ar of pages.domain_areas) if (ar.first_index <= i && i <= ar.last_index) return 2;
  return 0;
}

/** The end (inclusive, ≤ last) of the run of indexes from `i` with the same index_used() kind. */
function span_last(pages: iopt_pages, i: number, last: number): number {
  const kind = index_used(pages, i);
  let end = last;
  // A run ends where a range of a higher-priority kind starts, or where this kind's cover ends.
  for (const a of pages.accesses) if (a.first > i && a.first <= end && kind !== 1) end = a.first - 1;
  for (const ar of pages.domain_areas) if (ar.first_index > i && ar.first_index <= end && kind === 0) end = ar.first_index - 1;
  if (kind === 1) {
    let cover = i;
    for (let moved = true; moved;) {
      moved = false;
      for (const a of pages.accesses) if (a.first <= cover + 1 && a.last > cover) { cover = a.last; moved = true; }
    }
    end = Math.min(end, cover);
  } else if (kind === 2) {
    let cover = i;
    for (let moved = true; moved;) {
      moved = false;
      for (const ar of pages.domain_areas) if (ar.first_index <= cover + 1 && ar.last_index > cover) { cover = ar.last_index; moved = true; }
    }
    end = Math.min(end, cover);
  }
  return end;
}

/** iopt_area_index_to_iova(area, index): the IOVA of a page index (the first page may start mid-page). */
export function iopt_area_index_to_iova(area: iopt_area, index: number): number {
  if (index === area.first_index) return Number(area.iova);
  return Number(area.iova) - area.page_offset + (index - area.first_index) * PAGE_SIZE;
}

/** The filled area of `pages` covering index (iopt_pages_find_domain_area). */
function find_domain_area(pages: iopt_pages, index: number): iopt_area | null {
  for (const ar of pages.domain_areas) if (ar.first_index <= index && index <= ar.last_index) return ar;
  return null;
}

// ---- accounting ------------------------------------------------------------------------------

function memlock_limit_pages(pages: iopt_pages): number {
  const lim = task_rlimit(pages.source_task, RLIMIT_MEMLOCK);
  return lim === Number.POSITIVE_INFINITY ? lim : Math.floor(lim / 2 ** PAGE_SHIFT);
}

/** pfn_reader_user: the state of the user pinning side of a reader. */
export interface pfn_reader_user {
  upages: page_array;
  upages_start: number;
  upages_end: number;
  /** -1: no mm reference; 0: mmget only; 1: mmget and mmap_read_lock. */
  locked: int_ptr;
  gup_flags: number;
}

/**
 * update_mm_locked_vm(): drop the reader's mmap_read_lock (if held), then charge
 * mm->locked_vm under mmap_write_lock against the source task's limit.
 */
function* update_mm_locked_vm(k: Kctx, pages: iopt_pages, npages: number, inc: boolean, user: pfn_reader_user | null): KThread<number> {
  let do_put = false;
  const mm = pages.source_mm;
  if (user !== null && user.locked.v === 1) {
    up_read(k, mm.mmap_lock, `${FILE}:update_mm_locked_vm`);
    user.locked.v = 0;
  } else if ((user === null || user.locked.v === -1) && mm !== get_current(k).mm) {
    if (!mmget_not_zero(mm)) return -EINVAL;
    do_put = true;
  }
  yield* down_write(k, mm.mmap_lock, `${FILE}:update_mm_locked_vm`);
  const rc = __account_locked_vm(k, mm, npages, inc, pages.source_task, false);
  up_write(k, mm.mmap_lock, `${FILE}:update_mm_locked_vm`);
  if (do_put) yield* mmput(k, mm);
  return rc;
}

/** do_update_pinned(): charge or uncharge npages by the account mode; pinned_vm follows. */
function* do_update_pinned(k: Kctx, pages: iopt_pages, npages: number, inc: boolean, user: pfn_reader_user | null): KThread<number> {
  let rc = 0;
  switch (pages.account_mode) {
    case 'IOPT_PAGES_ACCOUNT_NONE':
      break;
    case 'IOPT_PAGES_ACCOUNT_USER':
      // incr_user_locked_vm / decr_user_locked_vm: the per-user counter io_uring also charges.
      if (inc) {
        if (pages.source_user.locked_vm + npages > memlock_limit_pages(pages)) rc = -ENOMEM;
        else pages.source_user.locked_vm += npages;
      } else if (!WARN_ON(k, pages.source_user.locked_vm < npages, `${FILE}:decr_user_locked_vm`, 'user locked_vm underflow', 'locked_vm')) {
        pages.source_user.locked_vm -= npages;
      }
      break;
    case 'IOPT_PAGES_ACCOUNT_MM':
      rc = yield* update_mm_locked_vm(k, pages, npages, inc, user);
      break;
  }
  k.m.event(k.tid, inc ? 'iommufd-charge' : 'iommufd-uncharge', [`iopt_pages:${pages.id}`, `mm:${pages.source_mm.id}`], `${FILE}:do_update_pinned`, { npages, rc, mode: pages.account_mode });
  if (rc) return rc;
  pages.last_npinned = pages.npinned;
  pages.source_mm.pinned_vm += inc ? npages : -npages;
  return 0;
}

/** iopt_pages_update_pinned() (6.13+: do_update_pinned exported for IOMMU_IOAS_CHANGE_PROCESS). */
export function* iopt_pages_update_pinned(k: Kctx, pages: iopt_pages, npages: number, inc: boolean): KThread<number> {
  return yield* do_update_pinned(k, pages, npages, inc, null);
}

/** update_unpinned(): uncharge what was unpinned since the last update. */
function* update_unpinned(k: Kctx, pages: iopt_pages): KThread<void> {
  if (WARN_ON(k, pages.npinned > pages.last_npinned, `${FILE}:update_unpinned`, 'npinned grew without accounting')) return;
  if (pages.npinned === pages.last_npinned) return;
  yield* do_update_pinned(k, pages, pages.last_npinned - pages.npinned, false, null);
}

/** pfn_reader_user_update_pinned(): charge (or uncharge) the change since the last update. */
function* pfn_reader_user_update_pinned(k: Kctx, user: pfn_reader_user, pages: iopt_pages): KThread<number> {
  if (pages.npinned === pages.last_npinned) return 0;
  if (pages.npinned < pages.last_npinned) return yield* do_update_pinned(k, pages, pages.last_npinned - pages.npinned, false, user);
  if (iommufd_should_fail(k, 'drivers/iommu/iommufd/pages.c:pfn_reader_user_update_pinned:iommufd_should_fail')) return -ENOMEM;
  return yield* do_update_pinned(k, pages, pages.npinned - pages.last_npinned, true, user);
}

// ---- the pfn reader ----------------------------------------------------------------------------

/** struct pfn_reader: the batch is pfns[i] for indexes [batch_start_index, batch_end_index). */
export interface pfn_reader {
  readonly pages: iopt_pages;
  batch_start_index: number;
  batch_end_index: number;
  readonly last_index: number;
  batch: number[];
  readonly user: pfn_reader_user;
}

function pfn_reader_init(pages: iopt_pages, start_index: number, last_index: number): pfn_reader {
  return {
    pages, batch_start_index: start_index, batch_end_index: start_index, last_index, batch: [],
    user: { upages: [], upages_start: 0, upages_end: 0, locked: { v: -1 }, gup_flags: FOLL_LONGTERM | (pages.writable ? FOLL_WRITE : 0) },
  };
}

/**
 * pfn_reader_user_pin(): pin [start_index, last_index] (at most UPAGES_MAX pages) from the
 * source mm: gup-fast in the source mm, else pin_user_pages_remote with a droppable lock.
 */
function* pfn_reader_user_pin(k: Kctx, user: pfn_reader_user, pages: iopt_pages, start_index: number, last_index: number): KThread<number> {
  const remote_mm = pages.source_mm !== get_current(k).mm;
  const file = pages.file;
  if (user.locked.v === -1) {
    // A file is pinned by offset: no mm reference, no mmap_lock.
    if (file === null && remote_mm && !mmget_not_zero(pages.source_mm)) return -EFAULT;
    user.locked.v = 0;
  }
  if (iommufd_should_fail(k, 'drivers/iommu/iommufd/pages.c:pfn_reader_user_pin:iommufd_should_fail')) return -EFAULT;
  const npages = Math.min(last_index - start_index + 1, UPAGES_MAX);
  const uptr = pages.uptr + start_index * PAGE_SIZE;
  let upages: page_array = new Array<number | null>(npages).fill(null);
  let rc: number;
  if (file !== null) {
    // pin_memfd_pages(): memfd_pin_folios() of the pages' file offsets.
    const start = pages.start + start_index * PAGE_SIZE;
    const r = memfd_pin_folios(k, file, start, start + npages * PAGE_SIZE - 1, npages);
    if (typeof r === 'number') rc = r;
    else {
      upages = r;
      rc = r.length;
    }
  } else if (!remote_mm) {
    rc = yield* pin_user_pages_fast(k, uptr, npages, user.gup_flags, upages);
  } else {
    if (user.locked.v === 0) {
      yield* down_read(k, pages.source_mm.mmap_lock, `${FILE}:pfn_reader_user_pin`);
      user.locked.v = 1;
    }
    rc = yield* pin_user_pages_remote(k, pages.source_mm, uptr, npages, user.gup_flags, upages, null, user.locked);
  }
  if (rc <= 0) {
    if (WARN_ON(k, rc === 0, `${FILE}:pfn_reader_user_pin`, 'pin returned 0')) return -EFAULT;
    return rc;
  }
  pages.npinned += rc;
  user.upages = upages;
  user.upages_start = start_index;
  user.upages_end = start_index + rc;
  return 0;
}

/** pfn_reader_next(): load the next batch of pfns (xarray, then domain, then user pins). */
function* pfn_reader_next(k: Kctx, r: pfn_reader): KThread<number> {
  r.batch = [];
  r.batch_start_index = r.batch_end_index;
  const pages = r.pages;
  while (r.batch_end_index !== r.last_index + 1 && r.batch.length < PFN_BATCH_PAGES) {
    const i = r.batch_end_index;
    const kind = index_used(pages, i);
    const room = PFN_BATCH_PAGES - r.batch.length;
    let end = Math.min(span_last(pages, i, r.last_index), i + room - 1);
    if (kind === 1) {
      for (let j = i; j <= end; j++) r.batch.push(pages.pinned_pfns.get(j) ?? 0);
    } else if (kind === 2) {
      const area = find_domain_area(pages, i);
      if (WARN_ON(k, area === null || area.storage_domain === null, `${FILE}:pfn_reader_fill_span`, 'no domain area') || area === null || area.storage_domain === null) return -EINVAL;
      end = Math.min(end, area.last_index);
      for (let j = i; j <= end; j++) r.batch.push(Math.floor(iommu_iova_to_phys(area.storage_domain, iopt_area_index_to_iova(area, j)) / PAGE_SIZE));
    } else {
      if (i >= r.user.upages_end) {
        const rc = yield* pfn_reader_user_pin(k, r.user, pages, i, end);
        if (rc) return rc;
      }
      end = Math.min(end, r.user.upages_end - 1);
      for (let j = i; j <= end; j++) r.batch.push(r.user.upages[j - r.user.upages_start] as number);
    }
    r.batch_end_index = end + 1;
  }
  return 0;
}

/** Unpin indexes [first, last] of `pfns` (starting at index `base`) that nothing else holds. */
function unpin_unused(k: Kctx, pages: iopt_pages, base: number, pfns: ArrayLike<number>, first: number, last: number): void {
  for (let i = first; i <= last;) {
    if (index_used(pages, i) !== 0) {
      i++;
      continue;
    }
    // MODEL (speed only): a run of unused indexes (span_last(): every index up to it is unused
    // too) whose pfns follow each other; unpin_pages_run() unpins what it can of it at once (as
    // the calls one by one would), the rest one by one.
    const unused = span_last(pages, i, last);
    const p0 = pfns[i - base];
    let n = 1;
    while (i + n <= unused && pfns[i + n - base] === p0 + n) n++;
    const done = unpin_pages_run(k, p0, n, pages.writable);
    for (let j = done; j < n; j++) unpin_user_page_range_dirty_lock(k, pfns[i + j - base], 1, pages.writable);
    pages.npinned -= n;
    i += n;
  }
}

/** pfn_reader_release_pins(): unpin what the reader pinned and did not hand over. */
function pfn_reader_release_pins(k: Kctx, r: pfn_reader): void {
  const pages = r.pages;
  if (r.user.upages_end > r.batch_end_index) {
    const n = r.user.upages_end - r.batch_end_index;
    unpin_user_pages(k, r.user.upages.slice(r.batch_end_index - r.user.upages_start), n);
    pages.npinned -= n;
    r.user.upages_end = r.batch_end_index;
  }
  if (r.batch_start_index !== r.batch_end_index) {
    unpin_unused(k, pages, r.batch_start_index, r.batch, r.batch_start_index, r.batch_end_index - 1);
    r.batch_start_index = r.batch_end_index;
  }
}

/** pfn_reader_destroy(): release pins, drop the mm lock and reference. */
function* pfn_reader_destroy(k: Kctx, r: pfn_reader): KThread<void> {
  pfn_reader_release_pins(k, r);
  const pages = r.pages;
  if (r.user.locked.v !== -1) {
    if (r.user.locked.v === 1) up_read(k, pages.source_mm.mmap_lock, `${FILE}:pfn_reader_user_destroy`);
    if (pages.file === null && pages.source_mm !== get_current(k).mm) yield* mmput(k, pages.source_mm);
    r.user.locked.v = -1;
  }
  WARN_ON(k, pages.last_npinned !== pages.npinned, `${FILE}:pfn_reader_destroy`, `iopt_pages#${pages.id}: npinned ${pages.npinned} != last_npinned ${pages.last_npinned}`);
}

// ---- domains -----------------------------------------------------------------------------------

/** batch_to_domain(): map the batch's pfns at the area's IOVAs (contiguous runs; 4 KiB only with huge pages disabled). */
function batch_to_domain(k: Kctx, r: pfn_reader, domain: iommu_domain, area: iopt_area, small: boolean): number {
  const n = r.batch.length;
  let i = 0;
  while (i < n) {
    let run = 1;
    if (!small) while (i + run < n && r.batch[i + run] === (r.batch[i] as number) + run) run++;
    const index = r.batch_start_index + i;
    const rc = iommu_map(k, domain, iopt_area_index_to_iova(area, index), (r.batch[i] as number) * PAGE_SIZE, run * PAGE_SIZE, area.iommu_prot);
    if (rc) {
      if (i > 0) iommu_unmap(k, domain, iopt_area_index_to_iova(area, r.batch_start_index), i * PAGE_SIZE);
      return rc;
    }
    i += run;
  }
  return 0;
}

/** Unmap [first, last] of an area from one domain (iopt_area_unmap_domain_range). */
export function iopt_area_unmap_domain_range(k: Kctx, area: iopt_area, domain: iommu_domain, first: number, last: number): void {
  if (last < first) return;
  const start = iopt_area_index_to_iova(area, first);
  iommu_unmap(k, domain, start, (last - first + 1) * PAGE_SIZE);
}

/**
 * Read the pfns of [first, last] back from a domain (batch_from_domain) into `out` (0 where
 * nothing is mapped).
 */
function pfns_from_domain(area: iopt_area, domain: iommu_domain, first: number, last: number, out: Float64Array): void {
  // PERF: iommu_iova_to_pfns() reads iommu_iova_to_phys() / PAGE_SIZE for a run of pages at once
  // (the IOVA of index i is the page of the area's first IOVA plus i - first_index pages).
  const n = last - first + 1;
  const base = Number(area.iova) - area.page_offset;
  iommu_iova_to_pfns(domain, base + (first - area.first_index) * PAGE_SIZE, n, out, 0);
  for (let j = 0; j < n; j++) if (out[j] < 0) out[j] = 0;
}

/**
 * __iopt_area_unfill_domain(area, pages, domain, last_index): unmap [first, last_index] from
 * the domain and unpin the pages nothing else holds; then uncharge.
 */
function* __iopt_area_unfill_domain(k: Kctx, area: iopt_area, pages: iopt_pages, domain: iommu_domain, last_index: number): KThread<void> {
  // A chunk of indexes at a time (the kernel reads a batch back, unmaps it and unpins it, batch
  // after batch): the same pfns read, the same IOVAs unmapped and the same pages unpinned, with
  // bounded scratch memory.
  const pfns = new Float64Array(Math.min(UNFILL_CHUNK, Math.max(0, last_index - area.first_index + 1)));
  for (let first = area.first_index; first <= last_index; first += UNFILL_CHUNK) {
    const last = Math.min(last_index, first + UNFILL_CHUNK - 1);
    pfns_from_domain(area, domain, first, last, pfns);
    iopt_area_unmap_domain_range(k, area, domain, first, last);
    unpin_unused(k, pages, first, pfns, first, last);
  }
  yield* update_unpinned(k, pages);
}

/** Indexes __iopt_area_unfill_domain() reads back, unmaps and unpins at a time. */
const UNFILL_CHUNK = 1 << 16;

/**
 * The failure path shared by iopt_area_fill_domain(s): release the reader's pins, unmap
 * what reached each domain and unpin what nothing else holds.
 */
function* fill_unwind(k: Kctx, r: pfn_reader, area: iopt_area, domains: readonly iommu_domain[], done_end_index: number, failed_at: number): KThread<void> {
  const pages = r.pages;
  // The current batch may be mapped in the domains before the failing one.
  for (let d = 0; d < failed_at && d < domains.length; d++) {
    if (r.batch_end_index > r.batch_start_index) iopt_area_unmap_domain_range(k, area, domains[d] as iommu_domain, r.batch_start_index, r.batch_end_index - 1);
  }
  pfn_reader_release_pins(k, r);
  for (let d = 0; d < domains.length; d++) {
    const dom = domains[d] as iommu_domain;
    if (d !== domains.length - 1) iopt_area_unmap_domain_range(k, area, dom, area.first_index, done_end_index - 1);
    else yield* __iopt_area_unfill_domain(k, area, pages, dom, done_end_index - 1);
  }
}

/**
 * iopt_area_fill_domains(area, pages): pin the area's pages and map them into every domain
 * of its IOAS; charge; on success the area joins domains_itree with the first domain as its
 * storage domain. On failure every domain is left as it was. Caller holds domains_rwsem.
 */
export function* iopt_area_fill_domains(k: Kctx, area: iopt_area, pages: iopt_pages): KThread<number> {
  const iopt = area.iopt;
  if (iopt === null || iopt.domains.length === 0) return 0;
  const domains = [...iopt.domains];
  yield* mutex_lock(k, pages.mutex, `${FILE}:iopt_area_fill_domains`);
  const r = pfn_reader_init(pages, area.first_index, area.last_index);
  let rc = yield* pfn_reader_next(k, r);
  let done = area.first_index;
  out: {
    if (rc) {
      yield* fill_unwind(k, r, area, domains, done, 0);
      break out;
    }
    while (r.batch_start_index !== r.last_index + 1) {
      for (let d = 0; d < domains.length; d++) {
        rc = batch_to_domain(k, r, domains[d] as iommu_domain, area, iopt.disable_large_pages);
        if (rc) {
          yield* fill_unwind(k, r, area, domains, done, d);
          break out;
        }
      }
      done = r.batch_end_index;
      rc = yield* pfn_reader_next(k, r);
      if (rc) {
        yield* fill_unwind(k, r, area, domains, done, 0);
        break out;
      }
    }
    rc = yield* pfn_reader_user_update_pinned(k, r.user, pages);
    if (rc) {
      yield* fill_unwind(k, r, area, domains, done, 0);
      break out;
    }
    area.storage_domain = domains[0] as iommu_domain;
    pages.domain_areas.push(area);
  }
  yield* pfn_reader_destroy(k, r);
  mutex_unlock(k, pages.mutex, `${FILE}:iopt_area_fill_domains`);
  k.m.event(k.tid, 'iommufd-fill', [`iopt_pages:${pages.id}`, `area:${area.id}`], `${FILE}:iopt_area_fill_domains`, { rc, npinned: pages.npinned });
  return rc;
}

/**
 * iopt_area_fill_domain(area, domain): map an existing area into one new domain (a device
 * attaching to an IOAS with mappings). Caller holds pages->mutex.
 */
export function* iopt_area_fill_domain(k: Kctx, area: iopt_area, domain: iommu_domain): KThread<number> {
  const pages = area.pages as iopt_pages;
  const r = pfn_reader_init(pages, area.first_index, area.last_index);
  let rc = yield* pfn_reader_next(k, r);
  let done = area.first_index;
  out: {
    if (rc) break out;
    while (r.batch_start_index !== r.last_index + 1) {
      rc = batch_to_domain(k, r, domain, area, area.iopt?.disable_large_pages ?? false);
      if (rc) break out;
      done = r.batch_end_index;
      rc = yield* pfn_reader_next(k, r);
      if (rc) break out;
    }
    rc = yield* pfn_reader_user_update_pinned(k, r.user, pages);
  }
  if (rc) yield* fill_unwind(k, r, area, [domain], done, 0);
  yield* pfn_reader_destroy(k, r);
  return rc;
}

/** iopt_area_unfill_domain(area, pages, domain): unmap the whole area from a domain and unpin. */
export function* iopt_area_unfill_domain(k: Kctx, area: iopt_area, pages: iopt_pages, domain: iommu_domain): KThread<void> {
  yield* __iopt_area_unfill_domain(k, area, pages, domain, area.last_index);
}

/**
 * iopt_area_unfill_domains(area, pages): unmap the area from every domain, leave
 * domains_itree, unpin what nothing else holds. Caller holds domains_rwsem.
 */
export function* iopt_area_unfill_domains(k: Kctx, area: iopt_area, pages: iopt_pages): KThread<void> {
  const iopt = area.iopt;
  yield* mutex_lock(k, pages.mutex, `${FILE}:iopt_area_unfill_domains`);
  if (area.storage_domain !== null && iopt !== null) {
    for (const d of iopt.domains) if (d !== area.storage_domain) iopt_area_unmap_domain_range(k, area, d, area.first_index, area.last_index);
    const i = pages.domain_areas.indexOf(area);
    if (i >= 0) pages.domain_areas.splice(i, 1);
    yield* iopt_area_unfill_domain(k, area, pages, area.storage_domain);
    area.storage_domain = null;
  }
  mutex_unlock(k, pages.mutex, `${FILE}:iopt_area_unfill_domains`);
}

// ---- accesses ----------------------------------------------------------------------------------

/**
 * iopt_area_add_access(area, start_index, last_index, out_pages, flags): pin [start, last]
 * for an access (pfns from a domain if the area is filled, else from the process) and hold
 * them in pinned_pfns. Returns 0 or -errno; on success out_pages has the pfns.
 */
export function* iopt_area_add_access(k: Kctx, area: iopt_area, start_index: number, last_index: number, out_pages: number[], write: boolean): KThread<number> {
  const pages = area.pages;
  if (pages === null) return -EINVAL;
  if (write && !pages.writable) return -EPERM;
  yield* mutex_lock(k, pages.mutex, `${FILE}:iopt_area_add_access`);
  let rc = 0;
  const exact = pages.accesses.find((a) => a.first === start_index && a.last === last_index);
  if (exact !== undefined) {
    exact.users++;
    for (let i = start_index; i <= last_index; i++) out_pages.push(pages.pinned_pfns.get(i) ?? 0);
  } else {
    const r = pfn_reader_init(pages, start_index, last_index);
    const got: number[] = [];
    rc = yield* pfn_reader_next(k, r);
    while (!rc && r.batch_start_index !== r.last_index + 1) {
      got.push(...r.batch);
      rc = yield* pfn_reader_next(k, r);
    }
    if (!rc) rc = yield* pfn_reader_user_update_pinned(k, r.user, pages);
    if (rc) {
      pfn_reader_release_pins(k, r);
      unpin_unused(k, pages, start_index, got, start_index, start_index + got.length - 1);
      yield* update_unpinned(k, pages);
    } else {
      got.push(...r.batch);
      r.batch = [];
      r.batch_start_index = r.batch_end_index;
      for (let i = start_index; i <= last_index; i++) pages.pinned_pfns.set(i, got[i - start_index] as number);
      pages.accesses.push({ first: start_index, last: last_index, users: 1 });
      area.num_accesses++;
      out_pages.push(...got);
    }
    yield* pfn_reader_destroy(k, r);
  }
  mutex_unlock(k, pages.mutex, `${FILE}:iopt_area_add_access`);
  return rc;
}

/** iopt_area_remove_access(area, start_index, last_index): drop an access's hold; unpin what nothing holds. */
export function* iopt_area_remove_access(k: Kctx, area: iopt_area, start_index: number, last_index: number): KThread<void> {
  const pages = area.pages;
  if (pages === null) return;
  yield* mutex_lock(k, pages.mutex, `${FILE}:iopt_area_remove_access`);
  const i = pages.accesses.findIndex((a) => a.first === start_index && a.last === last_index);
  if (!WARN_ON(k, i < 0, `${FILE}:iopt_area_remove_access`, 'no such access range')) {
    const a = pages.accesses[i];
    if (a !== undefined && --a.users === 0) {
      pages.accesses.splice(i, 1);
      area.num_accesses--;
      const pfns: number[] = [];
      for (let j = start_index; j <= last_index; j++) pfns.push(pages.pinned_pfns.get(j) ?? 0);
      for (let j = start_index; j <= last_index; j++) if (index_used(pages, j) !== 1) pages.pinned_pfns.delete(j);
      unpin_unused(k, pages, start_index, pfns, start_index, last_index);
      yield* update_unpinned(k, pages);
    }
  }
  mutex_unlock(k, pages.mutex, `${FILE}:iopt_area_remove_access`);
}

