/**
 * Access to another process's memory through GUP: mm/memory.c __access_remote_vm(),
 * access_remote_vm(), access_process_vm() — Linux 5.4.1, Debian 6.1.192, Debian 6.12.117 —
 * the path of /proc/PID/mem (fs/proc/base.ts), ptrace PEEK/POKE (kernel/ptrace.ts) and
 * /proc/PID/cmdline.
 *
 * Every release: mmap_lock for read (killable: a fatal signal → 0 bytes), then page by
 * page: get_user_pages_remote() of ONE page with the caller's flags (FOLL_FORCE from
 * /proc/PID/mem and ptrace; FOLL_TOUCH | FOLL_REMOTE added by GUP), the copy between the
 * page and the kernel buffer (kmap; a write marks the page dirty, set_page_dirty_lock),
 * put_page. Errors are not returned: the result is the number of bytes copied before the
 * first page that could not be had. When GUP refuses a page, a VMA with a ->access
 * method (VM_IO | VM_PFNMAP mappings of /dev/mem: generic_access_phys; CONFIG_HAVE_IOREMAP_PROT
 * on x86) is asked to copy instead; without one the walk stops.
 *
 * Per release (the bodies below):
 * - 5.4.1: get_user_pages_remote(tsk, mm, addr, 1, flags, &page, &vma, NULL); the fallback
 *   looks the VMA up with find_vma() (vm_start <= addr).
 * - Debian 6.1.192: the VMA at addr is looked up before the walk (vma_lookup, else
 *   expand_stack(): nothing mapped → 0 without copying), a stable backport of
 *   8d7071af8907 ("mm: always expand the stack with the mmap write lock held", v6.5) —
 *   PATCH(expand-stack-write-lock) read in the 5.4 body; expand_stack() drops mmap_lock
 *   for read and takes it for write, and on failure returns with it dropped. The fallback
 *   looks the VMA up with vma_lookup() (the same test as 5.4's find_vma + vm_start).
 * - 6.12.117: get_user_page_vma_remote() (no vmas array: removed in 6.5 with
 *   ca5e863233e8 "mm/gup: remove vmas parameter from get_user_pages_remote()"), which
 *   refuses FOLL_NOWAIT (WARN) and finds the VMA again after the pin; on a failed page
 *   with no VMA at addr, expand_stack() is tried (success: retry the page; failure: return
 *   what was copied, the lock already dropped).
 * The 6.12 body is the 6.5 one: PATCH(gup-remote-vmas-removed) (ca5e863233e8, which
 * requires expand-stack-write-lock: the model has no body for the get_user_page_vma_remote
 * conversion without 8d7071af8907's fix of it).
 *
 * Data: byte runs of content tags (include/linux/page_data.ts). The copy is remote_copy():
 * a read appends the runs of the bytes copied to the buffer, a write stores the buffer's
 * runs in exactly the bytes it reaches (the rest of the page keeps its data).
 * MODEL: there is no stack in the model (no VM_GROWSDOWN VMA), so expand_stack() never
 * expands: it only drops and re-takes mmap_lock and fails. /dev/mem mappings have a
 * ->access method (generic_access_phys, drivers/char/mem.ts), called with the whole
 * remaining `len`; vfio-pci's BAR mappings have none in 6.1/6.12, so they end the walk.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import { WARN_ON_ONCE, unsupported } from '../include/linux/bug.js';
import { FOLL_NOWAIT, FOLL_WRITE } from '../include/linux/foll.js';
import { find_vma, put_page, set_page_dirty_lock, vma_lookup } from '../include/linux/mm.js';
import type { data_run } from '../include/linux/page_data.js';
import { page_read_bytes, page_write_runs, runs_append, runs_slice } from '../include/linux/page_data.js';
import type { mm_struct, remote_buf, vm_area_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import type { task_struct } from '../include/linux/sched.js';
import { down_read_killable, down_write_killable, downgrade_write, up_read, up_write } from '../kernel/locking/rwsem.js';
import { race_window } from '../kernel/sched.js';
import { get_task_mm, mmput } from '../kernel/fork.js';
import { EINVAL } from '../include/uapi/linux/errno.js';
import { get_user_pages_remote } from './gup.js';
import type { page_array, vma_array } from './gup.js';

export type { remote_buf };

/** A buffer for a read (or a write of `src`: one tag throughout, or runs relative to its start). */
export function remote_buffer(src: string | readonly data_run[] = ''): remote_buf {
  return { src, runs: [], pos: 0 };
}

