export type { BlockKind, BlockReason, HeldLock, KThread, SchedPoint, SchedViolation, ThreadId, TraceEvent, TraceValue, WaitMode } from './api.js';
export { point, waitUntil, waitWhole, choose } from './points.js';
export type { Choice, Chooser, PickContext } from './chooser.js';
export { DefaultChooser, ScheduleDivergence } from './chooser.js';
export { Sched, bigintJson, toTraceValue } from './runtime.js';
export type { RunResult, RunStatus, SchedOptions, SignalState, ThreadView } from './runtime.js';
export { Completion, Mutex, RwSemaphore, SpinLock, WaitQueueHead } from './locks.js';
export { AccessLog } from './access.js';
export type { TrackedLock } from './access.js';
