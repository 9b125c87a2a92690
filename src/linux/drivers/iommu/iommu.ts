/**
 * drivers/iommu/iommu.c (+ the page-table side of drivers/iommu/intel/iommu.c):
 * IOMMU groups, devices, paging domains with a page-size bitmap and an aperture,
 * reserved regions (the x86 MSI window), and iommu_map / iommu_unmap /
 * iommu_iova_to_phys. Read in 5.4.1 (iommu_map/iommu_unmap/iommu_pgsize) and
 * Debian 6.12.117 (__iommu_map, __iommu_unmap, iommu_pgsize, intel_iommu_unmap,
 * intel_iommu_get_resv_regions, iommu_group_claim_dma_owner).
 *
 * The domain's I/O page table is a radix table like the hardware's: per 1 GiB of
 * IOVA a leaf or 512 entries of 2 MiB, each a leaf or a table of 512 4 KiB PTEs
 * (Float64Array), so a 16 GiB 4 KiB mapping costs ~9 bytes per page and a 1 TiB
 * mapping in 1 GiB leaves costs 1024 entries.
 *
 * A leaf is encoded as `pfn * 8 + prot` (prot = IOMMU_READ | IOMMU_WRITE | IOMMU_CACHE),
 * 0 = not present.
 *
 * MODEL: one IOMMU driver ("intel-iommu"-like): page sizes 4 KiB / 2 MiB / 1 GiB only,
 * no fine-grained superpages (fgsp false), a 48-bit aperture by default, strict IOTLB
 * (no flush queue: an unmapped IOVA faults at once). Unmapping a hole returns 0 (the
 * generic io-pgtable rule; VT-d's own unmap reports the requested size even for holes,
 * which VFIO never relies on). A request that starts inside a large leaf removes the
 * whole leaf and reports its size (intel_iommu_unmap's rule). No IOTLB, no PASID, no
 * nested or SVA domains.
 */
import { should_fail } from '../../include/linux/fault_inject.js';
import type { Kctx } from '../../kctx.js';
import { WARN_ON, unsupported } from '../../include/linux/bug.js';
import { EBUSY, EINVAL, ENODEV, ENOMEM, EPERM } from '../../include/uapi/linux/errno.js';
import { log_key } from '../../include/linux/mm_types.js';

/** include/linux/iommu.h */
export const IOMMU_READ = 1 << 0;
export const IOMMU_WRITE = 1 << 1;
export const IOMMU_CACHE = 1 << 2;
export const IOMMU_NOEXEC = 1 << 3;
export const IOMMU_MMIO = 1 << 4;

/** enum iommu_resv_type */
export const IOMMU_RESV_DIRECT = 0;
export const IOMMU_RESV_DIRECT_RELAXABLE = 1;
export const IOMMU_RESV_RESERVED = 2;
export const IOMMU_RESV_MSI = 3;
export const IOMMU_RESV_SW_MSI = 4;

/** drivers/iommu/intel/iommu.c: IOAPIC_RANGE_START / _END, reported as an IOMMU_RESV_MSI region. */
export const IOAPIC_RANGE_START = 0xfee00000;
export const IOAPIC_RANGE_END = 0xfeefffff;

const SZ_4K = 0x1000;
const SZ_2M = 0x200000;
const SZ_1G = 0x40000000;
const PFN_SHIFT_MUL = 4096;

/** struct iommu_resv_region */
export interface iommu_resv_region {
  readonly start: number;
  readonly length: number;
  readonly prot: number;
  readonly type: number;
}

/** struct iommu_domain_geometry */
export interface iommu_domain_geometry {
  readonly aperture_start: number;
  /** Inclusive. */
  readonly aperture_end: number;
  readonly force_aperture: boolean;
}

/** One table of 512 4 KiB entries. */
interface io_pte_table {
  readonly e: Float64Array;
  count: number;
}
/** 512 entries of 2 MiB: a leaf (number), a PTE table, or absent. */
interface io_pmd_table {
  readonly e: (number | io_pte_table | undefined)[];
  count: number;
}

