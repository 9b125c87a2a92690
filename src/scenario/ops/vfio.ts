/**
 * Op group: VFIO type1 container and group ioctls (drivers/vfio: container.c, group.c,
 * vfio_iommu_type1.c), through build-vfio.ts.
 */
import type { KThread } from '../../sched/index.js';
import { vfioIoctl } from '../build-vfio.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { bigArg, evalFlags, evalNum } from '../step.js';
import { VFIO_DMA_MAP_FLAG_NAMES, VFIO_DMA_UNMAP_FLAG_NAMES, VFIO_EXTENSION_NAMES, VFIO_IOMMU_DIRTY_PAGES_FLAG_NAMES, VFIO_IOMMU_TYPE_NAMES, a, en, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

function* opVfio(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const num = (n: string): number | undefined => (a[n] === undefined ? undefined : evalNum(c, a[n]));
  const fl = (n: string): number | undefined => {
    if (a[n] === undefined) return undefined;
    const v = evalFlags(c, a[n], n);
    return v === null ? undefined : v;
  };
  const args = {
    container: num('container'),
    group: num('group'),
    device: a.device !== undefined && a.device.kind === 'str' ? a.device.value : undefined,
    extension: fl('extension'),
    type: fl('type'),
    vaddr: a.vaddr === undefined ? undefined : bigArg(c, 'vaddr'),
    iova: a.iova === undefined ? undefined : bigArg(c, 'iova'),
    size: a.size === undefined ? undefined : bigArg(c, 'size'),
    flags: fl('flags'),
    argsz: a.argsz === undefined || a.argsz.kind === 'null' ? undefined : evalNum(c, a.argsz),
    pgsize: a.pgsize === undefined ? undefined : bigArg(c, 'pgsize'),
  };
  return yield* vfioIoctl(c.k, c.step.op, args);
}

export const VFIO_OPS = {
  VFIO_GET_API_VERSION: { cls: 'syscall', args: [a('container', int)], doc: 'ioctl on the container fd', result: 'version', impl: opVfio },
  VFIO_CHECK_EXTENSION: {
    cls: 'syscall', args: [a('container', int), a('extension', en('VFIO_', VFIO_EXTENSION_NAMES))], doc: 'ioctl on the container fd', result: '0/1', impl: opVfio,
  },
  VFIO_GROUP_SET_CONTAINER: { cls: 'syscall', args: [a('group', int), a('container', int)], doc: 'ioctl on the group fd', result: '0 or -errno', impl: opVfio },
  VFIO_SET_IOMMU: {
    cls: 'syscall', args: [a('container', int), a('type', en('VFIO_', VFIO_IOMMU_TYPE_NAMES))], doc: 'ioctl on the container fd', result: '0 or -errno', impl: opVfio,
  },
  VFIO_GROUP_GET_DEVICE_FD: {
    cls: 'syscall', args: [a('group', int), a('device', { kind: 'device' })], doc: 'ioctl on the group fd: device fd or -errno', result: 'fd or -errno', impl: opVfio,
  },
  VFIO_IOMMU_GET_INFO: {
    cls: 'syscall', args: [a('container', int), a('argsz', int, 16)], outputs: ['flags', 'iova_pgsizes', 'argsz', 'caps', 'dma_avail', 'iova_ranges'],
    doc: 'ioctl on the container fd; $r.argsz is the size the kernel asks for, $r.caps the capability chain copied (names: IOVA_RANGE, MIGRATION, DMA_AVAIL; [] when argsz was too small), $r.dma_avail the DMA_AVAIL value or null',
    result: '0 or -errno (`$r.iova_pgsizes`, `$r.flags`; `$r.iova_ranges`: the usable IOVA ranges of the IOVA_RANGE capability as `0x<start>-0x<end>` strings, null when argsz had no room; `$r.argsz`: the size the kernel asks for when the capability chain does not fit; `$r.caps`: the chain copied, as names `IOVA_RANGE`, `MIGRATION`, `DMA_AVAIL`, `[]` when argsz had no room; `$r.dma_avail`: the DMA_AVAIL count or null). Conformance: without `argsz` the guest driver passes the bare 24-byte struct (`vfio-get-info`); with one, `vfio-get-info-caps` reads the chain (`$r.argsz`, `$r.caps`, `$r.dma_avail` are compared)',
    impl: opVfio,
  },
  VFIO_IOMMU_MAP_DMA: {
    cls: 'syscall',
    args: [a('container', int), a('vaddr', int), a('iova', int), a('size', int), a('flags', fl('VFIO_DMA_MAP_FLAG_', VFIO_DMA_MAP_FLAG_NAMES), 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE'), a('argsz', int, 32)],
    doc: 'ioctl on the container fd', result: '0 or -errno', impl: opVfio,
  },
  VFIO_IOMMU_UNMAP_DMA: {
    cls: 'syscall', args: [a('container', int), a('iova', int), a('size', int), a('flags', fl('VFIO_DMA_UNMAP_FLAG_', VFIO_DMA_UNMAP_FLAG_NAMES), 0), a('argsz', int, 24)], outputs: ['size'],
    doc: 'ioctl on the container fd; $r.size is the unmapped size', result: '0 or -errno (`$r.size`)', impl: opVfio,
  },
  VFIO_IOMMU_DIRTY_PAGES: {
    cls: 'syscall',
    args: [
      a('container', int), a('flags', fl('VFIO_IOMMU_DIRTY_PAGES_FLAG_', VFIO_IOMMU_DIRTY_PAGES_FLAG_NAMES), undefined, '`VFIO_IOMMU_DIRTY_PAGES_FLAG_START`/`_STOP`/`_GET_BITMAP`'),
      a('iova', int, 0), a('size', int, 0), a('pgsize', int, 4096), a('argsz', int, null, '8, or 8+40 with GET_BITMAP'),
    ],
    outputs: ['dirty'],
    doc: 'ioctl on the container fd (START, STOP, or GET_BITMAP of [iova, iova+size) at pgsize into a bitmap of exactly size/pgsize bits); argsz defaults to the struct size the flags need; $r.dirty lists the dirty page indexes (from iova) GET_BITMAP reported',
    result: '0 or -errno (`$r.dirty`: the indexes, from `iova` in `pgsize` units, of the bits GET_BITMAP set in a user bitmap of exactly `size/pgsize` bits rounded up to u64s). Conformance: `vfio-dirty` (`$r.dirty` is compared)',
    impl: opVfio,
  },
} satisfies OpGroup;