/** The tag of the first byte a read copied, or null when it copied nothing. */
export function remote_first_tag(buf: remote_buf): string | null {
  return buf.runs.length === 0 ? null : buf.runs[0].tag;
}

/**
 * copy_to_user_page / copy_from_user_page between `page` at byte `offset` and the buffer at
 * its position, `bytes` long (within the page); the buffer's position advances. THE place
 * the data of a remote access moves (byte-exact, see the file header).
 */
export function remote_copy(k: Kctx, page: number, offset: number, bytes: number, write: boolean, buf: remote_buf): void {
  if (write) page_write_runs(k.m, page, offset, typeof buf.src === 'string' ? [{ offset: 0, len: bytes, tag: buf.src }] : runs_slice(buf.src, buf.pos, bytes));
  else runs_append(buf.runs, buf.pos, page_read_bytes(k.m, page, offset, bytes));
  buf.pos += bytes;
}

/**
 * mm/mmap.c expand_stack(mm, addr) (6.1.192 backport, 6.12.117): drop mmap_lock for read,
 * take it for write (killable), look again; a VMA now covering addr → downgrade and return
 * it (held for read); else (MODEL: no VM_GROWSDOWN / VM_GROWSUP VMA to grow) unlock and
 * return null — the caller no longer holds mmap_lock.
 */
export function* expand_stack(k: Kctx, mm: mm_struct, addr: number): KThread<vm_area_struct | null> {
  const site = 'mm/mmap.c:expand_stack';
  up_read(k, mm.mmap_lock, site);
  if (yield* down_write_killable(k, mm.mmap_lock, site)) return null;
  const vma = find_vma(mm, addr);
  if (vma !== null && vma.vm_start <= addr) {
    downgrade_write(k, mm.mmap_lock, site);
    return vma;
  }
  up_write(k, mm.mmap_lock, site);
  return null;
}

/** The ->access fallback of a VMA GUP refused (VM_IO | VM_PFNMAP); <= 0 stops the walk. */
function vma_access(k: Kctx, vma: vm_area_struct, addr: number, buf: remote_buf, len: number, write: boolean): number {
  const access = vma.vm_ops?.access;
  if (access === undefined) return 0;
  return access(k, vma, addr, buf, len, write);
}

/**
 * One page's copy once GUP returned it; returns the bytes copied. GUP's PTE lock is dropped
 * and only a page reference and mmap_lock for read are held: the target's stores, faults
 * and MADV_DONTNEED (which takes mmap_lock for read too) can run before the copy, so the
 * copy is a step of its own.
 */
function* copy_one(k: Kctx, page: number, addr: number, len: number, write: boolean, buf: remote_buf): KThread<number> {
  yield* race_window(k, 'mm/memory.c:__access_remote_vm:copy', `${page}:${addr}:${len}:${buf.pos}:${buf.runs.map((r) => `${r.offset}+${r.len}/${r.tag}`).join(',')}`);
  const offset = addr % PAGE_SIZE;
  const bytes = Math.min(len, PAGE_SIZE - offset);
  remote_copy(k, page, offset, bytes, write, buf);
  if (write) set_page_dirty_lock(k, page);
  put_page(k.m, page);
  return bytes;
}

/**
 * __access_remote_vm(mm, addr, buf, len, gup_flags): bytes copied (0 .. len). Caller holds a
 * user reference on mm (mm_users). Takes and drops mmap_lock itself.
 */
export function* __access_remote_vm(k: Kctx, mm: mm_struct, addr: number, buf: remote_buf, len: number, gup_flags: number, caller?: string): KThread<number> {
  // A caller that makes two calls in a row (get_mm_cmdline) names each, so that their mmap_lock
  // points differ (the explorer's position key; docs/explorer.md).
  const site = caller === undefined ? SITE : `${SITE}@${caller}`;
  // PATCH(gup-remote-vmas-removed) ca5e863233e8: get_user_page_vma_remote() and expand_stack() on a refused page.
  if (k.patch('gup-remote-vmas-removed')) return yield* __access_remote_vm__v6_5(k, mm, addr, buf, len, gup_flags, site);
  return yield* __access_remote_vm__v5_4(k, mm, addr, buf, len, gup_flags, site);
}

const SITE = 'mm/memory.c:__access_remote_vm';

