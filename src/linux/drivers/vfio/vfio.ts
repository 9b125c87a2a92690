/**
 * drivers/vfio/vfio.c (5.4.1, 5.6.4) / vfio_main.c + container.c + group.c (Debian
 * 6.1.192: vfio_main.c holds the group code; 6.12.117: group.c): the VFIO core
 * objects — groups, devices, containers — and the entry points a vendor driver calls
 * (vfio_pin_pages, vfio_unpin_pages, the DMA_UNMAP notifier / dma_unmap op).
 *
 * The container ioctls live in container.ts, the group and device files in group.ts,
 * the type1 IOMMU backend in vfio_iommu_type1.ts.
 *
 * Machine state: `k.m.vfio` (vfio_subsys): module parameters of vfio_iommu_type1
 * (dma_entry_limit, disable_hugepages, allow_unsafe_interrupts), the VFIO groups by
 * IOMMU group id, and the registered devices.
 *
 * MODEL: one IOMMU backend (type1); no noiommu driver, no SPAPR TCE, no iommufd
 * (the 6.x group-to-iommufd path returns through unsupported()).
 */
import type { KThread } from '../../../sched/index.js';
import type { Kctx } from '../../kctx.js';
import { WARN_ON } from '../../include/linux/bug.js';
import { E2BIG, EINVAL, ENOTTY } from '../../include/uapi/linux/errno.js';
import type { file, inode } from '../../include/linux/fs.js';
import { chrdev_create } from '../../fs/chrdev.js';
import type { iommu_group, device } from '../iommu/iommu.js';
import type { rw_semaphore } from '../../kernel/locking/rwsem.js';
import { Mutex } from '../../../sched/index.js';
import type { vfio_iommu } from './vfio_iommu_type1.js';
import type { iommufd_access, iommufd_ctx, iommufd_device } from '../iommu/iommufd/iommufd_private.js';
import { vfio_device_cdev_add, vfio_iommufd_pin_pages, vfio_iommufd_unpin_pages } from './device_cdev.js';
import { vfio_group_fops } from './group.js';
import { vfio_init } from './container.js';
import { vfio_site } from './sites.js';

/** VFIO_PIN_PAGES_MAX_ENTRIES: PAGE_SIZE / sizeof(unsigned long). */
export const VFIO_PIN_PAGES_MAX_ENTRIES = 512;

/** Module parameters of vfio_iommu_type1 (module_param_named in vfio_iommu_type1.c). */
export interface vfio_type1_params {
  /** Maximum number of user DMA mappings per container (default U16_MAX = 65535). */
  dma_entry_limit: number;
  /** Pin and map one page at a time (batch capacity 1 from 5.12). */
  disable_hugepages: boolean;
  /** Accept IOMMUs without interrupt remapping. */
  allow_unsafe_interrupts: boolean;
}

/**
 * A vendor driver's view of a device (mdev): the callback type1 invokes when a range
 * with external pins is being unmapped. 5.4: a notifier_block on the blocking chain
 * VFIO_IOMMU_NOTIFY_DMA_UNMAP; 6.x: vfio_device_ops.dma_unmap. The callback must
 * unpin the pages of [iova, iova + size) it pinned.
 */
export type vfio_dma_unmap_fn = (k: Kctx, vdev: vfio_device, iova: bigint, size: bigint) => KThread<void>;

/** struct vfio_device (the part the model needs). */
export interface vfio_device {
  readonly id: number;
  readonly dev: device;
  readonly group: vfio_group;
  /** vfio_device_ops.dma_unmap (6.x) / the notifier the vendor driver registers at open (5.4). */
  readonly dma_unmap: vfio_dma_unmap_fn | null;
  /** Open count (device fds). */
  open_count: number;
  /** BARs the device exposes for mmap: name → first pfn and size in pages (pfns without struct page). */
  readonly bars: { readonly start_pfn: number; readonly npages: number }[];
  /** 6.6+: the iommufd access of an emulated device bound through its cdev (device_cdev.ts), or null. */
  iommufd_access?: iommufd_access | null;
  /** 6.2+: the iommufd device of a device opened through a group whose container is an iommufd (iommufd.ts). */
  iommufd_device?: iommufd_device | null;
}

/** struct vfio_group */
export interface vfio_group {
  readonly id: number;
  readonly iommu_group: iommu_group;
  readonly devices: vfio_device[];
  container: vfio_container | null;
  /** container_users (atomic in 5.4; a plain count under group_lock in 6.x). */
  container_users: number;
  /** The open file of the group char device, or null (5.4: the `opened` flag; 6.x: opened_file). */
  opened_file: file | null;
  /** An mdev group: no IOMMU of its own (emulated IOMMU). */
  readonly emulated: boolean;
  readonly group_lock: Mutex;
  /** The inode of /dev/vfio/<id>. */
  readonly inode: inode;
  /** 6.2+: the iommufd the group was set to instead of a type1 container (iommufd.ts), and its file reference. */
  iommufd?: iommufd_ctx | null;
  iommufd_file?: file | null;
}

