/**
 * From a scenario step to its model call (style guide §2.5): the runner asks `opImpl(op)`
 * for the implementation the op table declares (src/scenario/ops/<area>.ts), and checks the
 * values a step's references hold before it runs (`stepValueProblem`).
 *
 * The implementations and their argument helpers live with the table (ops/*.ts, step.ts);
 * this file re-exports the helpers under their old names for callers outside the table.
 */
import { OP_TABLE, isOpName } from './ops/index.js';
import { OPS } from './ops.js';
import type { ArgValue, Step } from './ast.js';
import type { RunState } from './state.js';
import type { OpImpl } from './step.js';
import { intRefProblem, notModelled } from './step.js';

export type { OpImpl, StepCtx } from './step.js';
export { evalFlags, evalInt, evalNum, ret } from './step.js';
export { evalProbe } from './probe.js';
export { CAPS } from './ops/process.js';

/**
 * Why a step cannot run with the values its references hold now, or null. The validator checks
 * that every reference names a result; only the run knows the value: an observation that found
 * nothing is `null`, a result may be a list. An integer argument (int, flags, enum; a sum; an
 * iovec's base and length) whose reference holds anything but an integer is the scenario's error,
 * reported at the step instead of being passed on as 0 or NaN.
 */
export function stepValueProblem(rs: RunState, st: Step): string | null {
  // PERF: most steps reference nothing (stepDeps is cached per step); the explorer runs this on every step.
  if (stepDeps(st).length === 0) return null;
  const spec = OPS.get(st.op);
  for (const [name, v] of Object.entries(st.args)) {
    const kind = spec?.args.find((a) => a.name === name)?.type.kind;
    if (kind !== 'int' && kind !== 'flags' && kind !== 'enum' && kind !== 'iovecs' && v.kind !== 'sum') continue;
    const m = intRefProblem(rs, v);
    if (m !== null) return `${name}: ${m}`;
  }
  return null;
}

/** Names of the results a step needs before it can start (cross-thread references and `after`). */
export function stepDeps(st: Step): readonly string[] {
  // Steps are immutable parsed AST: the answer is computed once per step and shared (PERF: every run asks again).
  let deps = STEP_DEPS.get(st);
  if (deps === undefined) {
    deps = Object.freeze(computeStepDeps(st));
    STEP_DEPS.set(st, deps);
  }
  return deps;
}

const STEP_DEPS = new WeakMap<Step, readonly string[]>();

function computeStepDeps(st: Step): string[] {
  const out = new Set<string>();
  const walk = (v: ArgValue): void => {
    if (v.kind === 'ref') out.add(v.name);
    else if (v.kind === 'sum') for (const t of v.terms) walk(t.term);
    else if (v.kind === 'list') for (const i of v.items) walk(i);
    else if (v.kind === 'map') for (const e of Object.values(v.entries)) walk(e);
  };
  for (const a of Object.values(st.args)) walk(a);
  if (st.probe !== null) {
    const p = st.probe;
    if ('addr' in p) walk(p.addr);
    if (p.kind === 'iommu') {
      walk(p.container);
      walk(p.iova);
    }
  }
  if (st.after !== null) out.add(st.after);
  return [...out];
}

// ---- the implementations of the table ----------------------------------------------------------------

/** Every op's implementation, by name (an op the model does not run yet reports `unsupported` with its reason). */
export const OP_IMPLS: ReadonlyMap<string, OpImpl> = new Map<string, OpImpl>(
  Object.entries(OP_TABLE).map(([name, d]) => [name, typeof d.impl === 'function' ? d.impl : notModelled(name, d.impl.notModelled)]),
);

/** The implementation of an operation (a name outside the table, which the validator rejects, reports `unsupported`). */
export function opImpl(op: string): OpImpl {
  return (isOpName(op) ? OP_IMPLS.get(op) : undefined) ?? notModelled(op, `operation ${op} is not wired to the model yet`);
}
