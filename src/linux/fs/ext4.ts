/**
 * fs/ext4/file.c: ext4_file_mmap(), ext4_file_vm_ops (->fault = filemap_fault via
 * ext4_filemap_fault, ->page_mkwrite = ext4_page_mkwrite) — v5.4, v6.1, v6.12.
 *
 * ext4_file_mmap(): on a DAX inode the mapping gets the DAX vm_ops (fs-DAX faults,
 * phase 2: unsupported for now); otherwise the page-cache ops.
 * MODEL: ext4_page_mkwrite only marks the page dirty (block allocation and
 * journalling do not change what a pinning path sees); ext4_filemap_fault's
 * i_mmap_sem (v5.4) / invalidate_lock (v6.x) read hold is not modelled yet.
 */
import type { KThread } from '../../sched/index.js';
import type { Kctx } from '../kctx.js';
import type { file, file_operations } from '../include/linux/fs.js';
import { IS_DAX } from '../include/linux/fs.js';
import type { vm_area_struct, vm_fault, vm_operations_struct } from '../include/linux/mm_types.js';
import { SetPageDirty, VM_FAULT_LOCKED, VM_FAULT_SIGBUS } from '../include/linux/mm.js';
import { unsupported } from '../include/linux/bug.js';
import { filemap_fault } from '../mm/filemap.js';

function* ext4_page_mkwrite(k: Kctx, vmf: vm_fault): KThread<number> {
  if (vmf.page !== null) SetPageDirty(k.m, vmf.page);
  return VM_FAULT_LOCKED;
}

export const ext4_file_vm_ops: vm_operations_struct = {
  name: 'ext4_file',
  fault: filemap_fault,
  page_mkwrite: ext4_page_mkwrite,
};

function* ext4_dax_fault(k: Kctx, vmf: vm_fault): KThread<number> {
  void vmf;
  unsupported(k, 'fs/ext4/file.c:ext4_dax_fault', 'fs-DAX faults are not modelled yet');
  return VM_FAULT_SIGBUS;
}

export const ext4_dax_vm_ops: vm_operations_struct = {
  name: 'ext4_dax',
  fault: ext4_dax_fault,
};

function* ext4_file_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  void k;
  vma.vm_ops = IS_DAX(f.f_inode) ? ext4_dax_vm_ops : ext4_file_vm_ops;
  return 0;
}

export const ext4_file_operations: file_operations = {
  owner: 'ext4',
  mmap: ext4_file_mmap,
};
