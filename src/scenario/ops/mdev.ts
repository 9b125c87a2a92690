/**
 * Op group: pins an emulated (mdev) device's vendor driver takes — vfio_pin_pages() on a
 * type1 container, or through an iommufd access object (kernel entry points: model only).
 */
import { EINVAL } from '../../linux/include/uapi/linux/errno.js';
import type { KThread } from '../../sched/index.js';
import { mdevPin, mdevUnpin } from '../build-vfio.js';
import { accessPin, accessUnpin } from '../build-iommufd.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { evalCInt, evalFlags, evalInt, evalNum, ret } from '../step.js';
import { IOMMU_PROT_NAMES, a, fl, int } from './flags.js';
import type { OpGroup } from './types.js';

function* opVfioPin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const prot = evalFlags(c, a.prot, 'prot');
  if (prot === null) return ret(-EINVAL);
  return yield* mdevPin(c.k, c.rs, evalNum(c, a.container), evalInt(c.rs, a.iova), evalCInt(c.rs, a.npage), prot);
}

function* opVfioUnpin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return yield* mdevUnpin(c.k, c.rs, evalNum(c, a.container), evalInt(c.rs, a.iova), evalCInt(c.rs, a.npage));
}

function* opAccessPin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  const prot = evalFlags(c, a.prot, 'prot');
  if (prot === null) return ret(-EINVAL);
  return yield* accessPin(c.k, c.rs, a.device.kind === 'str' ? a.device.value : '', evalInt(c.rs, a.iova), evalNum(c, a.npage), prot);
}

function* opAccessUnpin(c: StepCtx): KThread<StepResult> {
  const a = c.step.args;
  return yield* accessUnpin(c.k, c.rs, a.device.kind === 'str' ? a.device.value : '', evalInt(c.rs, a.iova), evalNum(c, a.npage));
}

const PROT = fl('IOMMU_', IOMMU_PROT_NAMES);

export const MDEV_OPS = {
  vfio_pin_pages: {
    cls: 'kernel', args: [a('container', int), a('iova', int), a('npage', int), a('prot', PROT, 'IOMMU_READ|IOMMU_WRITE')], outputs: ['pages'],
    doc: 'drivers/vfio vfio_pin_pages() (mdev external pin)', result: 'pages pinned or -errno (`$r.pages`)', impl: opVfioPin,
  },
  vfio_unpin_pages: { cls: 'kernel', args: [a('container', int), a('iova', int), a('npage', int)], doc: 'drivers/vfio vfio_unpin_pages()', result: 'npage or -errno', impl: opVfioUnpin },
  iommufd_access_pin_pages: {
    cls: 'kernel', args: [a('device', { kind: 'device' }, undefined, 'an mdev bound to an iommufd through its cdev'), a('iova', int), a('npage', int), a('prot', PROT, 'IOMMU_READ|IOMMU_WRITE')], outputs: ['pages'],
    doc: 'an emulated (mdev) device bound to an iommufd pins through vfio_pin_pages() → iommufd_access_pin_pages()',
    result: 'pages pinned or -errno (`$r.pages`): vfio_pin_pages() → iommufd_access_pin_pages(), one access range per call', impl: opAccessPin,
  },
  iommufd_access_unpin_pages: {
    cls: 'kernel', args: [a('device', { kind: 'device' }), a('iova', int), a('npage', int, undefined, 'as pinned')],
    doc: 'the emulated device unpins (vfio_unpin_pages() → iommufd_access_unpin_pages())', result: '0 or -errno', impl: opAccessUnpin,
  },
} satisfies OpGroup;
