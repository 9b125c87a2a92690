/**
 * The iommufd part of the `.def` table (build.ts): the IOMMU_* ioctls on an iommufd fd, the
 * VFIO device cdev's BIND/ATTACH/DETACH, emulated-device pins through an access object, and
 * the state digest. What the checker reads of iommufd (long-term pins, DMA mappings, expected
 * mm->locked_vm) is src/check/iommufd.ts. Calls only the model's functions
 * (src/linux/drivers/iommu/iommufd, drivers/vfio).
 */
import type { Kctx } from '../linux/kctx.js';
import { ENODEV } from '../linux/include/uapi/linux/errno.js';
import {
  IOMMU_DESTROY, IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_CHANGE_PROCESS, IOMMU_IOAS_COPY, IOMMU_IOAS_IOVA_RANGES,
  IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FILE, IOMMU_IOAS_UNMAP, IOMMU_OPTION, IOMMU_VFIO_IOAS, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_DETACH_IOMMUFD_PT,
} from '../linux/include/uapi/linux/iommufd.js';
import type {
  iommu_destroy, iommu_ioas_alloc, iommu_ioas_allow_iovas, iommu_ioas_copy, iommu_ioas_iova_ranges, iommu_ioas_map,
  iommu_ioas_change_process, iommu_ioas_map_file, iommu_ioas_unmap, iommu_iova_range, iommu_option, iommu_vfio_ioas, vfio_device_attach_iommufd_pt, vfio_device_bind_iommufd,
  vfio_device_detach_iommufd_pt,
} from '../linux/include/uapi/linux/iommufd.js';
import { vfio_pin_pages, vfio_unpin_pages } from '../linux/drivers/vfio/vfio.js';
import type { Machine } from '../linux/machine.js';
import type { KThread } from '../sched/index.js';
import { pinnedIndexes } from '../check/iommufd.js';
import type { RunState, StepResult } from './state.js';
import { ioctl } from './build-vfio.js';

/** Arguments of the iommufd scenario ops, evaluated by the caller. */
export interface IommufdArgs {
  fd: number;
  size?: number;
  flags?: number;
  ioas_id?: number;
  dst_ioas_id?: number;
  src_ioas_id?: number;
  user_va?: bigint;
  length?: bigint;
  iova?: bigint;
  dst_iova?: bigint;
  src_iova?: bigint;
  num_iovas?: number;
  iovas?: { start: bigint; last: bigint }[];
  option_id?: number;
  op?: number;
  object_id?: number;
  val64?: bigint;
  id?: number;
  iommufd?: number;
  pt_id?: number;
  argsz?: number;
  reserved?: number;
  file_fd?: number;
  start?: bigint;
  /** Non-zero: user space put a non-zero byte after the struct (iommufd_ucmd_header.trailing). */
  trailing?: number;
}

/*
 * The iommufd and device-cdev ioctls of scenario steps, one function per ioctl: each fills the
 * user's struct from the step's (already evaluated) arguments — `size`/`argsz` default to the
 * struct size —, issues the ioctl on `a.fd`, and reads back what the kernel copied out.
 */

/** IOMMU_IOAS_ALLOC. */
export function* iommuIoasAlloc(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_ioas_alloc = { size: a.size ?? 12, trailing: (a.trailing ?? 0) !== 0, flags: a.flags ?? 0, out_ioas_id: 0 };
  const r = yield* ioctl(k, a.fd, IOMMU_IOAS_ALLOC, cmd);
  return { value: r, outputs: { ioas_id: cmd.out_ioas_id } };
}

/** IOMMU_DESTROY. */
export function* iommuDestroy(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_destroy = { size: a.size ?? 8, trailing: (a.trailing ?? 0) !== 0, id: a.id ?? 0 };
  return { value: yield* ioctl(k, a.fd, IOMMU_DESTROY, cmd), outputs: {} };
}

/** IOMMU_IOAS_MAP. */
export function* iommuIoasMap(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_ioas_map = {
    size: a.size ?? 40, trailing: (a.trailing ?? 0) !== 0, flags: a.flags ?? 0, ioas_id: a.ioas_id ?? 0, __reserved: a.reserved ?? 0, user_va: a.user_va ?? 0n,
    length: a.length ?? 0n, iova: a.iova ?? 0n,
  };
  const r = yield* ioctl(k, a.fd, IOMMU_IOAS_MAP, cmd);
  return { value: r, outputs: { iova: cmd.iova } };
}

