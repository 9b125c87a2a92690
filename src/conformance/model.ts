// The model side of the comparison: run a scenario once on a pinlab profile through the
// scenario runner (src/scenario/run.ts, the same run `pinlab check` judges values on) and
// return its values by name, with output fields as `name.field` (e.g. `un.size`).
import type { Scenario, Value } from '../scenario/ast.js';
import { runScenario, type RunOutcome } from '../scenario/run.js';
import { profileOrThrow } from '../profiles/index.js';
import type { RawValue } from './guestlog.js';

export type ModelOutcome =
  | { readonly status: 'ok'; readonly values: Map<string, RawValue> }
  /** the model could not give a verdict (unsupported operation, set-up failure, step bound...) */
  | { readonly status: 'unsupported'; readonly reason: string };

export type ModelRunner = (s: Scenario, profile: 'v6.1' | 'v6.12' | 'v6.12+iommufd') => ModelOutcome;

function raw(v: Value | undefined): RawValue | undefined {
  if (v === undefined) return undefined;
  if (v === null || typeof v === 'number' || typeof v === 'bigint' || typeof v === 'string' || typeof v === 'boolean') return v;
  // lists and records (e.g. a page array) are not compared with the guest
  return JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? x.toString() : x));
}

/** The values of a finished model run; anything but a completed run is `unsupported`. */
export function outcomeValues(o: RunOutcome): ModelOutcome {
  if (o.status !== 'done') {
    return { status: 'unsupported', reason: `model run ${o.status}${o.problem ? `: ${o.problem}` : ''}` };
  }
  const values = new Map<string, RawValue>();
  for (const [k, v] of o.values) {
    const r = raw(v);
    if (r !== undefined) values.set(k, r);
  }
  for (const [k, fields] of o.outputs) {
    for (const [f, v] of Object.entries(fields)) {
      const r = raw(v);
      if (r !== undefined) values.set(`${k}.${f}`, r);
    }
  }
  return { status: 'ok', values };
}

/** Run one scenario on a profile (a JS exception inside the model is reported, not thrown). */
export const runModel: ModelRunner = (s, profile) => {
  try {
    return outcomeValues(runScenario(s, profileOrThrow(profile)));
  } catch (e) {
    return { status: 'unsupported', reason: `model raised (a pinlab bug): ${(e as Error).message.split('\n')[0]}` };
  }
};
