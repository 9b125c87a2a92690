/**
 * Op group: VFIO type1 container and group ioctls (drivers/vfio: container.c, group.c,
 * vfio_iommu_type1.c), through build-vfio.ts: one implementation per ioctl, which decodes the
 * step's arguments and issues the ioctl.
 */
import type { KThread } from '../../sched/index.js';
import { vfioIoctlValue, vfioIommuDirtyPages, vfioIommuGetInfo, vfioIommuMapDma, vfioIommuUnmapDma } from '../build-vfio.js';
import {
  VFIO_CHECK_EXTENSION, VFIO_GET_API_VERSION, VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU,
} from '../../linux/include/uapi/linux/vfio.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { bigArg, evalFlags, evalNum } from '../step.js';
import { VFIO_DMA_MAP_FLAG_NAMES, VFIO_DMA_UNMAP_FLAG_NAMES, VFIO_EXTENSION_NAMES, VFIO_IOMMU_DIRTY_PAGES_FLAG_NAMES, VFIO_IOMMU_TYPE_NAMES, a, en, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

/*
 * Argument decoding, as the ioctls' user structs need it: an absent argument (or `null`, for
 * the ones whose default is computed) takes the value shown; flags that do not resolve are 0
 * (the run is then already `unsupported`). Arguments are evaluated in declaration order.
 */
function num(c: StepCtx, n: string, dflt: number): number {
  const v = c.step.args[n];
  return v === undefined ? dflt : evalNum(c, v);
}

function optNum(c: StepCtx, n: string): number | undefined {
  const v = c.step.args[n];
  return v === undefined || v.kind === 'null' ? undefined : evalNum(c, v);
}

function big(c: StepCtx, n: string, dflt: bigint): bigint {
  return c.step.args[n] === undefined ? dflt : bigArg(c, n);
}

function flagArg(c: StepCtx, n: string): number {
  const v = c.step.args[n];
  return v === undefined ? 0 : evalFlags(c, v, n) ?? 0;
}

function* opGetApiVersion(c: StepCtx): KThread<StepResult> {
  return yield* vfioIoctlValue(c.k, num(c, 'container', -1), VFIO_GET_API_VERSION, 0);
}

function* opCheckExtension(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  return yield* vfioIoctlValue(c.k, container, VFIO_CHECK_EXTENSION, flagArg(c, 'extension'));
}

function* opSetIommu(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  return yield* vfioIoctlValue(c.k, container, VFIO_SET_IOMMU, flagArg(c, 'type'));
}

function* opGroupSetContainer(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  return yield* vfioIoctlValue(c.k, num(c, 'group', -1), VFIO_GROUP_SET_CONTAINER, container);
}

function* opGroupGetDeviceFd(c: StepCtx): KThread<StepResult> {
  const group = num(c, 'group', -1);
  const d = c.step.args.device;
  return yield* vfioIoctlValue(c.k, group, VFIO_GROUP_GET_DEVICE_FD, d !== undefined && d.kind === 'str' ? d.value : null);
}

function* opGetInfo(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  return yield* vfioIommuGetInfo(c.k, container, optNum(c, 'argsz') ?? 16);
}

function* opDirtyPages(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  const iova = big(c, 'iova', 0n);
  const size = big(c, 'size', 0n);
  const flags = flagArg(c, 'flags');
  const argsz = optNum(c, 'argsz');
  return yield* vfioIommuDirtyPages(c.k, container, { flags, iova, size, pgsize: big(c, 'pgsize', 4096n), argsz });
}

function* opMapDma(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  const vaddr = big(c, 'vaddr', 0n);
  const iova = big(c, 'iova', 0n);
  const size = big(c, 'size', 0n);
  const flags = flagArg(c, 'flags');
  return yield* vfioIommuMapDma(c.k, container, { argsz: optNum(c, 'argsz') ?? 32, flags, vaddr, iova, size });
}

function* opUnmapDma(c: StepCtx): KThread<StepResult> {
  const container = num(c, 'container', -1);
  const iova = big(c, 'iova', 0n);
  const size = big(c, 'size', 0n);
  const flags = flagArg(c, 'flags');
  return yield* vfioIommuUnmapDma(c.k, container, { argsz: optNum(c, 'argsz') ?? 24, flags, iova, size });
}

export const VFIO_OPS = {
  VFIO_GET_API_VERSION: { cls: 'syscall', args: [a('container', int)], doc: 'ioctl on the container fd', result: 'version', impl: opGetApiVersion },
  VFIO_CHECK_EXTENSION: {
    cls: 'syscall', args: [a('container', int), a('extension', en('VFIO_', VFIO_EXTENSION_NAMES))], doc: 'ioctl on the container fd', result: '0/1', impl: opCheckExtension,
  },
  VFIO_GROUP_SET_CONTAINER: { cls: 'syscall', args: [a('group', int), a('container', int)], doc: 'ioctl on the group fd', result: '0 or -errno', impl: opGroupSetContainer },
  VFIO_SET_IOMMU: {
    cls: 'syscall', args: [a('container', int), a('type', en('VFIO_', VFIO_IOMMU_TYPE_NAMES))], doc: 'ioctl on the container fd', result: '0 or -errno', impl: opSetIommu,
  },
  VFIO_GROUP_GET_DEVICE_FD: {
    cls: 'syscall', args: [a('group', int), a('device', { kind: 'device' })], doc: 'ioctl on the group fd: device fd or -errno', result: 'fd or -errno', impl: opGroupGetDeviceFd,
  },
  VFIO_IOMMU_GET_INFO: {
    cls: 'syscall', args: [a('container', int), a('argsz', int, 16)], outputs: ['flags', 'iova_pgsizes', 'argsz', 'caps', 'dma_avail', 'iova_ranges'],
    doc: 'ioctl on the container fd; $r.argsz is the size the kernel asks for, $r.caps the capability chain copied (names: IOVA_RANGE, MIGRATION, DMA_AVAIL; [] when argsz was too small), $r.dma_avail the DMA_AVAIL value or null',
    result: '0 or -errno (`$r.iova_pgsizes`, `$r.flags`; `$r.iova_ranges`: the usable IOVA ranges of the IOVA_RANGE capability as `0x<start>-0x<end>` strings, null when argsz had no room; `$r.argsz`: the size the kernel asks for when the capability chain does not fit; `$r.caps`: the chain copied, as names `IOVA_RANGE`, `MIGRATION`, `DMA_AVAIL`, `[]` when argsz had no room; `$r.dma_avail`: the DMA_AVAIL count or null). Conformance: without `argsz` the guest driver passes the bare 24-byte struct (`vfio-get-info`); with one, `vfio-get-info-caps` reads the chain (`$r.argsz`, `$r.caps`, `$r.dma_avail` are compared)',
    impl: opGetInfo,
  },
  VFIO_IOMMU_MAP_DMA: {
    cls: 'syscall',
    args: [a('container', int), a('vaddr', int), a('iova', int), a('size', int), a('flags', fl('VFIO_DMA_MAP_FLAG_', VFIO_DMA_MAP_FLAG_NAMES), 'VFIO_DMA_MAP_FLAG_READ|VFIO_DMA_MAP_FLAG_WRITE'), a('argsz', int, 32)],
    doc: 'ioctl on the container fd', result: '0 or -errno', impl: opMapDma,
  },
  VFIO_IOMMU_UNMAP_DMA: {
    cls: 'syscall', args: [a('container', int), a('iova', int), a('size', int), a('flags', fl('VFIO_DMA_UNMAP_FLAG_', VFIO_DMA_UNMAP_FLAG_NAMES), 0), a('argsz', int, 24)], outputs: ['size'],
    doc: 'ioctl on the container fd; $r.size is the unmapped size', result: '0 or -errno (`$r.size`)', impl: opUnmapDma,
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
    impl: opDirtyPages,
  },
} satisfies OpGroup;
