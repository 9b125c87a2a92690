// The conformance side of the op table: for every op of src/scenario/ops/ (OpName), either
// how it becomes guest driver lines or the typed reason it has none. Each area's group
// (src/conformance/ops/<area>.ts) is checked by the compiler to cover exactly the ops of
// the same area on the scenario side; index.ts joins them.
import type { OpArea, OpNamesOf } from '../../scenario/ops/index.js';
import type { StepTx } from '../translate-core.js';

/** Why an op has no guest translation (a conformance run reports it as the case's obstacle). */
export type NoGuestReason =
  /** A kernel function no system call reaches as such (GUP entry points, a driver's pins, migration): model only. */
  | 'kernel-only entry point'
  /** The step would replace the driver process itself (execve). */
  | 'replaces the driver process'
  /** The step acts on another scenario thread; the driver runs one thread. */
  | 'needs a second thread'
  /** The step needs a second process the driver does not have. */
  | 'needs two processes';

export type GuestOp =
  /** `guest`: the driver command(s) it emits (for the catalogue); `translate` emits them. */
  | { readonly guest: string; readonly translate: (t: StepTx) => void }
  | { readonly none: NoGuestReason };

/** The guest translations of one area: exactly its ops. */
export type GuestGroup<A extends OpArea> = { readonly [K in OpNamesOf<A>]: GuestOp };
