/**
 * drivers/dax/device.c (v5.4.1, Debian 6.1.192, Debian 6.12.117): device-DAX,
 * /dev/daxX.Y — a character device exposing a pmem range as memory.
 *
 * dax_mmap(): check_vma() refuses private mappings (-EINVAL) and mappings not
 * aligned to the device's alignment (-EINVAL); the VMA gets dax_vm_ops and
 * VM_HUGEPAGE. Faults map the pfn at the file offset: with a 4 KiB alignment one
 * PTE (__dev_dax_pte_fault; a larger alignment there → SIGBUS), with 2 MiB one PMD
 * leaf (__dev_dax_pmd_fault, VM_FAULT_FALLBACK when the PMD range leaves the VMA).
 * Entries are devmap (and special): no page reference is taken by mapping; the
 * ZONE_DEVICE pages sit at refcount 1 when idle and are PageReserved in every
 * release (mm/page_alloc.ts __init_zone_device_page), so VFIO neither charges them
 * to locked_vm nor releases their pins at unmap (put_pfn skips reserved pfns).
 * Compound pages: PATCH(devdax-compound-pages) 14606001efb4 (v5.17; so 6.1.192 and
 * 6.12.117): dev_dax_probe() sets pgmap->vmemmap_shift = log2(align / 4 KiB), and memmap
 * init makes every align-sized block one compound page (mm/page_alloc.ts
 * __init_zone_device_page with an order); references and pins of any subpage then land on
 * the folio. Without it (5.4.1, 5.5-rc5, 5.6.4) every device-DAX page is order 0.
 * From v6.15, PATCH(devdax-refcounted-mapping) aed877c2b425 (6.18.26 drivers/dax/device.c): the
 * faults map with vmf_insert_page_mkwrite() / vmf_insert_folio_pmd(): plain entries that take
 * a folio reference and a map count (the zap drops them; dax_set_mapping() is not modelled); the pages stay idle at refcount 1
 * (MEMORY_DEVICE_GENERIC: free_zone_device_folio resets a folio that reaches 0 to 1).
 * MODEL: no PUD (1 GiB) alignment; page->mapping / index (dax_set_mapping, 6.x) are not
 * set; the inode is S_DAX so vma_is_dax() holds and vma_is_fsdax() does not (S_ISCHR).
 * ->may_split (5.4.1: ->split) refuses to split the VMA (munmap / mprotect of part of it)
 * at an address that is not a multiple of the alignment: -EINVAL.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import type { Machine } from '../../machine.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import type { mem_region, vm_area_struct, vm_fault, vm_operations_struct } from '../../include/linux/mm_types.js';
import { PAGE_SIZE, PMD_SIZE, _PAGE_DEVMAP, _PAGE_DIRTY, _PAGE_PSE, _PAGE_RW, _PAGE_SPECIAL, mk_pte } from '../../include/linux/mm_types.js';
import {
  FAULT_FLAG_WRITE, VM_FAULT_FALLBACK, VM_FAULT_NOPAGE, VM_FAULT_SIGBUS, VM_HUGEPAGE, VM_SHARED, pt_walk, set_pmd_at, set_pte_at,
} from '../../include/linux/mm.js';
import { EINVAL } from '../../include/uapi/linux/errno.js';
import { vma_page_prot, vmf_insert_page_mkwrite } from '../../mm/memory.js';
import { insert_folio_pmd__v6_15 } from '../../fs/dax.js';
import { chrdev_create } from '../../fs/chrdev.js';
import { __init_zone_device_page } from '../../mm/page_alloc.js';

/** struct dev_dax, reduced. */
export interface dev_dax {
  readonly region: mem_region;
  /** dev_dax->align: PAGE_SIZE or PMD_SIZE. */
  readonly align: number;
}

function dev_dax_of(f: file): dev_dax {
  return f.f_inode.i_private as dev_dax;
}

/** The pfn backing page `pgoff` of the device, materialising its struct page (refcount 1, PG_reserved). */
function dax_pgoff_to_pfn(k: Kctx, dd: dev_dax, pgoff: number): number | null {
  const pfn = dd.region.start_pfn + pgoff;
  if (pfn >= dd.region.end_pfn) return null;
  // PATCH(devdax-compound-pages): pgmap->vmemmap_shift = order_base_2(align >> PAGE_SHIFT).
  const order = k.patch('devdax-compound-pages') && dd.align > PAGE_SIZE ? Math.log2(dd.align / PAGE_SIZE) : 0;
  const n = 2 ** order;
  __init_zone_device_page(k.m, pfn - ((pfn - dd.region.start_pfn) % n), order);
  return pfn;
}