/** struct iommu_domain (an IOMMU_DOMAIN_UNMANAGED paging domain). */
export interface iommu_domain {
  readonly id: number;
  readonly type: 'unmanaged' | 'blocked' | 'default';
  /** Supported page sizes (bit n = 2^n bytes). */
  readonly pgsize_bitmap: number;
  readonly geometry: iommu_domain_geometry;
  /** The driver enforces cache coherency (IOMMU_CAP_CACHE_COHERENCY / enforce_cache_coherency). */
  readonly cache_coherent: boolean;
  /** Per 1 GiB of IOVA: a 1 GiB leaf or a table of 2 MiB entries. */
  readonly pud: Map<number, number | io_pmd_table>;
  /** Base pages currently mapped (statistics, tests, benchmarks). */
  mapped_pages: number;
  /**
   * MODEL (checker journal, src/check/engine.ts): while an array, the 2 MiB IOVA key
   * (iova / 2 MiB) of every 4 KiB or 2 MiB leaf written or cleared, and -(g + 1) for a
   * 1 GiB leaf of IOVA GiB g. Null (the default) records nothing.
   */
  log: number[] | null;
}

/** struct device (the part the model needs). */
export interface device {
  readonly name: string;
  readonly bus: 'pci' | 'mdev';
  /** The group of a physical device; an mdev's own (emulated) group. */
  iommu_group: iommu_group | null;
  /** The bound driver: 'vfio-pci', 'vfio-mdev', a host driver name, or null (unbound). */
  driver: string | null;
  /** device_driver.driver_managed_dma: vfio-pci, pci-stub, pcieport set it. */
  driver_managed_dma: boolean;
}

/** struct iommu_group */
export interface iommu_group {
  readonly id: number;
  readonly devices: device[];
  /** Reserved regions reported for the devices of this group (RMRRs, the MSI window, ...). */
  readonly resv_regions: iommu_resv_region[];
  /** The domain the group is attached to now (default domain when owned by the DMA API). */
  domain: iommu_domain | null;
  default_domain: iommu_domain | null;
  /** DMA ownership (v5.19+): owner cookie and count. */
  owner: unknown;
  owner_cnt: number;
  /** An mdev group (no IOMMU of its own: the "emulated IOMMU" case of VFIO type1). */
  readonly emulated: boolean;
}

/** The IOMMU subsystem's machine state: groups and domains by id. */
export interface iommu_subsys {
  readonly groups: Map<number, iommu_group>;
  readonly domains: Map<number, iommu_domain>;
  /** Defaults for new domains of the modelled driver. */
  pgsize_bitmap: number;
  aperture_bits: number;
  cache_coherent: boolean;
  /** IRQ remapping present (irq_domain_check_msi_remap / IOMMU_CAP_INTR_REMAP). */
  intr_remap: boolean;
}

/** The machine's IOMMU state, created on first use. */
export function iommu_subsys_of(k: Kctx): iommu_subsys {
  if (k.m.iommu === null) {
    k.m.iommu = {
      groups: new Map(), domains: new Map(),
      pgsize_bitmap: SZ_4K | SZ_2M | SZ_1G, aperture_bits: 48, cache_coherent: true, intr_remap: true,
    };
  }
  return k.m.iommu;
}

/**
 * iommu_group_alloc() + iommu_group_add_device() for a set of devices, as firmware
 * and the IOMMU driver would group them at boot. Physical groups get the x86 MSI
 * window as a reserved region (intel_iommu_get_resv_regions); mdev groups have none.
 */