/** IOMMU_IOAS_COPY. */
export function* iommuIoasCopy(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_ioas_copy = {
    size: a.size ?? 40, trailing: (a.trailing ?? 0) !== 0, flags: a.flags ?? 0, dst_ioas_id: a.dst_ioas_id ?? 0, src_ioas_id: a.src_ioas_id ?? 0, length: a.length ?? 0n,
    dst_iova: a.dst_iova ?? 0n, src_iova: a.src_iova ?? 0n,
  };
  const r = yield* ioctl(k, a.fd, IOMMU_IOAS_COPY, cmd);
  return { value: r, outputs: { dst_iova: cmd.dst_iova } };
}

/** IOMMU_IOAS_UNMAP. */
export function* iommuIoasUnmap(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_ioas_unmap = { size: a.size ?? 24, trailing: (a.trailing ?? 0) !== 0, ioas_id: a.ioas_id ?? 0, iova: a.iova ?? 0n, length: a.length ?? 0n };
  const r = yield* ioctl(k, a.fd, IOMMU_IOAS_UNMAP, cmd);
  return { value: r, outputs: { length: cmd.length } };
}

/** IOMMU_IOAS_IOVA_RANGES. */
export function* iommuIoasIovaRanges(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const ranges: iommu_iova_range[] = [];
  const cmd: iommu_ioas_iova_ranges = {
    size: a.size ?? 32, trailing: (a.trailing ?? 0) !== 0, ioas_id: a.ioas_id ?? 0, num_iovas: a.num_iovas ?? 0, __reserved: a.reserved ?? 0, allowed_iovas: ranges,
    out_iova_alignment: 0n,
  };
  const r = yield* ioctl(k, a.fd, IOMMU_IOAS_IOVA_RANGES, cmd);
  return {
    value: r,
    outputs: { num_iovas: cmd.num_iovas, out_iova_alignment: cmd.out_iova_alignment, ranges: ranges.map((x) => `0x${x.start.toString(16)}-0x${x.last.toString(16)}`) },
  };
}

/** IOMMU_IOAS_ALLOW_IOVAS. */
export function* iommuIoasAllowIovas(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const iovas = a.iovas ?? [];
  const cmd: iommu_ioas_allow_iovas = {
    size: a.size ?? 24, trailing: (a.trailing ?? 0) !== 0, ioas_id: a.ioas_id ?? 0, num_iovas: iovas.length, __reserved: a.reserved ?? 0, allowed_iovas: iovas.map((x) => ({ ...x })),
  };
  return { value: yield* ioctl(k, a.fd, IOMMU_IOAS_ALLOW_IOVAS, cmd), outputs: {} };
}

/** IOMMU_OPTION. */
export function* iommuOption(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_option = {
    size: a.size ?? 24, trailing: (a.trailing ?? 0) !== 0, option_id: a.option_id ?? 0, op: a.op ?? 0, __reserved: a.reserved ?? 0, object_id: a.object_id ?? 0, val64: a.val64 ?? 0n,
  };
  const r = yield* ioctl(k, a.fd, IOMMU_OPTION, cmd);
  return { value: r, outputs: { val64: cmd.val64 } };
}

/** IOMMU_VFIO_IOAS. */
export function* iommuVfioIoas(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_vfio_ioas = { size: a.size ?? 12, trailing: (a.trailing ?? 0) !== 0, ioas_id: a.ioas_id ?? 0, op: a.op ?? 0, __reserved: a.reserved ?? 0 };
  const r = yield* ioctl(k, a.fd, IOMMU_VFIO_IOAS, cmd);
  return { value: r, outputs: { ioas_id: cmd.ioas_id } };
}

/** IOMMU_IOAS_MAP_FILE. */
export function* iommuIoasMapFile(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_ioas_map_file = {
    size: a.size ?? 40, flags: a.flags ?? 0, ioas_id: a.ioas_id ?? 0, fd: a.file_fd ?? -1, start: a.start ?? 0n, length: a.length ?? 0n, iova: a.iova ?? 0n,
  };
  const r = yield* ioctl(k, a.fd, IOMMU_IOAS_MAP_FILE, cmd);
  return { value: r, outputs: { iova: cmd.iova } };
}

/** IOMMU_IOAS_CHANGE_PROCESS. */
export function* iommuIoasChangeProcess(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: iommu_ioas_change_process = { size: a.size ?? 8, __reserved: a.reserved ?? 0 };
  return { value: yield* ioctl(k, a.fd, IOMMU_IOAS_CHANGE_PROCESS, cmd), outputs: {} };
}

