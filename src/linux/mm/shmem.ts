/**
 * mm/shmem.c: tmpfs / shmem files — shmem_file_setup(), shmem_zero_setup()
 * (MAP_SHARED|MAP_ANONYMOUS), shmem_mmap(), shmem_fault() — v5.4, v6.1, v6.12.
 *
 * shmem_fault(): the page at vmf.pgoff from the page cache, or a new zeroed page
 * (GFP_HIGHUSER_MOVABLE) added to it; beyond i_size is SIGBUS. shmem has no
 * ->page_mkwrite, so shared writable mappings get writable PTEs at once.
 * MODEL: no swap (shmem pages are never evicted), no huge=, no fallocate yet.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { file, file_operations, file_system_type, inode } from '../include/linux/fs.js';
import { O_RDWR, alloc_file } from '../include/linux/fs.js';
import { GFP_HIGHUSER_MOVABLE } from '../include/linux/gfp.js';
import type { vm_area_struct, vm_fault, vm_operations_struct } from '../include/linux/mm_types.js';
import { PAGE_SIZE, PG_swapbacked, PG_uptodate } from '../include/linux/mm_types.js';
import { VM_FAULT_LOCKED, VM_FAULT_OOM, VM_FAULT_SIGBUS, get_page, put_page } from '../include/linux/mm.js';
import { FALLOC_FL_KEEP_SIZE, FALLOC_FL_PUNCH_HOLE } from '../include/uapi/asm-generic/mman.js';
import { ENOSPC, EOPNOTSUPP } from '../include/uapi/linux/errno.js';
import { down_write, up_write } from '../kernel/locking/rwsem.js';
import { truncate_inode_pages_range, unmap_mapping_range } from './truncate.js';
import { S_IFREG } from '../include/linux/fs.js';
import type { super_block } from '../include/linux/fs.js';
import { add_to_page_cache_lru } from './filemap.js';
import { alloc_pages } from './page_alloc.js';
import { new_inode } from '../fs/libfs.js';
import { generic_file_read_iter, generic_file_write_iter } from './filemap_rw.js';

/** shmem_getpage(): find or allocate page `index` of a shmem mapping; returns it referenced, or null (OOM). */
export function shmem_getpage(k: Kctx, f: file, index: number): number | null {
  const mapping = f.f_mapping;
  const cached = mapping.i_pages.get(index);
  if (cached !== undefined) {
    get_page(k.m, cached);
    return cached;
  }
  const page = alloc_pages(k, GFP_HIGHUSER_MOVABLE, 0);
  if (page === null) return null;
  k.m.mem.s_flags[k.m.mem.slot_of(page)] |= PG_uptodate | PG_swapbacked;
  add_to_page_cache_lru(k, page, mapping, index);
  return page;
}

export function* shmem_fault(k: Kctx, vmf: vm_fault): KThread<number> {
  const f = vmf.vma.vm_file;
  if (!f) return VM_FAULT_SIGBUS;
  if (vmf.pgoff >= Math.ceil(f.f_inode.i_size / PAGE_SIZE)) return VM_FAULT_SIGBUS;
  const page = shmem_getpage(k, f, vmf.pgoff);
  if (page === null) return VM_FAULT_OOM;
  vmf.page = page;
  return VM_FAULT_LOCKED;
}

export const shmem_vm_ops: vm_operations_struct = {
  name: 'shmem',
  fault: shmem_fault,
};

function* shmem_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  void k;
  void f;
  vma.vm_ops = shmem_vm_ops;
  return 0;
}

/**
 * The last reference to an unlinked tmpfs file (MAP_SHARED|MAP_ANONYMOUS, memfd) is
 * gone: iput → shmem_evict_inode → shmem_truncate_range drops its page cache (pages
 * still referenced elsewhere, e.g. pinned, live on until their last reference).
 * MODEL: one struct file per unlinked inode, so its ->release is the inode's last use.
 */
