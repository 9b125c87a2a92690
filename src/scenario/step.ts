/**
 * What an operation's implementation sees and the helpers it evaluates its arguments with
 * (the op table's `impl` fields, src/scenario/ops/*.ts). Flag names are resolved to the
 * model's values here; an integer beyond what the model can hold exactly, or a flag the
 * model does not define, makes the run `unsupported` (never a silent default).
 */
import type { Kctx } from '../linux/kctx.js';
import { unsupported } from '../linux/include/linux/bug.js';
import { FOLL_BITS } from '../linux/include/linux/foll.js';
import type { FollName } from '../linux/include/linux/foll.js';
import type { task_struct } from '../linux/include/linux/sched.js';
import * as mman from '../linux/include/uapi/asm-generic/mman.js';
import * as fsmod from '../linux/include/linux/fs.js';
import * as vfioUapi from '../linux/include/uapi/linux/vfio.js';
import * as iommu from '../linux/drivers/iommu/iommu.js';
import * as iommufdUapi from '../linux/include/uapi/linux/iommufd.js';
import * as mremapUapi from '../linux/include/uapi/linux/mman.js';
import * as ptraceUapi from '../linux/kernel/ptrace.js';
import * as prctlUapi from '../linux/kernel/sys_prctl.js';
import type { KThread, ThreadId } from '../sched/index.js';
import type { ArgValue, Scenario, Step, Value } from './ast.js';
import type { RunState, StepResult } from './state.js';
import * as spliceMod from '../linux/fs/splice.js';

/** What an operation implementation sees. */
export interface StepCtx {
  readonly k: Kctx<task_struct>;
  readonly rs: RunState;
  readonly scenario: Scenario;
  readonly step: Step;
  /** The thread running the step. */
  readonly tid: ThreadId;
}

export type OpImpl = (c: StepCtx) => KThread<StepResult>;

/** A result with no outputs. */
export function ret(value: Value, outputs: Readonly<Record<string, Value>> = {}): StepResult {
  return { value, outputs };
}

// ---- argument evaluation ------------------------------------------------------------------------


// ---- argument evaluation ------------------------------------------------------------------------


/** Evaluate an integer expression; references read the run state. Unknown refs are a pinlab bug (the validator checks them). */
export function evalInt(rs: RunState, v: ArgValue): bigint {
  switch (v.kind) {
    case 'int':
      return v.value;
    case 'ref': {
      const r = rs.results.get(v.name);
      if (r !== undefined) {
        const x = v.field === null ? r.value : r.outputs[v.field];
        if (typeof x === 'number') return BigInt(x);
        if (typeof x === 'bigint') return x;
        if (typeof x === 'boolean') return x ? 1n : 0n;
        throw new Error(`pinlab bug: $${v.name}${v.field === null ? '' : '.' + v.field} is not an integer (${String(x)})`);
      }
      const mp = rs.mappings.get(v.name);
      if (mp !== undefined) return BigInt(mp);
      const c = rs.containers.get(v.name);
      if (c !== undefined) return BigInt(c.fd);
      throw new Error(`pinlab bug: $${v.name} has no value yet (the runner waits for results before a step)`);
    }
    case 'sum': {
      let s = 0n;
      for (const t of v.terms) s += BigInt(t.sign) * evalInt(rs, t.term);
      return s;
    }
    case 'null':
      return 0n;
    case 'bool':
      return v.value ? 1n : 0n;
    default:
      throw new Error(`pinlab bug: ${v.kind} argument where an integer is expected`);
  }
}

/**
 * An argument as the JS number the model's mm/GUP/io_uring entry points take. Syscall arguments are
 * u64 (unsigned long): a value outside ±(2^53 - 1) is taken modulo 2^64, as the kernel's register
 * holds it (so -4096 reaches it as 2^64 - 4096). It is passed exactly when a double holds it exactly
 * — every page-aligned u64 does, so an address or length at or above 2^53 reaches the kernel's own
 * checks (TASK_SIZE, wraparound) and gets their errno. A value a double cannot hold (an unaligned
 * one above 2^53) makes the run `unsupported`, naming the argument: never NaN, never a rounded
 * result presented as the kernel's. (VFIO ioctls take bigints: build-vfio.ts.)
 */
export function evalNum(c: StepCtx, v: ArgValue): number {
  let b = evalInt(c.rs, v);
  const name = Object.entries(c.step.args).find(([, x]) => x === v)?.[0] ?? 'an argument';
  if (b >= 0n && b <= MAX_SAFE_BIG) return Number(b);
  if (b < 0n && b >= MIN_SAFE_BIG && !isU64Arg(c.step.op, name)) return Number(b);
  b = BigInt.asUintN(64, b);
  const n = Number(b);
  if (BigInt(n) !== b) {
    unsupported(c.k, `scenario:${c.step.op}`, `${name} = 0x${b.toString(16)} is beyond the model's exact integers (above 2^53 only page-aligned values are exact)`);
  }
  return n;
}

