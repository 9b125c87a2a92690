/**
 * /dev/mem: drivers/char/mem.c open_mem (open_port) and mmap_mem, the x86 policy behind
 * CONFIG_STRICT_DEVMEM (arch/x86/mm/init.c devmem_is_allowed), and the VMA's ->access,
 * mm/memory.c generic_access_phys (CONFIG_HAVE_IOREMAP_PROT) — the copy that
 * __access_remote_vm (/proc/PID/mem, ptrace) falls back to when GUP refuses the VM_IO |
 * VM_PFNMAP mapping. Read in 5.4.1 (follow_phys), Debian 6.1.192 (follow_pte) and Debian
 * 6.12.117 (follow_pfnmap_start); the Debian configs set DEVMEM, STRICT_DEVMEM,
 * IO_STRICT_DEVMEM and HAVE_IOREMAP_PROT, and lockdown stays off (LOCK_DOWN_KERNEL_FORCE_NONE).
 *
 * - open: CAP_SYS_RAWIO or -EPERM (then security_locked_down(LOCKDOWN_DEV_MEM): 0).
 * - mmap: the physical range is vm_pgoff onwards; a range that wraps is -EINVAL; every page
 *   must pass devmem_is_allowed (else -EPERM): System RAM only below 1 MiB (answer 2: the
 *   BIOS area, which read(2) shows as zeroes but mmap maps), a range a driver holds busy
 *   (IO_STRICT_DEVMEM: any busy resource, e.g. a pmem namespace bound to nd_pmem or
 *   device-dax) only below 1 MiB, anything else (no resource: ROM windows, holes) allowed.
 *   Then remap_pfn_range: VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP, special PTEs
 *   to the physical pages (a private mapping gets vm_pgoff = the first pfn: is_cow_mapping),
 *   and vm_ops = mmap_mem_ops, whose ->access is generic_access_phys.
 * - generic_access_phys(vma, addr, buf, len, write): not VM_IO | VM_PFNMAP → -EINVAL; no PTE
 *   at addr → -EINVAL; a write through a read-only PTE → -EINVAL; ioremap_prot of
 *   PAGE_ALIGN(len + offset) bytes from the PTE's frame (x86 __ioremap_caller refuses a
 *   System RAM resource with pages that are not PageReserved, with a WARN_ONCE: NULL → -ENOMEM;
 *   e.g. the anonymous COW copy a write made in a private mapping); then `len`
 *   bytes are copied to or from the physical range from that frame on — contiguously, even
 *   past the end of the page and of the VMA — and `len` is returned.
 *   Debian 6.12.118 (newer than the v6.12 profile's 6.12.117) carries two stable backports the
 *   model does not have: "mm/memory: constrain generic_access_phys() to page boundary" (one
 *   page per call: a read crossing the VMA's end stops there) and "mm: disallow ioremap'ing
 *   ordinary RAM in generic_access_phys()" (-EINVAL before the ioremap for a page that is
 *   online and not reserved; the same 0 bytes through __access_remote_vm). Their upstream
 *   commits were not identified (Debian's changelog names the 6.12.118 stable update only; the
 *   first subject appears in the kernel.org push lists of rebased mm trees — sj's mm-new and
 *   damon/next of September 2026, akpm's mm-everything of 7 October 2026 — with a different id in
 *   each, none mainline; the second in none read), so no registry entry names them.
 *
 * - mmap: x86 valid_mmap_phys_addr_range (the range below 2^x86_phys_bits, else -EINVAL) comes
 *   before range_is_allowed; the phys bits are not modelled (see valid_mmap_phys_addr_range).
 *
 * MODEL: the physical layout below the first zone (16 MiB, mm_types.ts MemMap) is the x86
 * PC's: [0, 640 KiB) and [1 MiB, 16 MiB) System RAM the model never allocates, [640 KiB, 1 MiB)
 * the legacy VGA / ROM window (no RAM). Below 1 MiB the RAM is PageReserved from v5.13
 * (PATCH(x86-reserve-low-1m) f1d4d47c5851); before it only [0, 64 KiB) is, and ioremap refuses
 * the rest (see low_ram_reserved). Memory the
 * model keeps no bytes for — that range, ROM, unpopulated addresses — reads as the tag `phys`
 * and ignores writes. A mapping of a PCI BAR is `unsupported` (whether vfio-pci has requested
 * the BAR, which makes it busy, is not tracked). PAT memtype tracking
 * (track_pfn_remap) and the uncached protection of O_DSYNC opens are not modelled; the node
 * is created when a scenario first opens it. read(2) / write(2) of /dev/mem (read_mem /
 * write_mem: page_is_allowed per page, zeroes for RAM below 1 MiB, -EPERM past an allowed
 * prefix) are `unsupported` (fs/read_write.ts), not the -EINVAL of a file without ->read.
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { WARN_ON_ONCE, unsupported } from '../../include/linux/bug.js';
import type { file, file_operations, inode } from '../../include/linux/fs.js';
import type { data_run } from '../../include/linux/page_data.js';
import { page_read_bytes, page_write_runs, runs_append, runs_slice } from '../../include/linux/page_data.js';
import type { remote_buf, vm_area_struct, vm_operations_struct } from '../../include/linux/mm_types.js';
import { PAGE_SIZE, _PAGE_SPECIAL, mk_pte, pte_pfn, pte_present, pte_write } from '../../include/linux/mm_types.js';
import { PageReserved, VM_DONTDUMP, VM_DONTEXPAND, VM_IO, VM_PFNMAP, is_cow_mapping, pt_walk, set_pte_at } from '../../include/linux/mm.js';
import { CAP_SYS_RAWIO, capable } from '../../include/linux/sched.js';
import { EINVAL, ENOMEM, EPERM } from '../../include/uapi/linux/errno.js';
import { errno_reason, hex } from '../../errno_reason.js';
import { vma_page_prot } from '../../mm/memory.js';
import { chrdev_create } from '../../fs/chrdev.js';

/** What the physical page `pfn` is, as the resource tree would say. */
type phys_kind = 'ram' | 'low-ram' | 'busy' | 'bar' | 'free';