export function iommu_group_alloc(k: Kctx, devices: device[], opts: { emulated?: boolean; resv?: iommu_resv_region[] } = {}): iommu_group {
  const sub = iommu_subsys_of(k);
  const emulated = opts.emulated ?? false;
  const resv: iommu_resv_region[] = emulated ? [] : [
    { start: IOAPIC_RANGE_START, length: IOAPIC_RANGE_END - IOAPIC_RANGE_START + 1, prot: 0, type: IOMMU_RESV_MSI },
    ...(opts.resv ?? []),
  ];
  const g: iommu_group = {
    id: k.m.nextId('iommu_group') - 1, devices, resv_regions: resv, domain: null, default_domain: null,
    owner: null, owner_cnt: 0, emulated,
  };
  if (!emulated) {
    g.default_domain = iommu_domain_alloc_type(k, 'default');
    g.domain = g.default_domain;
  }
  for (const d of devices) d.iommu_group = g;
  // A device bound to a kernel driver that does not manage its own DMA uses the default domain.
  for (const d of devices) if (!emulated && d.driver !== null && !d.driver_managed_dma) g.owner_cnt++;
  sub.groups.set(g.id, g);
  k.m.event(k.tid, 'iommu-group', [`group:${g.id}`, ...devices.map((d) => `dev:${d.name}`)], 'iommu_group_alloc');
  return g;
}

function iommu_domain_alloc_type(k: Kctx, type: iommu_domain['type']): iommu_domain {
  const sub = iommu_subsys_of(k);
  const d: iommu_domain = {
    id: k.m.nextId('iommu_domain'), type, pgsize_bitmap: sub.pgsize_bitmap,
    geometry: { aperture_start: 0, aperture_end: 2 ** sub.aperture_bits - 1, force_aperture: true },
    cache_coherent: sub.cache_coherent, pud: new Map(), mapped_pages: 0, log: null,
  };
  sub.domains.set(d.id, d);
  return d;
}

/** iommu_domain_alloc(bus) (≤6.x) / iommu_paging_domain_alloc(dev) (6.12): a new unmanaged domain. */
export function iommu_domain_alloc(k: Kctx): iommu_domain {
  return iommu_domain_alloc_type(k, 'unmanaged');
}

/** iommu_domain_free() */
export function iommu_domain_free(k: Kctx, domain: iommu_domain): void {
  WARN_ON(k, domain.mapped_pages !== 0, 'drivers/iommu/iommu.c:iommu_domain_free', `domain#${domain.id} freed with ${domain.mapped_pages} pages mapped`);
  iommu_subsys_of(k).domains.delete(domain.id);
}

/** iommu_attach_group(): the group's DMA now goes through `domain`. */
export function iommu_attach_group(k: Kctx, domain: iommu_domain, group: iommu_group): number {
  if (group.emulated) return -ENODEV;
  if (group.domain !== null && group.domain !== group.default_domain && group.domain.type !== 'blocked') return -EBUSY;
  group.domain = domain;
  k.m.event(k.tid, 'iommu-attach', [`group:${group.id}`, `domain:${domain.id}`], 'iommu_attach_group');
  return 0;
}

/** iommu_detach_group(): back to the default domain (≤6.1) / the blocking domain while owned (6.x). */
export function iommu_detach_group(k: Kctx, domain: iommu_domain, group: iommu_group): void {
  if (group.domain !== domain) return;
  group.domain = group.owner_cnt > 0 && group.owner !== null ? null : group.default_domain;
  k.m.event(k.tid, 'iommu-detach', [`group:${group.id}`, `domain:${domain.id}`], 'iommu_detach_group');
}

/** iommu_get_group_resv_regions() */
export function iommu_get_group_resv_regions(group: iommu_group): iommu_resv_region[] {
  return group.resv_regions.map((r) => ({ ...r }));
}

/** iommu_domain_get_attr(DOMAIN_ATTR_GEOMETRY) (5.4) / domain->geometry (6.x). */
export function iommu_domain_geometry_of(domain: iommu_domain): iommu_domain_geometry {
  return domain.geometry;
}

/** IRQ remapping / isolated MSI (irq_domain_check_msi_remap, iommu_group_has_isolated_msi). */
export function iommu_group_has_isolated_msi(k: Kctx, group: iommu_group): boolean {
  void group;
  return iommu_subsys_of(k).intr_remap;
}

/**
 * iommu_group_claim_dma_owner() (v5.19+, read in 6.12): -EPERM while a device of the
 * group is used by a kernel driver's DMA (owner_cnt), -EBUSY if attached to a
 * non-default domain; else the group is owned and sits in a blocking domain.
 */