/** Arguments the kernel takes as unsigned long / size_t (a negative value is 2^64 + value); others are signed (fd, loff_t). */
function isU64Arg(op: string, name: string): boolean {
  if (name === 'addr' || name === 'start') return true;
  if (name === 'length') return op !== 'ftruncate';
  return name === 'offset' && op === 'mmap';
}

const MAX_SAFE_BIG = BigInt(Number.MAX_SAFE_INTEGER);
const MIN_SAFE_BIG = BigInt(Number.MIN_SAFE_INTEGER);


/** Why an integer expression cannot be evaluated now (a reference holding null, a list, a string), or null. */
export function intRefProblem(rs: RunState, v: ArgValue): string | null {
  if (v.kind === 'ref') {
    const r = rs.results.get(v.name);
    if (r === undefined) return null;
    const x = v.field === null ? r.value : r.outputs[v.field];
    if (typeof x === 'number' || typeof x === 'bigint' || typeof x === 'boolean') return null;
    return `$${v.name}${v.field === null ? '' : '.' + v.field} is ${x === undefined ? 'missing' : x === null ? 'null' : Array.isArray(x) ? 'a list' : typeof x === 'string' ? `the string ${JSON.stringify(x)}` : 'not an integer'} here, where an integer is needed`;
  }
  if (v.kind === 'sum') return v.terms.map((t) => intRefProblem(rs, t.term)).find((m) => m !== null) ?? null;
  if (v.kind === 'list') return v.items.map((i) => intRefProblem(rs, i)).find((m) => m !== null) ?? null;
  if (v.kind === 'map') return Object.values(v.entries).map((e) => intRefProblem(rs, e)).find((m) => m !== null) ?? null;
  return null;
}

/** Whether every reference in an integer expression holds an integer now (a probe of `$x` where x is null reads null). */
export function holdsInts(rs: RunState, v: ArgValue): boolean {
  return intRefProblem(rs, v) === null;
}

/** Modules whose exported constants give flag values by kernel name (uapi values are the same in every release). */
const FLAG_MODULES: readonly Readonly<Record<string, unknown>>[] = [mman, fsmod, vfioUapi, iommu, iommufdUapi, mremapUapi, ptraceUapi, spliceMod, prctlUapi];

/** Flag name → value, filled on first use (the modules' constants never change). */
const FLAG_VALUES = new Map<string, number | null>();

function flagValue(name: string): number | null {
  let v = FLAG_VALUES.get(name);
  if (v === undefined) {
    v = lookupFlag(name);
    FLAG_VALUES.set(name, v);
  }
  return v;
}

function lookupFlag(name: string): number | null {
  if (name in FOLL_BITS) return FOLL_BITS[name as FollName];
  for (const mod of FLAG_MODULES) {
    const v = mod[name];
    if (typeof v === 'number') return v;
  }
  return null;
}

/** Resolve flag names (or an integer) to the model's value. Returns null (after recording `unsupported`) for names the model does not define yet. */
export function evalFlags(c: StepCtx, v: ArgValue | undefined, argName: string): number | null {
  if (v === undefined) return 0;
  if (v.kind === 'int') return Number(v.value);
  if (v.kind !== 'flags') return Number(evalInt(c.rs, v));
  let out = 0;
  for (const n of v.names) {
    const x = flagValue(n);
    if (x === null) {
      unsupported(c.k, `scenario:${c.step.op}`, `flag ${n} of ${argName} has no value in the model yet`);
      return null;
    }
    out |= x;
  }
  return out;
}


export function bool(v: ArgValue | undefined, dflt: boolean): boolean {
  return v !== undefined && v.kind === 'bool' ? v.value : dflt;
}

export function processTask(c: StepCtx, v: ArgValue | undefined): task_struct | null {
  if (v === undefined || v.kind === 'null') return c.k.current;
  if (v.kind !== 'str') return null;
  return c.rs.processes.get(v.value) ?? null;
}

/** A generator that yields nothing (keeps op signatures uniform). */
export function* noPoint(): KThread<void> {
  return;
}

export function bigArg(c: StepCtx, name: string): bigint {
  const v = c.step.args[name];
  return v === undefined ? 0n : evalInt(c.rs, v);
}

/** An argument the kernel declares `int` (vfio_pin_pages / vfio_unpin_pages `int npage`): the value converted as C does. */
export function evalCInt(rs: RunState, v: ArgValue): number {
  return Number(BigInt.asIntN(32, evalInt(rs, v)));
}

/**
 * The implementation of an op the model does not run yet: the run is `unsupported` with the
 * reason (the op still validates, so scenarios can be written before the model part lands).
 */
export function notModelled(op: string, why: string): OpImpl {
  return function* (c) {
    yield* noPoint();
    return ret(unsupported(c.k, `scenario:${op}`, why));
  };
}