const LOW_RAM_END = (640 * 1024) / PAGE_SIZE;
const ONE_MIB = (1024 * 1024) / PAGE_SIZE;
const FIRST_ZONE = (16 * 1024 * 1024) / PAGE_SIZE;

function phys_kind_of(k: Kctx, pfn: number): phys_kind {
  const r = k.m.mem.region_of(pfn);
  if (r !== null) {
    if (r.kind === 'ram') return 'ram';
    if (r.kind === 'bar') return 'bar';
    return 'busy'; // a pmem namespace (fsdax / devdax): requested by its driver
  }
  if (pfn < LOW_RAM_END || (pfn >= ONE_MIB && pfn < FIRST_ZONE)) return 'low-ram';
  return 'free';
}

/**
 * arch/x86/mm/init.c devmem_is_allowed(pagenr): 0 refused, 1 allowed, 2 allowed for mmap and
 * shown as zeroes by read(2) (System RAM below 1 MiB). IO_STRICT_DEVMEM: any busy resource
 * is exclusive. A BAR is `unsupported` (see the header): the errno is returned.
 */
export function devmem_is_allowed(k: Kctx, pfn: number): number {
  const kind = phys_kind_of(k, pfn);
  if (kind === 'bar') return unsupported(k, 'arch/x86/mm/init.c:devmem_is_allowed', `pfn ${hex(pfn)} is in a PCI BAR: whether its driver holds it busy (iomem_is_exclusive) is not modelled`);
  if (kind === 'ram' || kind === 'low-ram') return pfn < 256 ? 2 : 0;
  if (kind === 'busy') return pfn < 256 ? 1 : 0;
  return 1;
}

/** open_port(inode, filp) (open_mem): CAP_SYS_RAWIO, then lockdown (off). */
function* open_mem(k: Kctx, i: inode, f: file): KThread<number> {
  void i;
  void f;
  if (!capable(k, CAP_SYS_RAWIO)) return errno_reason(k, -EPERM, 'drivers/char/mem.c:open_port', 'no CAP_SYS_RAWIO');
  return 0;
}

/** The bytes of one physical page from `off`, `len` long: the frame's data, or `phys` (see the header). */
function phys_read(k: Kctx, pfn: number, off: number, len: number): data_run[] {
  if (k.m.mem.slot_of(pfn) === 0) return [{ offset: 0, len, tag: 'phys' }];
  return page_read_bytes(k.m, pfn, off, len);
}