export function iommu_group_claim_dma_owner(k: Kctx, group: iommu_group, owner: unknown): number {
  if (WARN_ON(k, owner === null, 'drivers/iommu/iommu.c:iommu_group_claim_dma_owner')) return -EINVAL;
  if (group.owner_cnt > 0) return -EPERM;
  if (group.domain !== null && group.domain !== group.default_domain) return -EBUSY;
  group.owner = owner;
  group.owner_cnt++;
  group.domain = null; // blocking domain: no DMA until VFIO attaches its own domain
  return 0;
}

/** iommu_group_release_dma_owner() */
export function iommu_group_release_dma_owner(k: Kctx, group: iommu_group): void {
  void k;
  group.owner = null;
  group.owner_cnt = 0;
  group.domain = group.default_domain;
}

/** iommu_group_dma_owner_claimed() */
export function iommu_group_dma_owner_claimed(group: iommu_group): boolean {
  return group.owner_cnt > 0;
}

// ---------------------------------------------------------------------------
// The I/O page table.

function lowest_set_bit(x: number): number {
  // x > 0, at most 2^52: exact in doubles.
  let b = 1;
  while (x % (b * 2) === 0) b *= 2;
  return b;
}

/** 1 << __ffs(domain->pgsize_bitmap): the smallest page size of the domain. */
export function iommu_min_pagesz(domain: iommu_domain): number {
  return lowest_set_bit(domain.pgsize_bitmap);
}

/** The biggest supported page size that fits `size` and the alignment of iova|paddr (iommu_pgsize). */
function iommu_pgsize(domain: iommu_domain, iova: number, paddr: number, size: number): number {
  for (const pg of [SZ_1G, SZ_2M, SZ_4K]) {
    if ((domain.pgsize_bitmap & pg) === 0) continue;
    if (pg > size) continue;
    if (iova % pg !== 0 || paddr % pg !== 0) continue;
    return pg;
  }
  return 0;
}

function encode(pfn: number, prot: number): number {
  return pfn * 8 + (prot & 7);
}
function leaf_pfn(e: number): number {
  return Math.floor(e / 8);
}
function leaf_prot(e: number): number {
  return e % 8;
}

/**
 * Write one leaf of `pg` bytes; -EBUSY if something is mapped there already; -ENOMEM
 * when a missing page-table page cannot be allocated (only ever by fault injection: the
 * model's IOMMU page tables have no memory of their own).
 */
function set_leaf(k: Kctx, domain: iommu_domain, iova: number, pfn: number, pg: number, prot: number): number {
  const pgtableAllocFails = (): boolean => should_fail(k, 'drivers/iommu/iommu.c:iommu_map:alloc_pgtable');
  const gi = Math.floor(iova / SZ_1G);
  if (domain.log !== null) log_key(domain.log, pg === SZ_1G ? -(gi + 1) : Math.floor(iova / SZ_2M));
  let pud = domain.pud.get(gi);
  if (pg === SZ_1G) {
    if (pud !== undefined) return -EBUSY;
    domain.pud.set(gi, encode(pfn, prot));
    domain.mapped_pages += SZ_1G / SZ_4K;
    return 0;
  }
  if (typeof pud === 'number') return -EBUSY;
  if (pud === undefined) {
    if (pgtableAllocFails()) return -ENOMEM;
    pud = { e: new Array<number | io_pte_table | undefined>(512), count: 0 };
    domain.pud.set(gi, pud);
  }
  const mi = Math.floor(iova / SZ_2M) % 512;
  let pmd = pud.e[mi];
  if (pg === SZ_2M) {
    if (pmd !== undefined) return -EBUSY;
    pud.e[mi] = encode(pfn, prot);
    pud.count++;
    domain.mapped_pages += SZ_2M / SZ_4K;
    return 0;
  }
  if (typeof pmd === 'number') return -EBUSY;
  if (pmd === undefined) {
    if (pgtableAllocFails()) return -ENOMEM;
    pmd = { e: new Float64Array(512), count: 0 };
    pud.e[mi] = pmd;
    pud.count++;
  }
  const pi = Math.floor(iova / SZ_4K) % 512;
  if (pmd.e[pi] !== 0) return -EBUSY;
  pmd.e[pi] = encode(pfn, prot);
  pmd.count++;
  domain.mapped_pages++;
  return 0;
}

