/**
 * fs/ext4 (file.c, inode.c, extents.c) reduced to what the pinning model needs —
 * v5.4.1, Debian 6.1.192, Debian 6.12.117:
 * - ext4_file_mmap(): DAX inodes get the DAX vm_ops, others the page-cache ops;
 * - ext4_filemap_fault (→ filemap_fault), ext4_page_mkwrite (marks the page dirty);
 * - ext4_dax_huge_fault(PTE): invalidate_lock (5.4: EXT4_I(inode)->i_mmap_sem)
 *   held for read around dax_iomap_fault;
 * - ext4_setattr(ATTR_SIZE): invalidate_lock for write, ext4_break_layouts(), the
 *   size change, truncate_pagecache(), ext4_truncate() (free the blocks);
 * - ext4_break_layouts(): loop dax_layout_busy_page(); for a busy page wait,
 *   TASK_INTERRUPTIBLE, until it is idle (refcount back to 1; 0 from v6.15, 6.18.26
 *   dax_break_layout → wait_page_idle), dropping invalidate_lock while asleep
 *   (ext4_wait_dax_page); a signal ends it with -ERESTARTSYS unless the page is idle once the
 *   lock is retaken (___wait_var_event tests the condition first); from v6.15 a layout with no
 *   busy page then loses all its DAX entries (dax_delete_mapping_range);
 * - ext4_fallocate(): only the modes ext4 knows (else -EOPNOTSUPP); PUNCH_HOLE →
 *   ext4_punch_hole() (break layouts, truncate_pagecache_range, free whole blocks);
 *   mode 0 / KEEP_SIZE preallocates blocks (DAX) or only extends i_size.
 * MODEL: ext4_page_mkwrite only marks the page dirty (no block allocation, journal,
 * delalloc); ext4_filemap_fault does not take i_mmap_sem (5.4) / the 6.x miss-path
 * invalidate_lock; COLLAPSE/ZERO/INSERT_RANGE are unsupported; partial blocks at the
 * edges of a punched hole are not zeroed.
 */
import type { KThread } from '../../sched/index.js';
import { waitUntil } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { file, file_operations, file_system_type, inode } from '../include/linux/fs.js';
import { IS_DAX, inode_data_free } from '../include/linux/fs.js';
import type { vm_area_struct, vm_fault, vm_operations_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE } from '../include/linux/mm_types.js';
import { SetPageDirty, VM_FAULT_FALLBACK, VM_FAULT_LOCKED, VM_SYNC, page_label } from '../include/linux/mm.js';
import { WARN_ON_ONCE, unsupported } from '../include/linux/bug.js';
import { EINVAL, ENOSPC, EOPNOTSUPP, ERESTARTSYS } from '../include/uapi/linux/errno.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE, MAP_SYNC } from '../include/uapi/asm-generic/mman.js';
import { down_read, down_write, up_read, up_write } from '../kernel/locking/rwsem.js';
import { signal_pending } from '../kernel/sched.js';
import { filemap_fault } from '../mm/filemap.js';
import { truncate_pagecache, truncate_pagecache_range, unmap_mapping_pages_now } from '../mm/truncate.js';
import {
  dax_alloc_block, dax_delete_mapping_range, dax_free_block, dax_idle_refcount, dax_iomap_pmd_fault, dax_iomap_pte_fault, dax_layout_busy_page,
  dax_page_is_idle,
} from './dax.js';
import { generic_file_read_iter, generic_file_write_iter } from '../mm/filemap_rw.js';

/** FALLOC_FL_COLLAPSE_RANGE | ZERO_RANGE | INSERT_RANGE (include/uapi/linux/falloc.h). */
const FALLOC_FL_COLLAPSE_RANGE = 0x08;
const FALLOC_FL_ZERO_RANGE = 0x10;
const FALLOC_FL_INSERT_RANGE = 0x20;

function* ext4_page_mkwrite(k: Kctx, vmf: vm_fault): KThread<number> {
  if (vmf.page !== null) SetPageDirty(k.m, vmf.page);
  return VM_FAULT_LOCKED;
}

export const ext4_file_vm_ops: vm_operations_struct = {
  name: 'ext4_file',
  fault: filemap_fault,
  page_mkwrite: ext4_page_mkwrite,
};

/** ext4_dax_huge_fault(vmf, PE_SIZE_PTE) / ext4_dax_fault */
function* ext4_dax_fault(k: Kctx, vmf: vm_fault): KThread<number> {
  const f = vmf.vma.vm_file as file;
  const lock = f.f_mapping.invalidate_lock;
  // The site names the fault size: a PMD attempt that falls back and the PTE fault after
  // it pass the same lock in the same state, and only the label tells the explorer's
  // state key where the thread is.
  yield* down_read(k, lock, 'fs/ext4/file.c:ext4_dax_huge_fault(pte)');
  const ret = yield* dax_iomap_pte_fault(k, vmf);
  up_read(k, lock, 'fs/ext4/file.c:ext4_dax_huge_fault(pte)');
  return ret;
}