const RESERVE_LOW_END = (64 * 1024) / PAGE_SIZE;
const FIRMWARE_LOW = (512 * 1024) / PAGE_SIZE;

/**
 * Is the System RAM page `pfn` below the first zone PageReserved? Below 1 MiB: all of it with
 * PATCH(x86-reserve-low-1m) f1d4d47c5851 (v5.13: reserve_real_mode reserves [0, 1 MiB)); before
 * it, [0, 64 KiB) (trim_low_memory_range, CONFIG_X86_RESERVE_LOW's default) is reserved and the
 * rest goes to the page allocator, except the real-mode trampoline (allocated top-down below
 * the BIOS area) and the EBDA up to 1 MiB (reserve_bios_regions): where those sit depends on the
 * firmware, so a page in [512 KiB, 640 KiB) is `unsupported` there (the errno is returned).
 * [1 MiB, 16 MiB) is ordinary RAM in every release (the model never allocates it).
 */
function low_ram_reserved(k: Kctx, pfn: number, site: string): boolean | number {
  if (pfn >= ONE_MIB) return false;
  if (k.patch('x86-reserve-low-1m') || pfn < RESERVE_LOW_END) return true; // PATCH(x86-reserve-low-1m) f1d4d47c5851
  if (pfn >= FIRMWARE_LOW) return unsupported(k, site, `pfn ${hex(pfn)}: whether the real-mode trampoline or the BIOS area (EBDA) holds this page below 640 KiB is firmware-dependent and not modelled`);
  return false;
}

/**
 * x86 __ioremap_caller's RAM test: a System RAM resource with pages that are not reserved.
 * true (refused), false, or the `unsupported` errno.
 */
function ioremap_refuses(k: Kctx, pfn: number, npages: number): boolean | number {
  const site = 'arch/x86/mm/ioremap.c:__ioremap_caller';
  for (let p = pfn; p < pfn + npages; p++) {
    const kind = phys_kind_of(k, p);
    if (kind === 'ram' && !(k.m.mem.slot_of(p) !== 0 && PageReserved(k.m, p))) return true;
    if (kind !== 'low-ram') continue;
    const reserved = low_ram_reserved(k, p, site);
    if (typeof reserved === 'number') return reserved;
    if (!reserved) return true;
  }
  return false;
}

/**
 * mm/memory.c generic_access_phys(vma, addr, buf, len, write): bytes copied or -errno (see
 * the header). Called with mmap_lock held for read; the PTE is read under its lock, which the
 * model's single step covers.
 */
export function generic_access_phys(k: Kctx, vma: vm_area_struct, addr: number, buf: remote_buf, len: number, write: boolean): number {
  const site = 'mm/memory.c:generic_access_phys';
  if (!(vma.vm_flags & (VM_IO | VM_PFNMAP))) return errno_reason(k, -EINVAL, site, 'the VMA is not VM_IO | VM_PFNMAP');
  const w = pt_walk(vma.vm_mm, addr);
  if (w.level !== 'pte' || w.entry === 0 || !pte_present(w.entry)) return errno_reason(k, -EINVAL, site, `no PTE maps ${hex(addr)} (follow_pte)`);
  if (write && !pte_write(w.entry)) return errno_reason(k, -EINVAL, site, `a write through the read-only PTE at ${hex(addr)}`);
  const offset = addr % PAGE_SIZE;
  const pfn = pte_pfn(w.entry);
  const npages = Math.ceil((len + offset) / PAGE_SIZE);
  const refused = ioremap_refuses(k, pfn, npages);
  if (typeof refused === 'number') return refused;
  if (refused) {
    WARN_ON_ONCE(k, true, 'arch/x86/mm/ioremap.c:__ioremap_caller', `ioremap on RAM at pfn ${hex(pfn)}`);
    return errno_reason(k, -ENOMEM, 'arch/x86/mm/ioremap.c:__ioremap_caller', `ioremap of ordinary RAM (pfn ${hex(pfn)}) is refused`);
  }
  for (let done = 0; done < len;) {
    const abs = offset + done;
    const p = pfn + Math.floor(abs / PAGE_SIZE);
    const n = Math.min(PAGE_SIZE - (abs % PAGE_SIZE), len - done);
    if (write) {
      const src: data_run[] = typeof buf.src === 'string' ? [{ offset: 0, len: n, tag: buf.src }] : runs_slice(buf.src, buf.pos + done, n);
      if (k.m.mem.slot_of(p) !== 0) page_write_runs(k.m, p, abs % PAGE_SIZE, src);
    } else {
      runs_append(buf.runs, buf.pos + done, phys_read(k, p, abs % PAGE_SIZE, n));
    }
    done += n;
  }
  buf.pos += len;
  return len;
}

