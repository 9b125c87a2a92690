/**
 * The VFIO / device part of the `.def` table (build.ts): set-up of edu and mdev
 * devices and containers as a VMM would do it, the VFIO ioctls, device DMA, and the
 * mdev vendor driver's vfio_pin_pages / vfio_unpin_pages. Calls only the model's
 * functions (src/linux/drivers/{vfio,iommu,misc}).
 */
import { allIommus } from '../check/vfio.js';
import type { Kctx } from '../linux/kctx.js';
import type { file } from '../linux/include/linux/fs.js';
import { O_RDWR } from '../linux/include/linux/fs.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import { EFAULT, ENODEV } from '../linux/include/uapi/linux/errno.js';
import {
  VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_SET_CONTAINER, VFIO_IOMMU_GET_INFO,
  VFIO_IOMMU_MAP_DMA, VFIO_IOMMU_UNMAP_DMA, VFIO_SET_IOMMU, VFIO_IOMMU_DIRTY_PAGES, VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP,
  VFIO_DIRTY_BITMAP_MINSZ, VFIO_DIRTY_BITMAP_GET_SIZEOF, VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION,
  VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL,
} from '../linux/include/uapi/linux/vfio.js';
import type {
  vfio_info_cap, vfio_iommu_type1_dirty_bitmap, vfio_iommu_type1_dma_map, vfio_iommu_type1_dma_unmap, vfio_iommu_type1_info,
} from '../linux/include/uapi/linux/vfio.js';
import * as vfioUapi from '../linux/include/uapi/linux/vfio.js';
import type { device } from '../linux/drivers/iommu/iommu.js';
import { iommu_group_alloc, iommu_iova_to_phys } from '../linux/drivers/iommu/iommu.js';
import type { vfio_container, vfio_device, vfio_dma_unmap_fn } from '../linux/drivers/vfio/vfio.js';
import { VFIO_PIN_PAGES_MAX_ENTRIES, vfio_pin_pages, vfio_register_group_dev, vfio_subsys_of, vfio_unpin_pages } from '../linux/drivers/vfio/vfio.js';
import { vfio_container_from_file, vfio_init } from '../linux/drivers/vfio/container.js';
import { sys_open } from '../linux/syscalls.js';
import { sys_ioctl } from '../linux/fs/ioctl.js';
import type { edu_device } from '../linux/drivers/misc/edu.js';
import { edu_create, edu_dma_read, edu_dma_write } from '../linux/drivers/misc/edu.js';
import { PAGE_SIZE } from '../linux/include/linux/mm_types.js';
import type { Machine } from '../linux/machine.js';
import type { KThread } from '../sched/index.js';
import type { DeviceSetup, Scenario } from './ast.js';
import type { RunState, StepResult } from './state.js';

/** Per-run device bookkeeping (kept in RunState.devices). */
export interface DeviceState {
  readonly decl: DeviceSetup;
  /** The IOMMU group id the model gave it (/dev/vfio/<id>). */
  readonly group: number;
  readonly vdev: vfio_device;
  readonly edu: edu_device | null;
}

