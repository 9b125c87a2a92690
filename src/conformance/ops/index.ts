// The guest translation of every op (src/scenario/ops/index.ts OP_TABLE), by area: the
// compiler checks that each area's group covers that area's ops and that every area is here.
import { PRCTL_GUEST } from './prctl.js';
import type { OpArea, OpName } from '../../scenario/ops/index.js';
import { MM_GUEST } from './mm.js';
import { PROCESS_GUEST } from './process.js';
import { VFIO_GUEST } from './vfio.js';
import { IOMMUFD_GUEST } from './iommufd.js';
import { IO_URING_GUEST } from './io_uring.js';
import { DEVICE_GUEST } from './device.js';
import { GUP_GUEST } from './gup.js';
import { MDEV_GUEST } from './mdev.js';
import { MIGRATE_GUEST } from './migrate.js';
import { OBSERVE_GUEST } from './observe.js';
import { REMOTE_GUEST } from './remote.js';
import { PIPE_IO_GUEST } from './pipe_io.js';
import { ADDRSPACE_GUEST } from './addrspace.js';
import { MEMBLOCK_GUEST } from './memblock.js';
import type { GuestOp } from './types.js';

export const GUEST_GROUPS = {
  mm: MM_GUEST,
  process: PROCESS_GUEST,
  vfio: VFIO_GUEST,
  iommufd: IOMMUFD_GUEST,
  io_uring: IO_URING_GUEST,
  device: DEVICE_GUEST,
  gup: GUP_GUEST,
  mdev: MDEV_GUEST,
  migrate: MIGRATE_GUEST,
  observe: OBSERVE_GUEST,
  remote: REMOTE_GUEST,
  pipe_io: PIPE_IO_GUEST,
  addrspace: ADDRSPACE_GUEST,
  memblock: MEMBLOCK_GUEST,
  prctl: PRCTL_GUEST,
} as const satisfies { readonly [A in OpArea]: unknown };

/** Every op's guest translation or reason. */
export const GUEST_OPS: Readonly<Record<OpName, GuestOp>> = Object.assign({}, ...Object.values(GUEST_GROUPS)) as Record<OpName, GuestOp>;

export type { GuestOp, NoGuestReason } from './types.js';