function* shmem_release(k: Kctx, i: inode): KThread<number> {
  if (i.i_nlink === 0) {
    yield* truncate_inode_pages_range(k, i.i_mapping, 0, -1);
    k.m.mappings.delete(i.i_mapping.id);
  }
  return 0;
}

/**
 * shmem_fallocate(file, mode, offset, len): PUNCH_HOLE unmaps the range from every
 * mapping (not private COW copies: even_cows 0) and drops the pages from the cache
 * (shmem_truncate_range); mode 0 / KEEP_SIZE allocates the pages.
 */
function* shmem_fallocate(k: Kctx, f: file, mode: number, offset: number, len: number): KThread<number> {
  const i = f.f_inode;
  if (mode & ~(FALLOC_FL_KEEP_SIZE | FALLOC_FL_PUNCH_HOLE)) return -EOPNOTSUPP;
  yield* down_write(k, i.i_rwsem, 'mm/shmem.c:shmem_fallocate');
  let ret = 0;
  if (mode & FALLOC_FL_PUNCH_HOLE) {
    const unmap_start = Math.ceil(offset / PAGE_SIZE) * PAGE_SIZE;
    const unmap_end = Math.floor((offset + len) / PAGE_SIZE) * PAGE_SIZE - 1;
    if (unmap_end > unmap_start) yield* unmap_mapping_range(k, f.f_mapping, unmap_start, 1 + unmap_end - unmap_start, false);
    yield* truncate_inode_pages_range(k, f.f_mapping, offset, offset + len - 1);
  } else {
    for (let index = Math.floor(offset / PAGE_SIZE); index < Math.ceil((offset + len) / PAGE_SIZE); index++) {
      const page = shmem_getpage(k, f, index);
      if (page === null) {
        ret = -ENOSPC;
        break;
      }
      put_page(k.m, page);
    }
    if (!ret && !(mode & FALLOC_FL_KEEP_SIZE) && offset + len > i.i_size) i.i_size = offset + len;
  }
  up_write(k, i.i_rwsem, 'mm/shmem.c:shmem_fallocate');
  return ret;
}

export const shmem_file_operations: file_operations = {
  owner: 'shmem',
  mmap: shmem_mmap,
  release: (k, i) => shmem_release(k, i),
  fallocate: shmem_fallocate,
  // shmem_file_read_iter / generic_file_write_iter (mm/filemap_rw.ts).
  read_iter: generic_file_read_iter,
  write_iter: generic_file_write_iter,
};

/** tmpfs (mm/shmem.c shmem_fs_type): shmem_get_inode gives a regular inode shmem_file_operations. */
export const shmem_fs_type: file_system_type = {
  name: 'tmpfs',
  kind: 'tmpfs',
  init_reg_inode: (i) => {
    i.i_fop = shmem_file_operations;
  },
};

/** The internal shm_mnt (a kernel-internal tmpfs mount for anonymous shared memory and memfd). */
function shm_mnt(k: Kctx): super_block {
  const key = '<shm_mnt>';
  let sb = k.m.mounts.get(key);
  if (!sb) {
    sb = { id: k.m.nextId('sb'), s_type: shmem_fs_type, s_id: key, dax: false, dax_region: null, huge_order: 9, dax_alloc: null };
    k.m.mounts.set(key, sb);
  }
  return sb;
}

/** shmem_file_setup(name, size, flags): an unlinked tmpfs file on the internal mount. */
export function shmem_file_setup(k: Kctx, name: string, size: number): file {
  const i = new_inode(k.m, shm_mnt(k), name, S_IFREG | 0o600, size);
  i.i_fop = shmem_file_operations;
  i.i_nlink = 0;
  return alloc_file(k, i, O_RDWR, shmem_file_operations);
}

/** shmem_zero_setup(vma): MAP_SHARED|MAP_ANONYMOUS gets a /dev/zero shmem file of the VMA's size. */
export function shmem_zero_setup(k: Kctx, vma: vm_area_struct): number {
  const f = shmem_file_setup(k, 'dev/zero', vma.vm_end - vma.vm_start);
  vma.vm_file = f;
  vma.vm_ops = shmem_vm_ops;
  return 0;
}
