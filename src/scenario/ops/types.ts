/**
 * The types of the operation table (src/scenario/ops/index.ts): what an op declares.
 *
 * Every op is declared once, in the group file of its area (src/scenario/ops/<area>.ts), as
 * an `OpDef`: its class, its argument schema, its outputs, the one-line doc, the catalogue's
 * result text and its implementation. Every field but `outputs` is required, so an op without
 * an implementation, a schema or docs does not compile; its conformance translation (or the
 * typed reason it has none) is a second table keyed by the same names in
 * src/conformance/ops/ (the conformance layer sits above this one).
 */
import type { OpImpl } from '../step.js';

/** How an argument is written and checked. */
export type ArgType =
  /** An integer expression: integer, size (`2 pages`, `4K`), `$ref`, `$ref.field`, sums. */
  | { readonly kind: 'int' }
  /** Flags of one family: `A|B`, `[A, B]`, or an integer. `names` lists the accepted names. */
  | { readonly kind: 'flags'; readonly family: string; readonly names: readonly string[] }
  /** One name of a family (an enum), or an integer. */
  | { readonly kind: 'enum'; readonly family: string; readonly names: readonly string[] }
  /** A process name (bare `P` or `$P`). */
  | { readonly kind: 'process' }
  /** A process name this step defines (fork's child). */
  | { readonly kind: 'new-process' }
  /** A device name from setup.devices. */
  | { readonly kind: 'device' }
  /** A thread: `T<n>` or a thread's name. */
  | { readonly kind: 'thread' }
  /** A path: a setup file, or a device node (/dev/vfio/N, /dev/vfio/vfio, /dev/daxX.Y). */
  | { readonly kind: 'path' }
  | { readonly kind: 'bool' }
  /** A free string (memfd name). */
  | { readonly kind: 'string' }
  /** A content tag (a short string naming whose data a frame holds). */
  | { readonly kind: 'content' }
  /** A page array a GUP step produced: `$r.pages`. */
  | { readonly kind: 'pages' }
  /** A list of `{ base, len }` integer expressions. */
  | { readonly kind: 'iovecs' }
  /** A list of CAP_* names. */
  | { readonly kind: 'caps' };

export interface ArgSpec {
  readonly name: string;
  readonly type: ArgType;
  /** A note for the catalogue's arguments column (what the value is, where it comes from). */
  readonly note?: string;
  /** Default when omitted; `undefined` = required. Integers, flag strings, booleans. */
  readonly dflt?: number | string | boolean | null;
}

export type OpClass =
  /** A syscall or ioctl a real-kernel C driver can run. */
  | 'syscall'
  /** A device action a real-kernel driver can trigger (edu DMA). */
  | 'device'
  /** A kernel entry point only the model can call. */
  | 'kernel'
  /** Reading state (the `observe` step). */
  | 'observe';

/** The model does not run this op yet: the run is `unsupported` with this reason. */
export interface NotModelled {
  readonly notModelled: string;
}

/** One operation: everything a scenario step of this name needs. */
export interface OpDef {
  readonly cls: OpClass;
  /** The argument schema the validator checks steps against (parse.ts, schema.ts). */
  readonly args: readonly ArgSpec[];
  /** Output fields the result carries besides its value (`$r.pages`). */
  readonly outputs?: readonly string[];
  /** One line for the JSON schema and `--help`. */
  readonly doc: string;
  /** What the step's value (and outputs) are: the result column of the catalogue in docs/scenario-format.md. */
  readonly result: string;
  /** The model call (src/scenario/step.ts has the argument helpers), or why the model does not run it yet. */
  readonly impl: OpImpl | NotModelled;
}

/** A group of ops of one area (src/scenario/ops/<area>.ts), keyed by op name. */
export type OpGroup = Readonly<Record<string, OpDef>>;
