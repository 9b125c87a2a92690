/**
 * A DMA-capable test device in the spirit of QEMU's "edu" (hw/misc/edu.c): a PCI
 * function with a 1 MiB MMIO BAR and a DMA engine. Here only the DMA engine matters:
 * every device read or write of an IOVA goes through the IOMMU domain its group is
 * attached to, exactly as the hardware would.
 *
 * - No domain (the group is in a blocking domain, or detached): the access is blocked.
 * - IOVA not mapped: an IOMMU fault, nothing happens in memory.
 * - Write to a mapping without IOMMU_WRITE (or read without IOMMU_READ): blocked.
 * - Otherwise the access lands in the frame the IOMMU maps — whoever owns that frame
 *   now. So "the device writes memory the process no longer sees" is observable: the
 *   frame's content tag changes while the process's PTE points elsewhere.
 *
 * Every access records an event (`dma-write` / `dma-read` / `dma-fault`) on the frame,
 * for the checker's dma-target-is-live / dma-coherent-with-process invariants.
 *
 * MODEL: this is a model device, not a kernel driver: its functions are the device's
 * side of the bus. The default domain of a group owned by a host driver translates
 * nothing (the model has no DMA-API mappings), so DMA there is reported as a fault.
 */
import type { Kctx } from '../../kctx.js';
import { pfn_valid, set_page_content } from '../../include/linux/mm.js';
import { PAGE_SIZE } from '../../include/linux/mm_types.js';
import { page_read_bytes, page_write_bytes, render_runs } from '../../include/linux/page_data.js';
import type { device, iommu_domain } from '../iommu/iommu.js';
import { IOMMU_READ, IOMMU_WRITE, iommu_group_alloc, iommu_iova_prot, iommu_iova_to_phys } from '../iommu/iommu.js';
import type { vfio_device } from '../vfio/vfio.js';
import { vfio_register_group_dev } from '../vfio/vfio.js';

/** The outcome of one device access. */
export type edu_dma_result =
  | { readonly ok: true; readonly pfn: number; readonly data: string }
  | { readonly ok: false; readonly fault: 'no-domain' | 'not-mapped' | 'no-permission' | 'no-memory'; readonly iova: number };

/** The edu device: a PCI device bound to vfio-pci, with its BAR. */
export interface edu_device {
  readonly dev: device;
  readonly vdev: vfio_device;
  /** BAR 0: the MMIO region's frames (no struct page). */
  readonly bar0: { readonly start_pfn: number; readonly npages: number } | null;
}

/**
 * Create an edu device `name` in its own IOMMU group, bound to vfio-pci. `bar` names a
 * BAR region of the machine's memory layout (MemoryLayout.bars) to expose as BAR 0.
 * `siblings`: other PCI functions of the same IOMMU group (not VFIO devices; e.g. one
 * bound to a host driver, which makes the group unusable for VFIO).
 */
export function edu_create(k: Kctx, name: string, bar: string | null = null, siblings: device[] = []): edu_device {
  const dev: device = { name, bus: 'pci', iommu_group: null, driver: 'vfio-pci', driver_managed_dma: true };
  iommu_group_alloc(k, [dev, ...siblings]);
  let bar0: { start_pfn: number; npages: number } | null = null;
  if (bar !== null) {
    const r = k.m.mem.regions.find((x) => x.kind === 'bar' && x.name === bar);
    if (r === undefined) throw new Error(`pinlab bug: no BAR region '${bar}' in the memory layout`);
    bar0 = { start_pfn: r.start_pfn, npages: r.end_pfn - r.start_pfn };
  }
  const vdev = vfio_register_group_dev(k, dev, { bars: bar0 ? [bar0] : [] });
  return { dev, vdev, bar0 };
}

function domain_of(e: edu_device): iommu_domain | null {
  const g = e.dev.iommu_group;
  return g === null ? null : g.domain;
}

function translate(k: Kctx, e: edu_device, iova: number, need: number, what: string): edu_dma_result {
  const dom = domain_of(e);
  const fail = (fault: 'no-domain' | 'not-mapped' | 'no-permission' | 'no-memory'): edu_dma_result => {
    k.m.event(k.tid, 'dma-fault', [`dev:${e.dev.name}`, `iova:0x${iova.toString(16)}`], `edu:${what}`, fault);
    return { ok: false, fault, iova };
  };
  if (dom === null || dom.type !== 'unmanaged') return fail('no-domain');
  const phys = iommu_iova_to_phys(dom, iova);
  if (phys === 0) return fail('not-mapped');
  if ((iommu_iova_prot(dom, iova) & need) === 0) return fail('no-permission');
  const pfn = Math.floor(phys / PAGE_SIZE);
  if (!pfn_valid(k.m, pfn)) return fail('no-memory');
  return { ok: true, pfn, data: '' };
}

/**
 * The device writes `data` into the page at `iova`: `len` bytes from iova (byte-exact,
 * include/linux/page_data.ts; they must stay inside the page), or the whole page when
 * `len` is omitted.
 */
export function edu_dma_write(k: Kctx, e: edu_device, iova: number, data: string, len?: number): edu_dma_result {
  const t = translate(k, e, iova, IOMMU_WRITE, 'dma_write');
  if (!t.ok) return t;
  // MODEL: a frame that no folio covers (freed memory) keeps no content; the write still hits it.
  if (k.m.mem.slot_of(t.pfn) !== 0) {
    if (len === undefined || len === PAGE_SIZE) set_page_content(k.m, t.pfn, data);
    else page_write_bytes(k.m, t.pfn, iova % PAGE_SIZE, len, data);
  }
  k.m.event(k.tid, 'dma-write', [`dev:${e.dev.name}`, `pfn:${t.pfn}`, `iova:0x${iova.toString(16)}`], 'edu:dma_write', data);
  return { ok: true, pfn: t.pfn, data };
}

/**
 * The device reads the page at `iova`: `len` bytes from iova (inside the page; the data
 * as render_runs gives them), one byte when `len` is omitted.
 */
export function edu_dma_read(k: Kctx, e: edu_device, iova: number, len?: number): edu_dma_result {
  const t = translate(k, e, iova, IOMMU_READ, 'dma_read');
  if (!t.ok) return t;
  let data = '';
  if (k.m.mem.slot_of(t.pfn) !== 0) data = render_runs(page_read_bytes(k.m, t.pfn, iova % PAGE_SIZE, len ?? 1));
  k.m.event(k.tid, 'dma-read', [`dev:${e.dev.name}`, `pfn:${t.pfn}`, `iova:0x${iova.toString(16)}`], 'edu:dma_read', data);
  return { ok: true, pfn: t.pfn, data };
}
