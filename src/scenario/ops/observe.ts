/**
 * Op group: observation — the `observe` step evaluates one probe now (src/scenario/probe.ts).
 */
import type { KThread } from '../../sched/index.js';
import { evalProbe } from '../probe.js';
import type { StepResult } from '../state.js';
import type { StepCtx } from '../step.js';
import { ret } from '../step.js';
import type { OpGroup } from './types.js';

function* opObserve(c: StepCtx): KThread<StepResult> {
  const p = c.step.probe;
  if (p === null) return ret(null);
  return ret(evalProbe(c.rs, c.k.m, p, (name) => {
    const tid = c.rs.threadIds.get(name);
    return tid === undefined ? null : c.k.s.view(tid).state;
  }));
}

export const OBSERVE_OPS = {
  observe: { cls: 'observe', args: [], doc: 'evaluate one probe now (see observe:)', result: 'the probe\'s value (see `observe:`)', impl: opObserve },
} satisfies OpGroup;