/**
 * ext4_dax_huge_fault(vmf, PE_SIZE_PMD) (5.4.1 .. 6.12.117): the same lock as the PTE
 * fault, then dax_iomap_fault → dax_iomap_pmd_fault; a PUD size falls back.
 */
function* ext4_dax_huge_fault(k: Kctx, vmf: vm_fault, order: number): KThread<number> {
  if (order !== 9) return VM_FAULT_FALLBACK;
  const f = vmf.vma.vm_file as file;
  const lock = f.f_mapping.invalidate_lock;
  yield* down_read(k, lock, 'fs/ext4/file.c:ext4_dax_huge_fault(pmd)');
  const ret = yield* dax_iomap_pmd_fault(k, vmf);
  up_read(k, lock, 'fs/ext4/file.c:ext4_dax_huge_fault(pmd)');
  return ret;
}

export const ext4_dax_vm_ops: vm_operations_struct = {
  name: 'ext4_dax',
  fault: ext4_dax_fault,
  huge_fault: ext4_dax_huge_fault,
  // ext4_dax_vm_ops has ->page_mkwrite / ->pfn_mkwrite: shared writable DAX VMAs are write-notified.
  page_mkwrite: ext4_dax_fault,
  pfn_mkwrite: ext4_dax_fault,
};

/** ext4_file_mmap(): MAP_SYNC (VM_SYNC) only on DAX inodes (daxdev_mapping_supported), else -EOPNOTSUPP. */
function* ext4_file_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  void k;
  if (vma.vm_flags & VM_SYNC && !IS_DAX(f.f_inode)) return -EOPNOTSUPP;
  vma.vm_ops = IS_DAX(f.f_inode) ? ext4_dax_vm_ops : ext4_file_vm_ops;
  return 0;
}

/** ext4_break_layouts(inode): caller holds invalidate_lock for write. 0 or -ERESTARTSYS. */
export function* ext4_break_layouts(k: Kctx, i: inode): KThread<number> {
  const mapping = i.i_mapping;
  const lock = mapping.invalidate_lock;
  if (WARN_ON_ONCE(k, !lock.isLocked(), 'fs/ext4/inode.c:ext4_break_layouts', 'invalidate_lock not held')) return -EINVAL;
  for (;;) {
    const page = dax_layout_busy_page(k, mapping, unmap_mapping_pages_now);
    if (page === null) {
      // PATCH(dax-break-layouts-remove-entries) bde708f1a65d: dax_break_layout() then removes every DAX entry (v6.15)
      if (k.patch('dax-break-layouts-remove-entries') && IS_DAX(i)) dax_delete_mapping_range(k, mapping);
      return 0;
    }
    if (dax_page_is_idle(k.m, page)) continue;
    if (signal_pending(k)) return -ERESTARTSYS;
    k.m.event(k.tid, 'truncate-wait', [page_label(page), `file:${i.path}`], 'fs/ext4/inode.c:ext4_break_layouts');
    // ext4_wait_dax_page(): sleep without the lock until the page is idle.
    up_write(k, lock, 'fs/ext4/inode.c:ext4_wait_dax_page');
    const interrupted = yield* waitUntil(
      'fs/ext4/inode.c:ext4_break_layouts:wait',
      { kind: 'waitqueue', object: page_label(page), detail: `dax_layout_busy_page: waiting for the page refcount to drop to ${dax_idle_refcount(k.m)}` },
      () => dax_page_is_idle(k.m, page),
      'interruptible',
    );
    yield* down_write(k, lock, 'fs/ext4/inode.c:ext4_wait_dax_page');
    // ___wait_var_event() (6.12 / 6.18.26 include/linux/wait_bit.h): back from the cmd with the lock
    // retaken, the condition is tested before the pending signal, so a page idle by now ends the wait
    // with 0 even when a signal woke the thread.
    if (interrupted && !dax_page_is_idle(k.m, page)) return -ERESTARTSYS;
    k.m.event(k.tid, 'truncate-wake', [page_label(page), `file:${i.path}`], 'fs/ext4/inode.c:ext4_break_layouts');
  }
}

/** Free the blocks (or on-disk data) of page indices [first, last) (ext4_ext_remove_space). */
function ext4_free_range(k: Kctx, i: inode, first: number, last: number): void {
  for (const index of [...i.dax_blocks.keys()]) {
    if (index < first || index >= last) continue;
    const pfn = i.dax_blocks.get(index) as number;
    i.dax_blocks.delete(index);
    dax_free_block(k.m, i.i_sb, pfn);
  }
  inode_data_free(i, first, last);
}