/** Create the scenario's devices (edu bound to vfio-pci; mdevs with their own emulated group). */
export function setupDevices(k: Kctx, s: Scenario, rs: RunState): void {
  // PCI functions not bound to vfio-pci, by declared group: they join the group of a vfio-pci
  // edu with the same iommu_group, else form a group of their own (no VFIO group then).
  const others = new Map<number, device[]>();
  for (const d of s.setup.devices) {
    if (d.kind !== 'edu' || d.driver === 'vfio-pci') continue;
    const dev: device = { name: d.name, bus: 'pci', iommu_group: null, driver: d.driver, driver_managed_dma: d.driver === 'pci-stub' };
    others.set(d.iommuGroup, [...(others.get(d.iommuGroup) ?? []), dev]);
  }
  for (const d of s.setup.devices) {
    if (d.kind === 'edu' && d.driver !== 'vfio-pci') continue;
    if (d.kind === 'edu') {
      const siblings = others.get(d.iommuGroup) ?? [];
      others.delete(d.iommuGroup);
      const e = edu_create(k, d.name, d.bar === null ? null : `bar:${d.name}`, siblings);
      const g = e.dev.iommu_group;
      rs.devices.set(d.name, { decl: d, group: g === null ? -1 : g.id, vdev: e.vdev, edu: e });
    } else {
      const dev: device = { name: d.name, bus: 'mdev', iommu_group: null, driver: 'vfio-mdev', driver_managed_dma: true };
      const g = iommu_group_alloc(k, [dev], { emulated: true });
      // The vendor driver's DMA_UNMAP callback: unpin what it pinned in the range.
      const unmapCallback: vfio_dma_unmap_fn = function* (kk, vd, iova, size) {
          // Ranges pinned in one call through an iommufd access (`<dev>@<iova>+<npage>`,
          // build-iommufd.ts) are unpinned as they were pinned.
          for (const [key, cnt] of [...rs.mdevPins]) {
            const m = /^(.*)@(\d+)\+(\d+)$/.exec(key);
            if (m === null || m[1] !== d.name) continue;
            const at = BigInt(m[2] as string);
            if (at < iova || at >= iova + size) continue;
            for (let j = 0; j < cnt; j++) yield* vfio_unpin_pages(kk, vd, at, Number(m[3]));
            rs.mdevPins.delete(key);
          }
          const npage = Number(size / BigInt(PAGE_SIZE));
          for (let i = 0; i < npage; i++) {
            const key = `${d.name}@${(iova + BigInt(i * PAGE_SIZE)).toString()}`;
            const n = rs.mdevPins.get(key) ?? 0;
            for (let j = 0; j < n; j++) yield* vfio_unpin_pages(kk, vd, iova + BigInt(i * PAGE_SIZE), 1);
            rs.mdevPins.delete(key);
          }
      };
      const vdev = vfio_register_group_dev(k, dev, { ['dma_unmap']: unmapCallback });
      rs.devices.set(d.name, { decl: d, group: g.id, vdev, edu: null });
    }
  }
  for (const devs of others.values()) iommu_group_alloc(k, devs);
}

/** ioctl(2) on an fd of the current task (src/linux/fs/ioctl.ts). */
export const ioctl = sys_ioctl;

/** Set up a container in its process: open, add groups, SET_IOMMU, open device fds. Returns an error text or null. */
export function* setupContainers(k: Kctx<task_struct>, s: Scenario, rs: RunState): KThread<string | null> {
  const params = vfio_subsys_of(k).params;
  params.dma_entry_limit = s.setup.vfio.dmaEntryLimit;
  for (const c of s.setup.vfio.containers) {
    const task = rs.processes.get(c.process);
    if (task === undefined) return `container ${c.name}: no process ${c.process}`;
    k.current = task;
    vfio_init(k);
    const fd = yield* sys_open(k, '/dev/vfio/vfio', O_RDWR);
    if (fd < 0) return `container ${c.name}: open(/dev/vfio/vfio) = ${fd}`;
    rs.containers.set(c.name, { fd, process: c.process });
    for (const dn of c.groups) {
      const d = rs.devices.get(dn);
      if (d === undefined) return `container ${c.name}: no device ${dn}`;
      const gfd = yield* sys_open(k, `/dev/vfio/${d.group}`, O_RDWR);
      if (gfd < 0) return `container ${c.name}: open(/dev/vfio/${d.group}) = ${gfd}`;
      const r = yield* ioctl(k, gfd, VFIO_GROUP_SET_CONTAINER, fd);
      if (r < 0) return `container ${c.name}: VFIO_GROUP_SET_CONTAINER(${dn}) = ${r}`;
      rs.groupFds.set(dn, gfd);
    }
    const type = (vfioUapi as Readonly<Record<string, unknown>>)[c.iommu];
    const r = yield* ioctl(k, fd, VFIO_SET_IOMMU, type);
    if (r < 0) return `container ${c.name}: VFIO_SET_IOMMU(${c.iommu}) = ${r}`;
    for (const dn of c.groups) {
      const gfd = rs.groupFds.get(dn);
      if (gfd === undefined) continue;
      const dfd = yield* ioctl(k, gfd, VFIO_GROUP_GET_DEVICE_FD, dn);
      if (dfd < 0) return `container ${c.name}: VFIO_GROUP_GET_DEVICE_FD(${dn}) = ${dfd}`;
    }
  }
  return null;
}

