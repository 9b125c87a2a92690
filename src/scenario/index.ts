/**
 * The scenario library API (design.md "Interfaces"):
 *   parseScenario(text, file)          → { ok, scenario } | { ok: false, errors }  (file:line:col)
 *   runScenario(scenario, profile, o)  → RunOutcome (values, violations, schedule, trace)
 *   judgeProfile / judgeScenario       → JudgeResult (declared vs. model, with exploration)
 *   scenarioTarget(scenario, profile)  → ExploreTarget for explore()
 *   conformanceObstacle(scenario)      → null if a real-kernel driver can run it step by step
 */
export type {
  ArgValue, Expected, Observation, Pos, Probe, ProfileExpect, Scenario, ScenarioError, Setup, Step, ThreadDecl, Value,
} from './ast.js';
export { PAGE_SIZE, conformanceObstacle, isConformanceCapable, renderError } from './ast.js';
export type { ArgSpec, ArgType, OpClass, OpSpec, ProbeKind, ProbeSpec } from './ops.js';
export { OPS, OP_NAMES, PROBES, PROBE_KINDS } from './ops.js';
export type { ParseResult } from './parse.js';
export { parseScenario } from './parse.js';
export type { OutcomeStatus, RunOptions, RunOutcome, World } from './run.js';
export { buildWorld, runScenario, scenarioTarget, worldFingerprint } from './run.js';
export type { JudgeOptions, JudgeResult, ValueCheck, VerdictCheck } from './judge.js';
export { judgeProfile, judgeScenario, satisfies, showExpected, showValue } from './judge.js';
export { OP_IMPLS } from './build.js';
export type { FailNthScenarioOptions, FailNthScenarioResult, FailNthScenarioRun, FailSite } from './failnth.js';
export { failNthCommand, failNthScenario, failSiteOf } from './failnth.js';