/** ext4_setattr(ATTR_SIZE): caller (do_truncate) holds inode_lock. */
export function* ext4_setattr_size(k: Kctx, i: inode, newsize: number): KThread<number> {
  const shrink = newsize < i.i_size;
  const lock = i.i_mapping.invalidate_lock;
  yield* down_write(k, lock, 'fs/ext4/inode.c:ext4_setattr');
  const rc = yield* ext4_break_layouts(k, i);
  if (rc) {
    up_write(k, lock, 'fs/ext4/inode.c:ext4_setattr');
    return rc;
  }
  if (newsize !== i.i_size) {
    i.i_size = newsize;
    yield* truncate_pagecache(k, i, newsize);
  }
  if (shrink) ext4_free_range(k, i, Math.ceil(newsize / PAGE_SIZE), Number.MAX_SAFE_INTEGER);
  up_write(k, lock, 'fs/ext4/inode.c:ext4_setattr');
  return 0;
}

/** ext4_punch_hole(inode, offset, length): takes inode_lock itself. */
function* ext4_punch_hole(k: Kctx, i: inode, offset: number, length: number): KThread<number> {
  yield* down_write(k, i.i_rwsem, 'fs/ext4/inode.c:ext4_punch_hole');
  let ret = 0;
  out: {
    if (offset >= i.i_size) break out;
    if (offset + length > i.i_size) length = i.i_size + PAGE_SIZE - (i.i_size % PAGE_SIZE) - offset;
    const lock = i.i_mapping.invalidate_lock;
    yield* down_write(k, lock, 'fs/ext4/inode.c:ext4_punch_hole');
    ret = yield* ext4_break_layouts(k, i);
    if (!ret) {
      const first_block_offset = Math.ceil(offset / PAGE_SIZE) * PAGE_SIZE;
      const last_block_offset = Math.floor((offset + length) / PAGE_SIZE) * PAGE_SIZE - 1;
      if (last_block_offset > first_block_offset) yield* truncate_pagecache_range(k, i, first_block_offset, last_block_offset);
      ext4_free_range(k, i, first_block_offset / PAGE_SIZE, (last_block_offset + 1) / PAGE_SIZE);
    }
    up_write(k, lock, 'fs/ext4/inode.c:ext4_punch_hole');
  }
  up_write(k, i.i_rwsem, 'fs/ext4/inode.c:ext4_punch_hole');
  return ret;
}

/** ext4_fallocate(file, mode, offset, len) */
function* ext4_fallocate(k: Kctx, f: file, mode: number, offset: number, len: number): KThread<number> {
  const i = f.f_inode;
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE | FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE)) return -EOPNOTSUPP;
  if (mode & FALLOC_FL_PUNCH_HOLE) return yield* ext4_punch_hole(k, i, offset, len);
  if (mode & (FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_ZERO_RANGE | FALLOC_FL_INSERT_RANGE)) {
    return unsupported(k, 'fs/ext4/extents.c:ext4_fallocate', 'COLLAPSE/ZERO/INSERT_RANGE are not modelled');
  }
  yield* down_write(k, i.i_rwsem, 'fs/ext4/extents.c:ext4_fallocate');
  if (IS_DAX(i)) {
    for (let index = Math.floor(offset / PAGE_SIZE); index < Math.ceil((offset + len) / PAGE_SIZE); index++) {
      if (i.dax_blocks.has(index)) continue;
      const pfn = dax_alloc_block(k.m, i.i_sb);
      if (pfn === null) {
        up_write(k, i.i_rwsem, 'fs/ext4/extents.c:ext4_fallocate');
        return -ENOSPC;
      }
      i.dax_blocks.set(index, pfn);
    }
  }
  if (!(mode & FALLOC_FL_KEEP_SIZE) && offset + len > i.i_size) i.i_size = offset + len;
  up_write(k, i.i_rwsem, 'fs/ext4/extents.c:ext4_fallocate');
  return 0;
}

export const ext4_file_operations: file_operations = {
  owner: 'ext4',
  mmap: ext4_file_mmap,
  fallocate: ext4_fallocate,
  mmap_supported_flags: MAP_SYNC,
  // ext4_file_read_iter / ext4_file_write_iter: buffered or DAX (mm/filemap_rw.ts).
  read_iter: generic_file_read_iter,
  write_iter: generic_file_write_iter,
};

/** ext4 (fs/ext4/super.c ext4_fs_type): a regular inode gets ext4_file_operations (ext4_iget, ext4_create); on -o dax too. */
export const ext4_fs_type: file_system_type = {
  name: 'ext4',
  kind: 'ext4',
  init_reg_inode: (i) => {
    i.i_fop = ext4_file_operations;
  },
};
