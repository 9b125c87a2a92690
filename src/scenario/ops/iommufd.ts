/**
 * Op group: iommufd (CONFIG_IOMMUFD: profiles v6.2+iommufd to v6.18+iommufd) — the IOMMU_* ioctls on an
 * iommufd and the VFIO device cdev's BIND/ATTACH/DETACH, each through its own function of
 * build-iommufd.ts. `iommufd`
 * is the fd of /dev/iommu (or of /dev/vfio/vfio served by iommufd); `size`/`argsz` default
 * to the struct size and can be set to test the kernel's checks; `trailing: 1` (with a `size`
 * larger than the struct) puts a non-zero byte right after the struct the kernel knows (the
 * IOMMU_* commands, not MAP_FILE/CHANGE_PROCESS nor the device cdev's).
 */
import type { KThread } from '../../sched/index.js';
import type { IommufdArgs } from '../build-iommufd.js';
import {
  iommuDestroy, iommuIoasAlloc, iommuIoasAllowIovas, iommuIoasChangeProcess, iommuIoasCopy, iommuIoasIovaRanges, iommuIoasMap, iommuIoasMapFile,
  iommuIoasUnmap, iommuOption, iommuVfioIoas, vfioDeviceAttachIommufdPt, vfioDeviceBindIommufd, vfioDeviceDetachIommufdPt,
} from '../build-iommufd.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalFlags, evalInt, evalNum } from '../step.js';
import { IOMMU_IOAS_MAP_FLAG_NAMES, IOMMU_OPTION_NAMES, IOMMU_OPTION_OP_NAMES, IOMMU_VFIO_IOAS_OP_NAMES, a, en, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

/**
 * The step's arguments, evaluated in a fixed order (the arguments a step does not have stay
 * undefined); the ioctl goes to `device_fd` for a device cdev ioctl (`dev`), else to `iommufd`.
 */
function decode(c: StepCtx, dev: boolean): IommufdArgs {
  const a = c.step.args;
  const num = (n: string): number | undefined => (a[n] === undefined || a[n].kind === 'null' ? undefined : evalNum(c, a[n]));
  const big = (n: string): bigint | undefined => (a[n] === undefined || a[n].kind === 'null' ? undefined : evalInt(c.rs, a[n]));
  const fl = (n: string): number | undefined => {
    if (a[n] === undefined) return undefined;
    const v = evalFlags(c, a[n], n);
    return v === null ? undefined : v;
  };
  const iovas = a.iovas !== undefined && a.iovas.kind === 'list'
    ? a.iovas.items.flatMap((x) => {
      if (x.kind !== 'map') return [];
      const start = evalInt(c.rs, x.entries.base);
      return [{ start, last: start + evalInt(c.rs, x.entries.len) - 1n }];
    })
    : undefined;
  return {
    fd: (dev ? num('device_fd') : num('iommufd')) ?? -1, size: num('size'), flags: fl('flags'), ioas_id: num('ioas_id'), dst_ioas_id: num('dst_ioas_id'),
    src_ioas_id: num('src_ioas_id'), user_va: big('user_va'), length: big('length'), iova: big('iova'), dst_iova: big('dst_iova'),
    src_iova: big('src_iova'), num_iovas: num('num_iovas'), iovas, option_id: fl('option_id'), op: fl('op'), object_id: num('object_id'),
    val64: big('val64'), id: num('id'), iommufd: dev ? num('iommufd') : undefined, pt_id: num('pt_id'), argsz: num('argsz'), reserved: num('reserved'),
    file_fd: num('file_fd'), start: big('start'), trailing: num('trailing'),
  };
}

/** An op's implementation: decode its arguments, run its own ioctl (build-iommufd.ts). */
function via(ioctl: (k: StepCtx['k'], a: IommufdArgs) => KThread<StepResult>, dev = false): (c: StepCtx) => KThread<StepResult> {
  return function* (c) {
    return yield* ioctl(c.k, decode(c, dev));
  };
}

const MAP_FLAGS = fl('IOMMU_IOAS_MAP_', IOMMU_IOAS_MAP_FLAG_NAMES);
const RW = 'IOMMU_IOAS_MAP_READABLE|IOMMU_IOAS_MAP_WRITEABLE';
const TRAILING = a('trailing', int, 0, 'non-zero: a non-zero byte right after the kernel\'s struct (with a larger `size`: -E2BIG)');

export const IOMMUFD_OPS = {
  IOMMU_IOAS_ALLOC: {
    cls: 'syscall', args: [a('iommufd', int, undefined, 'an fd of `/dev/iommu`, or of `/dev/vfio/vfio` served by iommufd'), a('flags', int, 0), a('size', int, 12), TRAILING], outputs: ['ioas_id'],
    doc: 'ioctl on an iommufd: a new IOAS; $r.ioas_id', result: '0 or -errno (`$r.ioas_id`)', impl: via(iommuIoasAlloc),
  },
  IOMMU_DESTROY: {
    cls: 'syscall', args: [a('iommufd', int), a('id', int), a('size', int, 8), TRAILING], doc: 'ioctl on an iommufd: destroy an object (-EBUSY while in use)',
    result: '0 or -errno (-EBUSY while in use)', impl: via(iommuDestroy),
  },
  IOMMU_IOAS_MAP: {
    cls: 'syscall',
    args: [a('iommufd', int), a('ioas_id', int), a('user_va', int), a('length', int), a('iova', int, 0), a('flags', MAP_FLAGS, RW, 'add `IOMMU_IOAS_MAP_FIXED_IOVA` to use `iova`'), a('reserved', int, 0), a('size', int, 40), TRAILING],
    outputs: ['iova'], doc: 'ioctl on an iommufd: map user memory into an IOAS (pins only if a domain is attached); without IOMMU_IOAS_MAP_FIXED_IOVA the kernel picks $r.iova',
    result: '0 or -errno (`$r.iova`: where it was mapped). Pins only when a device (domain) is attached', impl: via(iommuIoasMap),
  },
  IOMMU_IOAS_COPY: {
    cls: 'syscall',
    args: [a('iommufd', int), a('dst_ioas_id', int), a('src_ioas_id', int), a('length', int), a('dst_iova', int, 0), a('src_iova', int), a('flags', MAP_FLAGS, RW), a('size', int, 40), TRAILING],
    outputs: ['dst_iova'], doc: 'ioctl on an iommufd: map the pages behind a range of one IOAS into another (the same pins); $r.dst_iova',
    result: '0 or -errno (`$r.dst_iova`)', impl: via(iommuIoasCopy),
  },
  IOMMU_IOAS_UNMAP: {
    cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('iova', int), a('length', int), a('size', int, 24), TRAILING], outputs: ['length'],
    doc: 'ioctl on an iommufd: unmap whole areas (iova 0 + length 2^64-1: all); $r.length the bytes unmapped',
    result: '0 or -errno (`$r.length`: bytes unmapped); whole areas only (-ENOENT)', impl: via(iommuIoasUnmap),
  },
  IOMMU_IOAS_IOVA_RANGES: {
    cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('num_iovas', int, 8), a('reserved', int, 0), a('size', int, 32), TRAILING], outputs: ['num_iovas', 'out_iova_alignment', 'ranges'],
    doc: 'ioctl on an iommufd: the usable IOVA ranges ($r.ranges as "0xSTART-0xLAST"), their number and the IOVA alignment',
    result: '0 or -errno (`$r.num_iovas`, `$r.out_iova_alignment`, `$r.ranges` as `0xSTART-0xLAST`)', impl: via(iommuIoasIovaRanges),
  },
  IOMMU_IOAS_ALLOW_IOVAS: {
    cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('iovas', { kind: 'iovecs' }, undefined, 'list of `{ base: start, len }`'), a('reserved', int, 0), a('size', int, 24), TRAILING],
    doc: 'ioctl on an iommufd: restrict automatic IOVAs to the ranges { base: start, len } (last = start + len - 1)', result: '0 or -errno', impl: via(iommuIoasAllowIovas),
  },
  IOMMU_OPTION: {
    cls: 'syscall',
    args: [a('iommufd', int), a('option_id', en('IOMMU_OPTION_', IOMMU_OPTION_NAMES)), a('op', en('IOMMU_OPTION_OP_', IOMMU_OPTION_OP_NAMES)), a('object_id', int, 0), a('val64', int, 0), a('reserved', int, 0), a('size', int, 24), TRAILING],
    outputs: ['val64'], doc: 'ioctl on an iommufd: RLIMIT_MODE (0 user->locked_vm, 1 mm->locked_vm) or an IOAS\'s HUGE_PAGES; $r.val64',
    result: '0 or -errno (`$r.val64`)', impl: via(iommuOption),
  },
  IOMMU_VFIO_IOAS: {
    cls: 'syscall',
    args: [a('iommufd', int), a('op', en('IOMMU_VFIO_IOAS_', IOMMU_VFIO_IOAS_OP_NAMES)), a('ioas_id', int, 0), a('reserved', int, 0), a('size', int, 12), TRAILING],
    outputs: ['ioas_id'], doc: 'ioctl on an iommufd: GET ($r.ioas_id), SET or CLEAR the IOAS the VFIO compat container ioctls use',
    result: '0 or -errno (`$r.ioas_id` after GET; -ENODEV: no compat IOAS)', impl: via(iommuVfioIoas),
  },
  IOMMU_IOAS_MAP_FILE: {
    cls: 'syscall', args: [a('iommufd', int), a('ioas_id', int), a('file_fd', int), a('start', int, 0), a('length', int), a('iova', int, 0), a('flags', MAP_FLAGS, RW), a('size', int, 40)], outputs: ['iova'],
    doc: 'ioctl on an iommufd: map [start, start + length) of a memfd by file offset (6.13+: v6.18+iommufd; before: -ENOTTY); pinned with memfd_pin_folios when a domain or access needs the pages (-EINVAL then for a file that is not shmem or a range past its end)',
    result: '0 or -errno (`$r.iova`); -ENOTTY before 6.13', impl: via(iommuIoasMapFile),
  },
  IOMMU_IOAS_CHANGE_PROCESS: {
    cls: 'syscall', args: [a('iommufd', int), a('reserved', int, 0), a('size', int, 8)],
    doc: 'ioctl on an iommufd: make the calling process the owner of every mapping (charged for the pinned pages, the old owner uncharged); every area must be a file mapping (-EINVAL); 6.13+: v6.18+iommufd (before: -ENOTTY)',
    result: '0 or -errno; -ENOTTY before 6.13', impl: via(iommuIoasChangeProcess),
  },
  VFIO_DEVICE_BIND_IOMMUFD: {
    cls: 'syscall', args: [a('device_fd', int, undefined, 'of `/dev/vfio/devices/vfioN`'), a('iommufd', int), a('flags', int, 0), a('argsz', int, 16)], outputs: ['devid'],
    doc: 'ioctl on a /dev/vfio/devices/vfioN fd: bind the device to an iommufd; $r.devid', result: '0 or -errno (`$r.devid`)', impl: via(vfioDeviceBindIommufd, true),
  },
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
    cls: 'syscall', args: [a('device_fd', int), a('pt_id', int, undefined, 'an IOAS or hwpt id'), a('flags', int, 0), a('argsz', int, 12)], outputs: ['pt_id'],
    doc: 'ioctl on a bound device cdev fd: attach to an IOAS (or hwpt); $r.pt_id the hwpt', result: '0 or -errno (`$r.pt_id`: the hwpt)', impl: via(vfioDeviceAttachIommufdPt, true),
  },
  VFIO_DEVICE_DETACH_IOMMUFD_PT: {
    cls: 'syscall', args: [a('device_fd', int), a('flags', int, 0), a('argsz', int, 8)], doc: 'ioctl on a bound device cdev fd: detach', result: '0 or -errno', impl: via(vfioDeviceDetachIommufdPt, true),
  },
} satisfies OpGroup;