function* __access_remote_vm__v5_4(k: Kctx, mm: mm_struct, addr: number, buf: remote_buf, len: number, gup_flags: number, site: string): KThread<number> {
  const write = (gup_flags & FOLL_WRITE) !== 0;
  let copied = 0;
  if (yield* down_read_killable(k, mm.mmap_lock, site)) return 0;
  // PATCH(expand-stack-write-lock) 8d7071af8907 (Debian 6.1.192: its stable backport): the VMA at addr first, else
  // expand_stack(), which returns with mmap_lock dropped when it fails.
  if (k.patch('expand-stack-write-lock') && vma_lookup(mm, addr) === null && (yield* expand_stack(k, mm, addr)) === null) return 0;
  while (len) {
    const pages: page_array = [null];
    const vmas: vma_array = [null];
    const ret = yield* get_user_pages_remote(k, mm, addr, 1, gup_flags, pages, vmas, null);
    let bytes: number;
    if (ret <= 0) {
      // find_vma + vm_start (5.4.1) and vma_lookup (6.1.192) ask the same question.
      const vma = find_vma(mm, addr);
      if (vma === null || vma.vm_start > addr) break;
      bytes = vma_access(k, vma, addr, buf, len, write);
      if (bytes <= 0) break;
    } else {
      bytes = yield* copy_one(k, pages[0] as number, addr, len, write, buf);
    }
    len -= bytes;
    copied += bytes;
    addr += bytes;
  }
  up_read(k, mm.mmap_lock, SITE);
  return copied;
}

/**
 * include/linux/mm.h get_user_page_vma_remote() (6.5+): one page with get_user_pages_remote()
 * (no vmas) and its VMA; FOLL_NOWAIT is refused (WARN, -EINVAL). Returns a pfn or a
 * negative errno.
 */
function* get_user_page_vma_remote(k: Kctx, mm: mm_struct, addr: number, gup_flags: number): KThread<number> {
  const site = 'include/linux/mm.h:get_user_page_vma_remote';
  if (WARN_ON_ONCE(k, (gup_flags & FOLL_NOWAIT) !== 0, site, 'FOLL_NOWAIT')) return -EINVAL;
  const pages: page_array = [null];
  const got = yield* get_user_pages_remote(k, mm, addr, 1, gup_flags, pages, null, null);
  if (got < 0) return got;
  if (got === 0) return unsupported(k, site, 'get_user_pages_remote() of one page returned 0 (the kernel would use an unset page)');
  const page = pages[0] as number;
  if (WARN_ON_ONCE(k, vma_lookup(mm, addr) === null, site, 'no VMA after the page was pinned')) {
    put_page(k.m, page);
    return -EINVAL;
  }
  return page;
}

function* __access_remote_vm__v6_5(k: Kctx, mm: mm_struct, addr: number, buf: remote_buf, len: number, gup_flags: number, site: string): KThread<number> {
  const write = (gup_flags & FOLL_WRITE) !== 0;
  let copied = 0;
  if (yield* down_read_killable(k, mm.mmap_lock, site)) return 0;
  // (untagged_addr_remote: no address tagging on the model's x86 without LAM.)
  if (vma_lookup(mm, addr) === null && (yield* expand_stack(k, mm, addr)) === null) return 0;
  while (len) {
    const page = yield* get_user_page_vma_remote(k, mm, addr, gup_flags);
    let bytes: number;
    if (page < 0) {
      let vma = vma_lookup(mm, addr);
      if (vma === null) {
        vma = yield* expand_stack(k, mm, addr);
        // The lock was dropped on failure.
        if (vma === null) return copied;
        continue;
      }
      bytes = vma_access(k, vma, addr, buf, len, write);
      if (bytes <= 0) break;
    } else {
      bytes = yield* copy_one(k, page, addr, len, write, buf);
    }
    len -= bytes;
    copied += bytes;
    addr += bytes;
  }
  up_read(k, mm.mmap_lock, SITE);
  return copied;
}

/** access_remote_vm(mm, addr, buf, len, gup_flags): the caller holds a reference on mm. */
export function* access_remote_vm(k: Kctx, mm: mm_struct, addr: number, buf: remote_buf, len: number, gup_flags: number, caller?: string): KThread<number> {
  return yield* __access_remote_vm(k, mm, addr, buf, len, gup_flags, caller);
}

/** access_process_vm(tsk, addr, buf, len, gup_flags): get_task_mm (none → 0), the access, mmput. */
export function* access_process_vm(k: Kctx, tsk: task_struct, addr: number, buf: remote_buf, len: number, gup_flags: number): KThread<number> {
  const mm = get_task_mm(tsk);
  if (mm === null) return 0;
  const ret = yield* __access_remote_vm(k, mm, addr, buf, len, gup_flags);
  yield* mmput(k, mm);
  return ret;
}