function* dev_dax_fault(k: Kctx, vmf: vm_fault): KThread<number> {
  const dd = dev_dax_of(vmf.vma.vm_file as file);
  if (dd.align > PAGE_SIZE) return VM_FAULT_SIGBUS;
  const pfn = dax_pgoff_to_pfn(k, dd, vmf.pgoff);
  if (pfn === null) return VM_FAULT_SIGBUS;
  // PATCH(devdax-refcounted-mapping) aed877c2b425: vmf_insert_page_mkwrite() maps the page with a reference and a map count
  if (k.patch('devdax-refcounted-mapping')) return vmf_insert_page_mkwrite(k, vmf, pfn, (vmf.flags & FAULT_FLAG_WRITE) !== 0);
  let prot = vma_page_prot(vmf.vma) | _PAGE_SPECIAL | _PAGE_DEVMAP;
  if (vmf.flags & FAULT_FLAG_WRITE) prot |= _PAGE_RW | _PAGE_DIRTY;
  set_pte_at(vmf.vma.vm_mm, vmf.address, mk_pte(pfn, prot));
  return VM_FAULT_NOPAGE;
}

function* dev_dax_huge_fault(k: Kctx, vmf: vm_fault, order: number): KThread<number> {
  const vma = vmf.vma;
  const dd = dev_dax_of(vma.vm_file as file);
  if (order !== 9 || dd.align < PMD_SIZE) return VM_FAULT_FALLBACK;
  const haddr = Math.floor(vmf.address / PMD_SIZE) * PMD_SIZE;
  if (haddr < vma.vm_start || haddr + PMD_SIZE > vma.vm_end) return VM_FAULT_FALLBACK;
  // PATCH(devdax-refcounted-mapping) aed877c2b425: insert_pmd() itself handles a present leaf (a write makes it writable)
  if (pt_walk(vma.vm_mm, haddr).entry !== 0 && !k.patch('devdax-refcounted-mapping')) return VM_FAULT_NOPAGE;
  const pgoff = (haddr - vma.vm_start) / PAGE_SIZE + vma.vm_pgoff;
  const pfn = dax_pgoff_to_pfn(k, dd, pgoff);
  if (pfn === null || pfn + 511 >= dd.region.end_pfn) return VM_FAULT_SIGBUS;
  for (let i = 1; i < 512; i++) dax_pgoff_to_pfn(k, dd, pgoff + i);
  // PATCH(devdax-refcounted-mapping) aed877c2b425: vmf_insert_folio_pmd() maps the folio with a reference and a map count
  if (k.patch('devdax-refcounted-mapping')) return insert_folio_pmd__v6_15(k, vma, haddr, pfn, (vmf.flags & FAULT_FLAG_WRITE) !== 0);
  let prot = vma_page_prot(vma) | _PAGE_SPECIAL | _PAGE_DEVMAP | _PAGE_PSE;
  if (vmf.flags & FAULT_FLAG_WRITE) prot |= _PAGE_RW | _PAGE_DIRTY;
  set_pmd_at(vma.vm_mm, haddr, mk_pte(pfn, prot));
  return VM_FAULT_NOPAGE;
}

/** dev_dax_may_split (6.1.192, 6.12.117) / dev_dax_split (5.4.1): only at a multiple of the alignment. */
function dev_dax_may_split(vma: vm_area_struct, addr: number): number {
  const dd = dev_dax_of(vma.vm_file as file);
  return addr % dd.align ? -EINVAL : 0;
}

export const dax_vm_ops: vm_operations_struct = {
  name: 'devdax',
  fault: dev_dax_fault,
  huge_fault: dev_dax_huge_fault,
  may_split: dev_dax_may_split,
};

/** check_vma(): shared only, aligned to the device alignment. */
function check_vma(dd: dev_dax, vma: vm_area_struct): number {
  if (!(vma.vm_flags & VM_SHARED)) return -EINVAL;
  if (vma.vm_start % dd.align || vma.vm_end % dd.align) return -EINVAL;
  return 0;
}

function* dax_mmap(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  void k;
  const rc = check_vma(dev_dax_of(f), vma);
  if (rc) return rc;
  vma.vm_ops = dax_vm_ops;
  vma.vm_flags |= VM_HUGEPAGE;
  return 0;
}

export const dax_fops: file_operations = { owner: 'device_dax', mmap: dax_mmap };

/** MODEL set-up: /dev/daxX.Y over a 'devdax' pmem region of the layout. */
export function devdax_create(m: Machine, path: string, regionName: string, align: number = PMD_SIZE): inode {
  const region = m.mem.regions.find((r) => r.name === regionName);
  if (!region || region.kind !== 'devdax') throw new Error(`pinlab bug: ${regionName} is not a devdax pmem region`);
  const i = chrdev_create(m, path, dax_fops, { region, align } satisfies dev_dax, true);
  i.i_size = (region.end_pfn - region.start_pfn) * PAGE_SIZE;
  return i;
}