/** The leaf covering iova: its encoded value, its size and its first IOVA; null if not present. */
export function iommu_lookup_leaf(domain: iommu_domain, iova: number): { e: number; size: number; base: number } | null {
  const gi = Math.floor(iova / SZ_1G);
  const pud = domain.pud.get(gi);
  if (pud === undefined) return null;
  if (typeof pud === 'number') return { e: pud, size: SZ_1G, base: gi * SZ_1G };
  const mi = Math.floor(iova / SZ_2M) % 512;
  const pmd = pud.e[mi];
  if (pmd === undefined) return null;
  if (typeof pmd === 'number') return { e: pmd, size: SZ_2M, base: Math.floor(iova / SZ_2M) * SZ_2M };
  const pi = Math.floor(iova / SZ_4K) % 512;
  const e = pmd.e[pi];
  if (e === 0) return null;
  return { e, size: SZ_4K, base: Math.floor(iova / SZ_4K) * SZ_4K };
}

/**
 * MODEL (checker reads, speed only): where iommu_lookup_leaf(domain, iova) is null, the
 * bytes from iova that are unmapped for certain: to the end of the 1 GiB range when it has
 * no table, of the 2 MiB range when its table has no entry there, else one page. A reader
 * walking the pages of a range may skip them at once (the same pages it would skip one by one).
 */
export function iommu_unmapped_bytes(domain: iommu_domain, iova: number): number {
  const gi = Math.floor(iova / SZ_1G);
  const pud = domain.pud.get(gi);
  if (pud === undefined) return (gi + 1) * SZ_1G - iova;
  if (typeof pud === 'number') return 0;
  const mi = Math.floor(iova / SZ_2M) % 512;
  if (pud.e[mi] === undefined) return (Math.floor(iova / SZ_2M) + 1) * SZ_2M - iova;
  return SZ_4K - (iova % SZ_4K);
}

/** Remove the leaf that covers iova (whole leaf); returns its size, 0 if nothing is mapped there. */
function clear_leaf(domain: iommu_domain, iova: number): number {
  const gi = Math.floor(iova / SZ_1G);
  if (domain.log !== null) log_key(domain.log, typeof domain.pud.get(gi) === 'number' ? -(gi + 1) : Math.floor(iova / SZ_2M));
  const pud = domain.pud.get(gi);
  if (pud === undefined) return 0;
  if (typeof pud === 'number') {
    domain.pud.delete(gi);
    domain.mapped_pages -= SZ_1G / SZ_4K;
    return SZ_1G;
  }
  const mi = Math.floor(iova / SZ_2M) % 512;
  const pmd = pud.e[mi];
  if (pmd === undefined) return 0;
  if (typeof pmd === 'number') {
    pud.e[mi] = undefined;
    if (--pud.count === 0) domain.pud.delete(gi);
    domain.mapped_pages -= SZ_2M / SZ_4K;
    return SZ_2M;
  }
  const pi = Math.floor(iova / SZ_4K) % 512;
  if (pmd.e[pi] === 0) return 0;
  pmd.e[pi] = 0;
  domain.mapped_pages--;
  if (--pmd.count === 0) {
    pud.e[mi] = undefined;
    if (--pud.count === 0) domain.pud.delete(gi);
  }
  return SZ_4K;
}

function check_iova(k: Kctx, what: string, ...vals: number[]): boolean {
  for (const v of vals) {
    if (!Number.isSafeInteger(v) || v < 0) {
      unsupported(k, `drivers/iommu/iommu.c:${what}`, `address or size ${v} beyond the model's exact integer range`);
      return false;
    }
  }
  return true;
}

