// Conformance group: iommufd and VFIO device cdev ioctls (the iommufd judge kernel) — how each op of src/scenario/ops/iommufd.ts becomes guest
// driver lines (conformance/guest/pinlab-guest.c), or the typed reason it has none.
import { argFlags, emit, fail, intTok, kv } from '../translate-core.js';
import type { GuestGroup } from './types.js';
import type { StepTx } from '../translate-core.js';

/**
 * A step with `trailing` set: the command's number, its size and its first u32 field through
 * `iommu-ext` (conformance/guest/ops-iommufd-ext.c), which puts a non-zero byte right after the
 * kernel's struct of `struct_size` bytes, as the selftest's cmd_ex_fail does; else `plain`. The
 * kernel refuses such a struct (-E2BIG) before it reads a field, so the other fields stay zero.
 */
function withTrailing(nr: number, structSize: number, field: string | ((t: StepTx) => string), plain: (t: StepTx) => void): (t: StepTx) => void {
  return (t) => {
    const tr = t.a.trailing;
    if (tr === undefined || argFlags(tr) === 0) {
      plain(t);
      return;
    }
    const f = typeof field === 'string' ? t.fd(field) : field(t);
    t.record(emit(t.c, `iommu-ext ${t.as} ${t.fd('iommufd')} ${nr} ${t.fd('size')} ${structSize} ${f}`), 'int');
  };
}

export const IOMMUFD_GUEST = {
  IOMMU_IOAS_ALLOC: {
    guest: 'iommu-ioas-alloc, iommu-ext',
    translate: withTrailing(0x81, 12, 'flags', ({ c, st, as, fd }) => {
      kv(c, st, emit(c, `iommu-ioas-alloc ${as} ${fd('iommufd')} ${fd('flags')} ${fd('size')}`), ['ioas_id']);
    }),
  },
  IOMMU_DESTROY: {
    guest: 'iommu-destroy, iommu-ext',
    translate: withTrailing(0x80, 8, 'id', ({ c, as, record, fd }) => {
      record(emit(c, `iommu-destroy ${as} ${fd('iommufd')} ${fd('id')} ${fd('size')}`), 'int');
    }),
  },
  IOMMU_IOAS_MAP: {
    guest: 'iommu-ioas-map, iommu-ext',
    translate: withTrailing(0x85, 40, (t) => String(argFlags(t.a.flags)), ({ c, st, a, as, fd }) => {
      kv(c, st, emit(c, `iommu-ioas-map ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('user_va')} ${fd('length')} ${fd('iova')} ${argFlags(a.flags)} ${fd('reserved')} ${fd('size')}`), ['iova']);
    }),
  },
  IOMMU_IOAS_COPY: {
    guest: 'iommu-ioas-copy, iommu-ext',
    translate: withTrailing(0x83, 40, (t) => String(argFlags(t.a.flags)), ({ c, st, a, as, fd }) => {
      kv(c, st, emit(c, `iommu-ioas-copy ${as} ${fd('iommufd')} ${fd('dst_ioas_id')} ${fd('src_ioas_id')} ${fd('length')} ${fd('dst_iova')} ${fd('src_iova')} ${argFlags(a.flags)} ${fd('size')}`), ['dst_iova']);
    }),
  },
  IOMMU_IOAS_UNMAP: {
    guest: 'iommu-ioas-unmap, iommu-ext',
    translate: withTrailing(0x86, 24, 'ioas_id', ({ c, st, as, fd }) => {
      kv(c, st, emit(c, `iommu-ioas-unmap ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('iova')} ${fd('length')} ${fd('size')}`), ['length']);
    }),
  },
  IOMMU_IOAS_IOVA_RANGES: {
    guest: 'iommu-iova-ranges, iommu-ext',
    translate: withTrailing(0x84, 32, 'ioas_id', ({ c, st, as, fd }) => {
      const i = emit(c, `iommu-iova-ranges ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('num_iovas')} ${fd('reserved')} ${fd('size')}`);
      kv(c, st, i, ['num_iovas', 'out_iova_alignment']);
      if (st.as !== null) c.plan.push({ name: `${st.as}.ranges`, step: i, kind: 'kvnames', field: 'ranges' });
    }),
  },
  IOMMU_IOAS_ALLOW_IOVAS: {
    guest: 'iommu-allow-iovas, iommu-ext',
    translate: withTrailing(0x82, 24, 'ioas_id', ({ c, a, as, record, fd }) => {
      const iov = a.iovas;
      if (iov?.kind !== 'list') fail('iovas must be a list');
      const parts = iov.items.map((it) => {
        if (it.kind !== 'map') fail('iovas items are { base, len }');
        return `${intTok(c, it.entries.base, 'base')} ${intTok(c, it.entries.len, 'len')}`;
      });
      record(emit(c, `iommu-allow-iovas ${as} ${fd('iommufd')} ${fd('ioas_id')} ${fd('reserved')} ${fd('size')} ${parts.join(' ')}`.trimEnd()), 'int');
    }),
  },
  IOMMU_OPTION: {
    guest: 'iommu-option, iommu-ext',
    translate: withTrailing(0x87, 24, (t) => String(argFlags(t.a.option_id)), ({ c, st, a, as, fd }) => {
      kv(c, st, emit(c, `iommu-option ${as} ${fd('iommufd')} ${argFlags(a.option_id)} ${argFlags(a.op)} ${fd('object_id')} ${fd('val64')} ${fd('reserved')} ${fd('size')}`), ['val64']);
    }),
  },
  IOMMU_VFIO_IOAS: {
    guest: 'iommu-vfio-ioas',
    translate: ({ c, st, a, as, fd }) => {
      kv(c, st, emit(c, `iommu-vfio-ioas ${as} ${fd('iommufd')} ${argFlags(a.op)} ${fd('ioas_id')} ${fd('reserved')} ${fd('size')} ${argFlags(a.trailing)}`), ['ioas_id']);
    },
  },
  IOMMU_IOAS_MAP_FILE: {
    guest: 'iommu-raw',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `iommu-raw ${as} ${fd('iommufd')} 143 ${fd('size')}`), 'int');
    },
  },
  IOMMU_IOAS_CHANGE_PROCESS: {
    guest: 'iommu-raw',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `iommu-raw ${as} ${fd('iommufd')} 146 ${fd('size')}`), 'int');
    },
  },
  VFIO_DEVICE_BIND_IOMMUFD: {
    guest: 'vfio-bind-iommufd',
    translate: ({ c, st, as, fd }) => {
      kv(c, st, emit(c, `vfio-bind-iommufd ${as} ${fd('device_fd')} ${fd('iommufd')} ${fd('flags')} ${fd('argsz')}`), ['devid']);
    },
  },
  VFIO_DEVICE_ATTACH_IOMMUFD_PT: {
    guest: 'vfio-attach-pt',
    translate: ({ c, st, as, fd }) => {
      kv(c, st, emit(c, `vfio-attach-pt ${as} ${fd('device_fd')} ${fd('pt_id')} ${fd('flags')} ${fd('argsz')}`), ['pt_id']);
    },
  },
  VFIO_DEVICE_DETACH_IOMMUFD_PT: {
    guest: 'vfio-detach-pt',
    translate: ({ c, as, record, fd }) => {
      record(emit(c, `vfio-detach-pt ${as} ${fd('device_fd')} ${fd('flags')} ${fd('argsz')}`), 'int');
    },
  },
} satisfies GuestGroup<'iommufd'>;
