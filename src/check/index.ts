/** Invariants, histories and violation records (see invariants.ts, checker.ts). */
export type { InvariantId, Verdict } from './ids.js';
export { INVARIANT_IDS, VERDICTS, isInvariantId } from './ids.js';
export type { CheckWorld, DmaMapping, HeldPin, InvariantDef, LongtermPin, RunEnd } from './invariants.js';
export { INVARIANTS, INVARIANT_BY_ID, isDaxLayoutWait } from './invariants.js';
export { Checker } from './checker.js';
export { historyOf } from './history.js';
export type { Finding, HistoryEntry, Violation } from './violation.js';