/**
 * struct vfio_iommu_driver_ops: how the VFIO core reaches the IOMMU backend of a container
 * (vfio_iommu_type1.ts registers the only one modelled, vfio_iommu_driver_ops_type1). The
 * other backend, iommufd, is reached per group and per device instead (iommufd.ts,
 * device_cdev.ts), as in the kernel.
 */
export interface vfio_iommu_driver_ops {
  readonly name: string;
  open(k: Kctx, arg: number): vfio_iommu | number;
  release(k: Kctx, data: vfio_iommu): KThread<void>;
  ioctl(k: Kctx, data: vfio_iommu, cmd: number, arg: unknown): KThread<number>;
  attach_group(k: Kctx, data: vfio_iommu, group: vfio_group): KThread<number>;
  detach_group(k: Kctx, data: vfio_iommu, group: vfio_group): KThread<void>;
  check_extension(k: Kctx, data: vfio_iommu | null, arg: number): number;
  register_device(k: Kctx, data: vfio_iommu, vdev: vfio_device): KThread<void>;
  unregister_device(k: Kctx, data: vfio_iommu, vdev: vfio_device): KThread<void>;
  pin_pages(k: Kctx, data: vfio_iommu, group: vfio_group, iova: bigint, npage: number, prot: number, pages: number[]): KThread<number>;
  unpin_pages(k: Kctx, data: vfio_iommu, iova: bigint, npage: number): KThread<number>;
}

/** struct vfio_container */
export interface vfio_container {
  readonly id: number;
  /** kref */
  refs: number;
  readonly group_list: vfio_group[];
  readonly group_lock: rw_semaphore;
  /** The IOMMU driver set by VFIO_SET_IOMMU (only type1 is modelled), with its data. */
  iommu_driver: vfio_iommu_driver_ops | null;
  iommu_data: vfio_iommu | null;
  noiommu: boolean;
}

/** VFIO machine state. */
export interface vfio_subsys {
  readonly params: vfio_type1_params;
  readonly groups: Map<number, vfio_group>;
  readonly devices: vfio_device[];
  /** The inode of /dev/vfio/vfio once vfio_init() registered the misc device. */
  container_inode: inode | null;
}

/** The machine's VFIO state, created on first use. */
export function vfio_subsys_of(k: Kctx): vfio_subsys {
  if (k.m.vfio === null) {
    k.m.vfio = {
      params: { dma_entry_limit: 65535, disable_hugepages: false, allow_unsafe_interrupts: false },
      groups: new Map(), devices: [], container_inode: null,
    };
  }
  return k.m.vfio;
}


/**
 * vfio_register_group_dev() / vfio_add_group_dev() (5.4): a device bound to a VFIO bus
 * driver (vfio-pci, or an mdev parent's vfio-mdev) gets a vfio_device in the VFIO group
 * of its IOMMU group (created on first use).
 */
export function vfio_register_group_dev(k: Kctx, dev: device, opts: { dma_unmap?: vfio_dma_unmap_fn; bars?: { start_pfn: number; npages: number }[] } = {}): vfio_device {
  // A VFIO bus driver depends on the vfio module: it is loaded (vfio_init) before any device binds.
  vfio_init(k);
  const sub = vfio_subsys_of(k);
  const ig = dev.iommu_group;
  if (ig === null) throw new Error(`pinlab bug: device ${dev.name} has no IOMMU group`);
  let g = sub.groups.get(ig.id);
  if (g === undefined) {
    const gg: vfio_group = {
      id: ig.id, iommu_group: ig, devices: [], container: null, container_users: 0, opened_file: null,
      emulated: ig.emulated, group_lock: new Mutex(`group_lock(vfio_group#${ig.id})`),
      inode: null as unknown as inode,
    };
    // vfio_group_alloc + cdev_device_add: the group's char device /dev/vfio/<id>, opened through vfio_group_fops.
    (gg as { inode: inode }).inode = chrdev_create(k.m, `/dev/vfio/${ig.id}`, vfio_group_fops, gg);
    g = gg;
    sub.groups.set(ig.id, g);
  }
  const vdev: vfio_device = { id: k.m.nextId('vfio_device'), dev, group: g, dma_unmap: opts.dma_unmap ?? null, open_count: 0, bars: opts.bars ?? [] };
  g.devices.push(vdev);
  sub.devices.push(vdev);
  vfio_device_cdev_add(k, vdev);
  k.m.event(k.tid, 'vfio-register', [`dev:${dev.name}`, `vfio_group:${g.id}`], 'vfio_register_group_dev');
  return vdev;
}

/**
 * vfio_dev_viable() over the group (5.4): every device of the IOMMU group is unbound,
 * bound to a VFIO driver, or to a driver on the whitelist (pci-stub, pcieport).
 */
export function vfio_group_viable(g: vfio_group): boolean {
  return g.iommu_group.devices.every((d) => d.driver === null || d.driver_managed_dma);
}

/** The vfio_group of a vfio_device, with a container and an IOMMU driver set (vfio_group_add_container_user, 5.4). */
function vfio_group_add_container_user(g: vfio_group): number {
  if (g.container_users === 0) return -EINVAL;
  if (g.container === null || g.container.iommu_driver === null || !vfio_group_viable(g)) return -EINVAL;
  g.container_users++;
  return 0;
}