const mmap_mem_ops: vm_operations_struct = { name: 'mmap_mem_ops', access: generic_access_phys };

/** remap_pfn_range(vma, vma->vm_start, pfn, size, prot): special PTEs over the whole VMA. */
function remap_pfn_range(k: Kctx, vma: vm_area_struct, pfn: number): number {
  void k;
  if (is_cow_mapping(vma.vm_flags)) vma.vm_pgoff = pfn;
  vma.vm_flags |= VM_IO | VM_PFNMAP | VM_DONTEXPAND | VM_DONTDUMP;
  const prot = vma_page_prot(vma) | _PAGE_SPECIAL;
  for (let a = vma.vm_start, p = pfn; a < vma.vm_end; a += PAGE_SIZE, p++) set_pte_at(vma.vm_mm, a, mk_pte(p, prot));
  return 0;
}

/**
 * arch/x86/mm/mmap.c valid_mmap_phys_addr_range(pfn, size): the range's last byte must be below
 * 2^x86_phys_bits (phys_addr_valid), else mmap_mem says -EINVAL. MODEL: the CPU's phys bits are
 * not modelled: every x86-64 CPU has at least 36, and the machine's memory is addressable; a range
 * ending above both is `unsupported` (the errno is returned).
 */
function valid_mmap_phys_addr_range(k: Kctx, pfn: number, size: number): number {
  const last = Math.floor((pfn * PAGE_SIZE + size - 1) / PAGE_SIZE);
  const top = Math.max(0, ...k.m.mem.regions.map((r) => r.end_pfn));
  if (last < 2 ** 36 / PAGE_SIZE || last < top) return 1;
  return unsupported(k, 'arch/x86/mm/mmap.c:valid_mmap_phys_addr_range', `the range ends at pfn ${hex(last)}, above 64 GiB and the machine's memory: whether the CPU's x86_phys_bits reach it is not modelled`);
}

/** mmap_mem(file, vma): 0 or -errno (see the header). */
function* mmap_mem(k: Kctx, f: file, vma: vm_area_struct): KThread<number> {
  void f;
  const site = 'drivers/char/mem.c:mmap_mem';
  const size = vma.vm_end - vma.vm_start;
  const offset = vma.vm_pgoff * PAGE_SIZE;
  if (!Number.isSafeInteger(offset + size)) return errno_reason(k, -EINVAL, site, `the range at ${hex(offset)} wraps the physical address space`);
  const valid = valid_mmap_phys_addr_range(k, vma.vm_pgoff, size);
  if (valid < 0) return valid;
  for (let p = vma.vm_pgoff; p < vma.vm_pgoff + size / PAGE_SIZE; p++) {
    const allowed = devmem_is_allowed(k, p);
    if (allowed < 0) return allowed;
    if (allowed === 0) return errno_reason(k, -EPERM, site, `pfn ${hex(p)} is not allowed (range_is_allowed: System RAM above 1 MiB, or a range a driver holds)`);
  }
  vma.vm_ops = mmap_mem_ops;
  return remap_pfn_range(k, vma, vma.vm_pgoff);
}

export const mem_fops: file_operations = { owner: 'mem', open: open_mem, mmap: mmap_mem };

/** chr_dev_init's /dev/mem node (major 1, minor 1): MODEL: created on a scenario's first open. */
export function devmem_init(k: Kctx): void {
  if (k.m.inodes.has('/dev/mem')) return;
  const i = chrdev_create(k.m, '/dev/mem', mem_fops);
  i.i_mode = (i.i_mode & ~0o777) | 0o640;
}