/**
 * iommu_map(domain, iova, paddr, size, prot) [5.4, 6.1; 6.12 adds a gfp argument]:
 * -EINVAL if iova|paddr|size is not aligned to the smallest page size; the range is
 * split into the largest page sizes its alignment allows; on a failure part-way the
 * part already mapped is unmapped again.
 * MODEL: a leaf needs IOMMU_READ or IOMMU_WRITE (-EINVAL otherwise, as VT-d's map does);
 * mapping over a present entry is -EBUSY with a WARN (a kernel-side double map).
 */
export function iommu_map(k: Kctx, domain: iommu_domain, iova: number, paddr: number, size: number, prot: number): number {
  if (!check_iova(k, 'iommu_map', iova, paddr, size)) return -EINVAL;
  const min = iommu_min_pagesz(domain);
  if (iova % min !== 0 || paddr % min !== 0 || size % min !== 0) return -EINVAL;
  if ((prot & (IOMMU_READ | IOMMU_WRITE)) === 0) return -EINVAL;
  let done = 0;
  while (done < size) {
    const pg = iommu_pgsize(domain, iova + done, paddr + done, size - done);
    if (pg === 0) return unsupported(k, 'drivers/iommu/iommu.c:iommu_map', `page size bitmap ${domain.pgsize_bitmap} has no 4K/2M/1G size`);
    const ret = set_leaf(k, domain, iova + done, (paddr + done) / PFN_SHIFT_MUL, pg, prot);
    if (ret !== 0) {
      if (ret === -EBUSY) WARN_ON(k, true, 'drivers/iommu/iommu.c:iommu_map', `IOVA 0x${(iova + done).toString(16)} already mapped in domain#${domain.id}`);
      if (done > 0) iommu_unmap(k, domain, iova, done);
      return ret;
    }
    done += pg;
  }
  if (k.m.recordEvents) k.m.event(k.tid, 'iommu-map', [`domain:${domain.id}`, `iova:0x${iova.toString(16)}`, `pfn:${paddr / PFN_SHIFT_MUL}`], 'iommu_map', size);
  return 0;
}

/**
 * iommu_unmap(domain, iova, size): bytes unmapped. Stops at the first hole; a leaf
 * larger than what is left is removed whole (so the result can exceed size).
 * 0 if iova|size is not aligned to the smallest page size.
 */
export function iommu_unmap(k: Kctx, domain: iommu_domain, iova: number, size: number): number {
  if (!check_iova(k, 'iommu_unmap', iova, size)) return 0;
  const min = iommu_min_pagesz(domain);
  if (iova % min !== 0 || size % min !== 0) return 0;
  let unmapped = 0;
  while (unmapped < size) {
    const got = clear_leaf(domain, iova + unmapped);
    if (got === 0) break;
    unmapped += got;
  }
  if (unmapped > 0 && k.m.recordEvents) k.m.event(k.tid, 'iommu-unmap', [`domain:${domain.id}`, `iova:0x${iova.toString(16)}`], 'iommu_unmap', unmapped);
  return unmapped;
}

/** iommu_unmap_fast(): the same without the IOTLB sync (strict model: identical effect). */
export const iommu_unmap_fast = iommu_unmap;

/** iommu_iova_to_phys(domain, iova): the physical address, 0 when not mapped. */
export function iommu_iova_to_phys(domain: iommu_domain, iova: number): number {
  const l = iommu_lookup_leaf(domain, iova);
  if (l === null) return 0;
  return leaf_pfn(l.e) * PFN_SHIFT_MUL + (iova - l.base);
}

/**
 * MODEL (PERF): floor(iommu_iova_to_phys(domain, iova) / 4 KiB), or -1 when nothing is mapped
 * there, without building a leaf record (readers that walk many pages).
 */
export function iommu_iova_to_pfn(domain: iommu_domain, iova: number): number {
  const gi = Math.floor(iova / SZ_1G);
  const pud = domain.pud.get(gi);
  if (pud === undefined) return -1;
  if (typeof pud === 'number') return leaf_pfn(pud) + Math.floor((iova - gi * SZ_1G) / SZ_4K);
  const pmd = pud.e[Math.floor(iova / SZ_2M) % 512];
  if (pmd === undefined) return -1;
  if (typeof pmd === 'number') return leaf_pfn(pmd) + Math.floor((iova % SZ_2M) / SZ_4K);
  const e = pmd.e[Math.floor(iova / SZ_4K) % 512];
  return e === 0 ? -1 : leaf_pfn(e);
}

