/**
 * The operation table: the single place a scenario op is declared.
 *
 * Each area declares its ops in its own file (src/scenario/ops/<area>.ts) as one `OpGroup`
 * (types.ts: class, argument schema, outputs, doc, result text, implementation); this file
 * joins the groups, in catalogue order. The validator (parse.ts, schema.ts), the runner
 * (build.ts opImpl), the docs catalogue (scripts/gen-op-catalogue.ts) and the fuzz campaign
 * read it; src/conformance/ops/ holds the guest translation of each op (or the typed reason
 * it has none), keyed by the same `OpName`s and checked by the compiler to cover all of them.
 *
 * Declaring an op:
 *  1. In src/scenario/ops/<area>.ts add `name: { cls, args, outputs?, doc, result, impl }` to the
 *     area's group (`satisfies OpGroup`). `args` use the helpers of flags.ts (`a('addr', int)`,
 *     `a('flags', fl('MAP_', MAP_NAMES), 0)`); `impl` is a `function* (c: StepCtx)` using
 *     step.ts (evalNum, evalFlags, ret, noPoint) that calls the src/linux model, or
 *     `{ notModelled: 'why' }` while the model part is missing.
 *  2. In src/conformance/ops/<area>.ts add the same name: `{ guest: '<driver cmd>', translate:
 *     ({ c, a, as, record, fd }) => { record(emit(c, `<cmd> ${as} ${fd('x')}`), 'int'); } }`
 *     (translate-core.ts helpers; the C side goes in conformance/guest/ops-<topic>.c), or
 *     `{ none: '<NoGuestReason>' }` (src/conformance/ops/types.ts lists the reasons).
 *  3. `npm run docs` (the catalogue in docs/scenario-format.md) and `npm run schema`.
 * A new area: a file on each side, plus one line in this file's OP_GROUPS and in
 * src/conformance/ops/index.ts GUEST_GROUPS. tests/unit/scenario/op-table.test.ts checks it all.
 */
import { MM_OPS } from './mm.js';
import { PROCESS_OPS } from './process.js';
import { VFIO_OPS } from './vfio.js';
import { IOMMUFD_OPS } from './iommufd.js';
import { IO_URING_OPS } from './io_uring.js';
import { DEVICE_OPS } from './device.js';
import { GUP_OPS } from './gup.js';
import { MDEV_OPS } from './mdev.js';
import { MIGRATE_OPS } from './migrate.js';
import { OBSERVE_OPS } from './observe.js';
import { REMOTE_OPS } from './remote.js';
import { PIPE_IO_OPS } from './pipe_io.js';
import { ADDRSPACE_OPS } from './addrspace.js';
import { MEMBLOCK_OPS } from './memblock.js';
import { PRCTL_OPS } from './prctl.js';
import type { OpDef, OpGroup } from './types.js';

/** The groups by area, in catalogue order (a new area: one import and one line here, and its conformance group). */
export const OP_GROUPS = {
  mm: MM_OPS,
  process: PROCESS_OPS,
  vfio: VFIO_OPS,
  iommufd: IOMMUFD_OPS,
  io_uring: IO_URING_OPS,
  device: DEVICE_OPS,
  gup: GUP_OPS,
  mdev: MDEV_OPS,
  migrate: MIGRATE_OPS,
  observe: OBSERVE_OPS,
  remote: REMOTE_OPS,
  pipe_io: PIPE_IO_OPS,
  addrspace: ADDRSPACE_OPS,
  memblock: MEMBLOCK_OPS,
  prctl: PRCTL_OPS,
} as const satisfies Readonly<Record<string, OpGroup>>;

export type OpArea = keyof typeof OP_GROUPS;

/** Every key of every group (a union over the groups). */
type KeysOf<G> = G extends unknown ? keyof G : never;
export type OpName = KeysOf<(typeof OP_GROUPS)[OpArea]> & string;

/** The ops of one area, by name (the conformance side keys its groups by this). */
export type OpNamesOf<A extends OpArea> = keyof (typeof OP_GROUPS)[A] & string;

/** The joined table. Two groups declaring the same name is a pinlab bug (tests/unit/op-table.test.ts checks it). */
export const OP_TABLE: Readonly<Record<OpName, OpDef>> = Object.assign({}, ...Object.values(OP_GROUPS)) as Record<OpName, OpDef>;

/** The area each op is declared in. */
export const OP_AREA: Readonly<Record<OpName, OpArea>> = Object.fromEntries(
  (Object.entries(OP_GROUPS) as [OpArea, OpGroup][]).flatMap(([area, g]) => Object.keys(g).map((n) => [n, area])),
) as Record<OpName, OpArea>;

export function isOpName(s: string): s is OpName {
  return Object.prototype.hasOwnProperty.call(OP_TABLE, s);
}

export type { ArgSpec, ArgType, NotModelled, OpClass, OpDef, OpGroup } from './types.js';