/*
 * The VFIO ioctls of scenario steps, one function per ioctl: each fills the user's struct
 * from the step's (already evaluated) arguments, issues the ioctl on the fd, and reads back
 * what the kernel copied out.
 */

/** An ioctl whose argument is a plain value and whose result is only the return value. */
export function* vfioIoctlValue(k: Kctx, fd: number, cmd: number, arg: unknown): KThread<StepResult> {
  return { value: yield* ioctl(k, fd, cmd, arg), outputs: {} };
}

/** VFIO_IOMMU_GET_INFO: the user's struct has `argsz` as the step gives it (16 = up to iova_pgsizes; 24 = the whole struct; more = room for caps). */
export function* vfioIommuGetInfo(k: Kctx, container: number, argsz: number): KThread<StepResult> {
  const info: vfio_iommu_type1_info = { argsz, flags: 0, iova_pgsizes: 0n, cap_offset: 0, caps: [] };
  const r = yield* ioctl(k, container, VFIO_IOMMU_GET_INFO, info);
  const avail = info.caps.find((c) => c.id === VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
  const ranges = info.caps.find((c) => c.id === VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
  return {
    value: r,
    outputs: {
      flags: info.flags,
      iova_pgsizes: info.iova_pgsizes,
      argsz: info.argsz,
      caps: info.caps.map(capName),
      dma_avail: avail !== undefined && avail.id === VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL ? avail.avail : null,
      // The IOVA_RANGE capability as copied out: the usable ranges, `0x<start>-0x<end>` (inclusive); null when argsz had no room.
      iova_ranges: ranges !== undefined && ranges.id === VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE ? ranges.iova_ranges.map((x) => `0x${x.start.toString(16)}-0x${x.end.toString(16)}`) : null,
    },
  };
}

/**
 * VFIO_IOMMU_DIRTY_PAGES: the user's struct vfio_iommu_type1_dirty_bitmap; GET_BITMAP carries a
 * vfio_iommu_type1_dirty_bitmap_get whose bitmap buffer has exactly size/pgsize bits (rounded up to
 * whole u64s, as the uapi sizes it). `argsz` undefined: the struct size the flags need.
 */
export function* vfioIommuDirtyPages(k: Kctx, container: number, a: { flags: number; iova: bigint; size: bigint; pgsize: bigint; argsz?: number }): KThread<StepResult> {
  const { flags, iova } = a;
  // size and pgsize are __u64 in the uapi structs: a negative value is a huge one, as the kernel reads it.
  const size = BigInt.asUintN(64, a.size);
  const pgsize = BigInt.asUintN(64, a.pgsize);
  const get = (flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP) !== 0;
  const bits = pgsize > 0n ? size / pgsize : 0n;
  const data = get && bits <= 1n << 24n ? new Uint8Array(Number((bits + 63n) / 64n) * 8) : null;
  const dirty: vfio_iommu_type1_dirty_bitmap = {
    argsz: a.argsz ?? VFIO_DIRTY_BITMAP_MINSZ + (get ? VFIO_DIRTY_BITMAP_GET_SIZEOF : 0),
    flags,
    ...(get ? { get: { iova, size, bitmap: { pgsize, size: BigInt(data?.length ?? 0), data } } } : {}),
  };
  const r = yield* ioctl(k, container, VFIO_IOMMU_DIRTY_PAGES, dirty);
  const set: number[] = [];
  if (r === 0 && data !== null) for (let i = 0; i < Number(bits); i++) if ((data[i >> 3] & (1 << (i & 7))) !== 0) set.push(i);
  return { value: r, outputs: { dirty: set } };
}

/** VFIO_IOMMU_MAP_DMA with the user's struct vfio_iommu_type1_dma_map. */
export function* vfioIommuMapDma(k: Kctx, container: number, map: vfio_iommu_type1_dma_map): KThread<StepResult> {
  return { value: yield* ioctl(k, container, VFIO_IOMMU_MAP_DMA, map), outputs: {} };
}

/** VFIO_IOMMU_UNMAP_DMA with the user's struct vfio_iommu_type1_dma_unmap; `$r.size` is what the kernel wrote back. */
export function* vfioIommuUnmapDma(k: Kctx, container: number, unmap: vfio_iommu_type1_dma_unmap): KThread<StepResult> {
  const r = yield* ioctl(k, container, VFIO_IOMMU_UNMAP_DMA, unmap);
  return { value: r, outputs: { size: unmap.size } };
}

/** A GET_INFO capability by the last word of its uapi name. */
function capName(c: vfio_info_cap): string {
  switch (c.id) {
    case VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE:
      return 'IOVA_RANGE';
    case VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION:
      return 'MIGRATION';
    case VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL:
      return 'DMA_AVAIL';
  }
}

/** edu DMA: write a content tag at iova (0 or -EFAULT on an IOMMU fault). */
export function deviceDmaWrite(k: Kctx, rs: RunState, dev: string, iova: number, content: string, len?: number): number {
  const d = rs.devices.get(dev);
  if (d === undefined || d.edu === null) return -ENODEV;
  return edu_dma_write(k, d.edu, iova, content, len).ok ? 0 : -EFAULT;
}

/** edu DMA: read the content tag at iova (the whole page's, or `len` bytes' inside the page), or -EFAULT. */
export function deviceDmaRead(k: Kctx, rs: RunState, dev: string, iova: number, len?: number): string | number {
  const d = rs.devices.get(dev);
  if (d === undefined || d.edu === null) return -ENODEV;
  const r = edu_dma_read(k, d.edu, iova, len);
  return r.ok ? r.data : -EFAULT;
}

/** The container object behind a scenario container name (for the mdev pins and the checker). */
function containerObj(m: Machine, rs: RunState, name: string): vfio_container | null {
  const c = rs.containers.get(name);
  if (c === undefined) return null;
  const task = rs.processes.get(c.process);
  const f = task?.files?.fd[c.fd] ?? null;
  return f === null || f === undefined ? null : ((f as file).private_data as vfio_container | null);
}

/**
 * The pfn the container's IOMMU maps at iova (first domain), or null. The container is a
 * set-up container's fd, else a container fd a step opened (the first process, in
 * declaration order, whose fd table holds a VFIO container at that number).
 */
export function iommuProbe(m: Machine, rs: RunState, containerFd: number, iova: number): number | null {
  let obj: vfio_container | null = null;
  for (const [cname, c] of rs.containers) {
    if (c.fd !== containerFd) continue;
    obj = containerObj(m, rs, cname);
    break;
  }
  if (obj === null) {
    for (const t of rs.processes.values()) {
      const f = t.files?.fd[containerFd] ?? null;
      obj = f === null || f === undefined ? null : vfio_container_from_file(f as file);
      if (obj !== null) break;
    }
  }
  const dom = obj?.iommu_data?.domain_list[0]?.domain ?? null;
  if (dom === null) return null;
  const phys = iommu_iova_to_phys(dom, iova);
  return phys === 0 ? null : Math.floor(phys / PAGE_SIZE);
}

/** The mdev device whose group is in the container `fd` of `process`. */
function mdevOf(m: Machine, rs: RunState, containerFd: number): { dev: string; vdev: vfio_device } | null {
  for (const [cname, c] of rs.containers) {
    if (c.fd !== containerFd) continue;
    const obj = containerObj(m, rs, cname);
    for (const [dn, d] of rs.devices) {
      if (d.edu !== null) continue;
      if (obj === null || d.vdev.group.container === obj) return { dev: dn, vdev: d.vdev };
    }
  }
  return null;
}

/** vfio_pin_pages() from the vendor driver (the step's thread is the driver's context). */
export function* mdevPin(k: Kctx, rs: RunState, containerFd: number, iova: bigint, npage: number, prot: number): KThread<StepResult> {
  const md = mdevOf(k.m, rs, containerFd);
  if (md === null) return { value: -ENODEV, outputs: {} };
  const pfns: number[] = new Array<number>(Math.max(0, Math.min(npage, 4096))).fill(0);
  const r = yield* vfio_pin_pages(k, md.vdev, iova, npage, prot, pfns);
  if (r > 0) {
    for (let i = 0; i < r; i++) {
      const key = `${md.dev}@${(iova + BigInt(i * PAGE_SIZE)).toString()}`;
      rs.mdevPins.set(key, (rs.mdevPins.get(key) ?? 0) + 1);
    }
  }
  return { value: r, outputs: { pages: r > 0 ? pfns.slice(0, r) : [] } };
}

export function* mdevUnpin(k: Kctx, rs: RunState, containerFd: number, iova: bigint, npage: number): KThread<StepResult> {
  const md = mdevOf(k.m, rs, containerFd);
  if (md === null) return { value: -ENODEV, outputs: {} };
  const r = yield* vfio_unpin_pages(k, md.vdev, iova, npage);
  // Refused (-EINVAL/-E2BIG on 5.4, a WARN and nothing done on 6.x): no pin was dropped.
  if (r < 0 || npage <= 0 || npage > VFIO_PIN_PAGES_MAX_ENTRIES) return { value: r, outputs: {} };
  for (let i = 0; i < npage; i++) {
    const key = `${md.dev}@${(iova + BigInt(i * PAGE_SIZE)).toString()}`;
    const n = (rs.mdevPins.get(key) ?? 0) - 1;
    if (n > 0) rs.mdevPins.set(key, n);
    else rs.mdevPins.delete(key);
  }
  return { value: r, outputs: {} };
}

// ---- what the checker reads -------------------------------------------------------------------------

/** A digest of VFIO and IOMMU state for the explorer's state key (what mm_fingerprint does not cover). */
export function vfioFingerprint(m: Machine): string {
  const sub = m.vfio;
  if (sub === null) return '';
  const parts: string[] = [];
  for (const g of [...sub.groups.values()].sort((a, b) => a.id - b.id)) parts.push(`g${g.id}:${g.container?.id ?? '-'}:${g.container_users}:${g.opened_file ? 1 : 0}:${g.devices.map((d) => d.open_count).join('.')}`);
  for (const io of allIommus(m).sort((a, b) => a.id - b.id)) {
    parts.push(`i${io.id}:${io.dma_avail}:${io.vaddr_invalid_count}:${io.dirty_page_tracking ? 1 : 0}:${io.container_open ? 1 : 0}:${io.domain_list.length}:${io.emulated_iommu_groups.length}:${io.device_list.length}`);
    const dom = io.domain_list[0]?.domain ?? null;
    for (const d of io.dma_list) {
      const pins = [...d.pfn_list.values()].map((p) => `${p.off}=${p.pfn}x${p.ref_count}`).join(',');
      let map = '';
      if (dom !== null) {
        const n = Number(d.size / BigInt(PAGE_SIZE));
        for (let i = 0; i < n && i < 4096; i++) map += `${iommu_iova_to_phys(dom, Number(d.iova) + i * PAGE_SIZE)},`;
      }
      parts.push(`d${d.iova}:${d.size}:${d.vaddr}:${d.prot}:${d.iommu_mapped ? 1 : 0}:${d.vaddr_invalid ? 1 : 0}:${d.locked_vm}:${d.task.pid}:${pins}:${map}`);
    }
  }
  return parts.join('|');
}