/**
 * MODEL (PERF): iommu_iova_to_pfn() for the `n` pages from the page-aligned `iova` on, into
 * out[at..at + n) (-1 where nothing is mapped), reading each 4 KiB table once per 2 MiB.
 */
export function iommu_iova_to_pfns(domain: iommu_domain, iova: number, n: number, out: { [i: number]: number }, at: number): void {
  let j = 0;
  while (j < n) {
    const va = iova + j * SZ_4K;
    const pud = domain.pud.get(Math.floor(va / SZ_1G));
    const pmd = pud === undefined || typeof pud === 'number' ? undefined : pud.e[Math.floor(va / SZ_2M) % 512];
    if (typeof pud === 'number' || typeof pmd === 'number') {
      // A 1 GiB or 2 MiB leaf: the rest of it is linear.
      const leaf = typeof pud === 'number' ? SZ_1G : SZ_2M;
      const first = iommu_iova_to_pfn(domain, va);
      const stop = Math.min(n - j, Math.ceil((leaf - (va % leaf)) / SZ_4K));
      for (let q = 0; q < stop; q++) out[at + j + q] = first + q;
      j += stop;
      continue;
    }
    if (pmd === undefined) {
      out[at + j] = -1;
      j++;
      continue;
    }
    // A 4 KiB table: the rest of its 2 MiB straight from the entries.
    const p0 = Math.floor(va / SZ_4K) % 512;
    const stop = Math.min(n - j, 512 - p0);
    for (let q = 0; q < stop; q++) {
      const e = pmd.e[p0 + q];
      out[at + j + q] = e === 0 ? -1 : leaf_pfn(e);
    }
    j += stop;
  }
}

/** The protection bits of the leaf covering iova, 0 when not mapped (what the hardware checks on DMA). */
export function iommu_iova_prot(domain: iommu_domain, iova: number): number {
  const l = iommu_lookup_leaf(domain, iova);
  return l === null ? 0 : leaf_prot(l.e);
}

/**
 * How many bytes from `iova` (at most `max`) translate to physically contiguous
 * memory starting at iommu_iova_to_phys(iova). MODEL: equals the result of the
 * kernel's page-by-page `iommu_iova_to_phys(iova + len) == phys + len` loop in
 * vfio_unmap_unpin()/vfio_iommu_replay(), computed per leaf instead of per page.
 */
export function iommu_contiguous_bytes(domain: iommu_domain, iova: number, max: number): number {
  const first = iommu_lookup_leaf(domain, iova);
  if (first === null) return 0;
  const phys0 = leaf_pfn(first.e) * PFN_SHIFT_MUL + (iova - first.base);
  let len = 0;
  let cur: { e: number; size: number; base: number } | null = first;
  while (cur !== null && len < max) {
    const at = iova + len;
    const phys = leaf_pfn(cur.e) * PFN_SHIFT_MUL + (at - cur.base);
    if (phys !== phys0 + len) break;
    len += cur.base + cur.size - at;
    if (len >= max) return max;
    cur = iommu_lookup_leaf(domain, iova + len);
  }
  return Math.min(len, max);
}

/**
 * MODEL (checker reads, speed only): the 512 entries of the 4 KiB table that covers `iova`
 * (an entry of 0 maps nothing; see iommu_lookup_leaf for the others), or null where no
 * 4 KiB table covers it (a 2 MiB or 1 GiB leaf, or nothing). Lets a reader walk the pages
 * of one 2 MiB block without a lookup per page; it must not change the table.
 */
export function iommu_pte_entries(domain: iommu_domain, iova: number): Float64Array | null {
  const pud = domain.pud.get(Math.floor(iova / SZ_1G));
  if (pud === undefined || typeof pud === 'number') return null;
  const pmd = pud.e[Math.floor(iova / SZ_2M) % 512];
  return pmd === undefined || typeof pmd === 'number' ? null : pmd.e;
}