/** VFIO_DEVICE_BIND_IOMMUFD. */
export function* vfioDeviceBindIommufd(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: vfio_device_bind_iommufd = { argsz: a.argsz ?? 16, flags: a.flags ?? 0, iommufd: a.iommufd ?? -1, out_devid: 0 };
  const r = yield* ioctl(k, a.fd, VFIO_DEVICE_BIND_IOMMUFD, cmd);
  return { value: r, outputs: { devid: cmd.out_devid } };
}

/** VFIO_DEVICE_ATTACH_IOMMUFD_PT. */
export function* vfioDeviceAttachIommufdPt(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: vfio_device_attach_iommufd_pt = { argsz: a.argsz ?? 12, flags: a.flags ?? 0, pt_id: a.pt_id ?? 0 };
  const r = yield* ioctl(k, a.fd, VFIO_DEVICE_ATTACH_IOMMUFD_PT, cmd);
  return { value: r, outputs: { pt_id: cmd.pt_id } };
}

/** VFIO_DEVICE_DETACH_IOMMUFD_PT. */
export function* vfioDeviceDetachIommufdPt(k: Kctx, a: IommufdArgs): KThread<StepResult> {
  const cmd: vfio_device_detach_iommufd_pt = { argsz: a.argsz ?? 8, flags: a.flags ?? 0 };
  return { value: yield* ioctl(k, a.fd, VFIO_DEVICE_DETACH_IOMMUFD_PT, cmd), outputs: {} };
}

/**
 * An emulated (mdev) device's driver pins `npage` pages at iova through vfio_pin_pages(), which
 * for a device bound to an iommufd goes to its access object (one access range per call).
 * The pin is remembered as `<dev>@<iova>+<npage>` so the driver's unmap callback (build-vfio.ts)
 * unpins exactly the ranges it pinned, as iommufd requires.
 */
export function* accessPin(k: Kctx, rs: RunState, dev: string, iova: bigint, npage: number, prot: number): KThread<StepResult> {
  const d = rs.devices.get(dev);
  if (d === undefined || d.edu !== null) return { value: -ENODEV, outputs: {} };
  const pfns: number[] = new Array<number>(Math.max(0, Math.min(npage, 4096))).fill(0);
  const r = yield* vfio_pin_pages(k, d.vdev, iova, npage, prot, pfns);
  if (r > 0) {
    const key = `${dev}@${iova.toString()}+${npage}`;
    rs.mdevPins.set(key, (rs.mdevPins.get(key) ?? 0) + 1);
  }
  return { value: r, outputs: { pages: r > 0 ? pfns.slice(0, r) : [] } };
}

/** The driver unpins what a pin of the same `iova` and `npage` took (vfio_unpin_pages). */
export function* accessUnpin(k: Kctx, rs: RunState, dev: string, iova: bigint, npage: number): KThread<StepResult> {
  const d = rs.devices.get(dev);
  if (d === undefined || d.edu !== null) return { value: -ENODEV, outputs: {} };
  const r = yield* vfio_unpin_pages(k, d.vdev, iova, npage);
  const key = `${dev}@${iova.toString()}+${npage}`;
  const n = (rs.mdevPins.get(key) ?? 0) - 1;
  if (n > 0) rs.mdevPins.set(key, n);
  else rs.mdevPins.delete(key);
  return { value: r, outputs: {} };
}

/** A digest of iommufd state for the explorer's state key. */
export function iommufdFingerprint(m: Machine): string {
  const parts: string[] = [];
  for (const ictx of m.iommufd?.ctxs ?? []) {
    parts.push(`c${ictx.id}:${ictx.account_mode}:${[...ictx.reserved].join(',')}:${ictx.vfio_ioas?.obj.id ?? '-'}`);
    for (const [id, o] of [...ictx.objects].sort((x, y) => x[0] - y[0])) {
      parts.push(`o${id}:${o.obj.type}:${o.obj.users}`);
      if (o.obj.type !== 'IOMMUFD_OBJ_IOAS' || !('iopt' in o)) continue;
      parts.push(`a${o.iopt.iova_alignment}:${o.iopt.disable_large_pages ? 1 : 0}:${o.iopt.domains.map((d) => d.id).join('.')}:${o.iopt.reserved.length}:${o.iopt.allowed.length}`);
      for (const area of o.iopt.areas) {
        const p = area.pages;
        parts.push(`r${area.iova}-${area.last}:${area.iommu_prot}:${area.storage_domain?.id ?? '-'}:${area.num_accesses}:${p === null ? '-' : `${p.id}/${p.npinned}/${p.last_npinned}/${p.account_mode}/${[...pinnedIndexes(p)].map(([i, v]) => `${i}=${v.pfn}`).join(',')}`}`);
      }
    }
  }
  return parts.join('|');
}

