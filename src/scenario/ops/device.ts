/**
 * Op group: device actions — the edu device's DMA through the IOMMU (drivers/misc/edu).
 */
import { PAGE_SIZE } from '../../linux/include/linux/mm_types.js';
import type { KThread } from '../../sched/index.js';
import { deviceDmaRead, deviceDmaWrite } from '../build-vfio.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalNum, noPoint, ret } from '../step.js';
import { a, int } from './flags.js';
import type { OpGroup } from './types.js';

function* opDmaWrite(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const dev = a.device.kind === 'str' ? a.device.value : '';
  const content = a.content.kind === 'str' ? a.content.value : '';
  const iova = evalNum(c, a.iova);
  const len = evalNum(c, a.length);
  let r = 0;
  // Page by page, byte-exact: a page the range covers in part keeps its other bytes.
  for (let at = iova; at < iova + len && r === 0;) {
    const chunk = Math.min(PAGE_SIZE - (at % PAGE_SIZE), iova + len - at);
    r = deviceDmaWrite(c.k, c.rs, dev, at, content, chunk);
    at += chunk;
  }
  yield* noPoint();
  return ret(r);
}

function* opDmaRead(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const dev = a.device.kind === 'str' ? a.device.value : '';
  yield* noPoint();
  return ret(deviceDmaRead(c.k, c.rs, dev, evalNum(c, a.iova)));
}

export const DEVICE_OPS = {
  device_dma_write: {
    cls: 'device', args: [a('device', { kind: 'device' }), a('iova', int), a('length', int, 4096), a('content', { kind: 'content' })],
    doc: 'the device writes a content tag to [iova, iova+length) through the IOMMU, byte-exact: 0 or -EFAULT', result: '0 or -errno (IOMMU fault: -EFAULT) — edu DMA RAM←device', impl: opDmaWrite,
  },
  device_dma_read: {
    cls: 'device', args: [a('device', { kind: 'device' }), a('iova', int)], doc: 'the device reads the byte at iova through the IOMMU: its content tag or -EFAULT',
    result: 'content tag or -errno — edu DMA device←RAM', impl: opDmaRead,
  },
} satisfies OpGroup;