/**
 * vfio_pin_pages() [5.4 vfio.c: (dev, user_pfn[], npage, prot, phys_pfn[]); 6.1/6.12
 * container.c: (device, iova, npage, prot, pages[])]. Pins `npage` pages of the
 * mapping(s) covering [iova, iova + npage * PAGE_SIZE) for a vendor driver, from
 * whatever context the driver runs in (kernel thread, worker, another process).
 * Returns the number pinned or -errno; `phys_pfn` receives the pfns. Before 5.19 the group's
 * container_users is held around the call (any opener of the group keeps it up); from 5.19
 * the vfio_device itself must be open.
 * MODEL: 5.4's user_pfn[] array is taken as the consecutive run starting at iova
 * (user_pfn[i] = iova / PAGE_SIZE + i).
 */
export function* vfio_pin_pages(k: Kctx, vdev: vfio_device, iova: bigint, npage: number, prot: number, phys_pfn: number[] | null): KThread<number> {
  const site = vfio_site(k, 'pin', 'vfio_pin_pages');
  const g = vdev.group;
  // PATCH(vfio-pin-pages-device-open) eadd86f835c6: the device must be open (WARN, -EINVAL); no container user is taken
  if (k.patch('vfio-pin-pages-device-open')) {
    // 5.19+: !user_pfn/pages || !phys_pfn || !npage || !vfio_assert_device_open(device) -> -EINVAL
    if (phys_pfn === null || npage === 0 || WARN_ON(k, vdev.open_count === 0, site, 'device not open')) return -EINVAL;
    if (npage > VFIO_PIN_PAGES_MAX_ENTRIES) return -E2BIG;
    const c = g.container;
    // 6.6+: a device bound to an iommufd pins through its access object (IOMMU_WRITE = 2).
    if ((c === null || c.iommu_data === null) && vdev.iommufd_access) return yield* vfio_iommufd_pin_pages(k, vdev.iommufd_access, iova, npage, (prot & 2) !== 0, phys_pfn);
    if (c === null || c.iommu_data === null) return -ENOTTY;
    return yield* (c.iommu_driver as vfio_iommu_driver_ops).pin_pages(k, c.iommu_data, g, iova, npage, prot, phys_pfn);
  }
  // 5.4: !dev || !user_pfn || !phys_pfn || !npage -> -EINVAL; > 512 -> -E2BIG
  if (phys_pfn === null || npage === 0) return -EINVAL;
  if (npage > VFIO_PIN_PAGES_MAX_ENTRIES) return -E2BIG;
  const r = vfio_group_add_container_user(g);
  if (r) return r;
  let ret: number;
  const c = g.container;
  if (c !== null && c.iommu_data !== null) ret = yield* (c.iommu_driver as vfio_iommu_driver_ops).pin_pages(k, c.iommu_data, g, iova, npage, prot, phys_pfn);
  else ret = -ENOTTY;
  g.container_users--;
  return ret;
}

/**
 * vfio_unpin_pages() [5.4: returns the count or -errno; 6.1/6.12: void, WARN on a bad
 * npage]. Drops one external pin reference per page of [iova, iova + npage pages).
 */
export function* vfio_unpin_pages(k: Kctx, vdev: vfio_device, iova: bigint, npage: number): KThread<number> {
  const site = vfio_site(k, 'pin', 'vfio_unpin_pages');
  const g = vdev.group;
  // PATCH(vfio-unpin-pages-void) e8f90717ed3b: vfio_unpin_pages() returns nothing and WARNs on a bad count
  if (k.patch('vfio-unpin-pages-void')) {
    if (WARN_ON(k, npage <= 0 || npage > VFIO_PIN_PAGES_MAX_ENTRIES, site)) return 0;
    const c = g.container;
    if ((c === null || c.iommu_data === null) && vdev.iommufd_access) {
      yield* vfio_iommufd_unpin_pages(k, vdev.iommufd_access, iova, npage);
      return 0;
    }
    if (c === null || c.iommu_data === null) return 0;
    yield* (c.iommu_driver as vfio_iommu_driver_ops).unpin_pages(k, c.iommu_data, iova, npage);
    return 0;
  }
  if (npage === 0) return -EINVAL;
  if (npage > VFIO_PIN_PAGES_MAX_ENTRIES) return -E2BIG;
  const r = vfio_group_add_container_user(g);
  if (r) return r;
  let ret: number;
  const c = g.container;
  if (c !== null && c.iommu_data !== null) ret = yield* (c.iommu_driver as vfio_iommu_driver_ops).unpin_pages(k, c.iommu_data, iova, npage);
  else ret = -ENOTTY;
  g.container_users--;
  return ret;
}

/** The device of a file opened by VFIO_GROUP_GET_DEVICE_FD. */
export function vfio_device_from_file(f: file): vfio_device | null {
  const d = f.private_data as vfio_device | null;
  return d !== null && typeof d === 'object' && 'dma_unmap' in d ? d : null;
}
