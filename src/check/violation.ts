/**
 * Typed violation records (style guide §2.6): one discriminated union, rendered in
 * one place (src/report/render-text.ts). Each record carries the history of the
 * objects involved, taken from the machine's object events (check/history.ts).
 */
import type { BlockReason, HeldLock, ThreadId, WaitMode } from '../sched/index.js';
import type { InvariantId } from './ids.js';

/** One line of a violation's history: an object event, told in order. */
export interface HistoryEntry {
  readonly seq: number;
  readonly thread: ThreadId | null;
  /** Thread name (`T0 pinner`) or null for the set-up / a kernel context. */
  readonly threadName: string | null;
  readonly what: string;
  readonly objects: readonly string[];
  readonly fn: string;
  readonly detail: string | null;
}

/** What an invariant check found: the message and the objects involved. */
export interface Finding {
  readonly invariant: InvariantId;
  readonly message: string;
  /** Object names as used in Machine.events (`pfn:12`, `mm:1`, `file:/mnt/f`). */
  readonly objects: readonly string[];
  /** Threads involved (blocked waiters, holders). */
  readonly threads?: readonly ThreadId[];
}

export type Violation =
  | {
      readonly kind: 'invariant';
      readonly invariant: InvariantId;
      readonly title: string;
      readonly why: string;
      readonly message: string;
      readonly objects: readonly string[];
      readonly history: readonly HistoryEntry[];
      /** Scheduling step at which it was first seen. */
      readonly step: number;
    }
  | { readonly kind: 'kernel-bug'; readonly site: string; readonly thread: ThreadId | null; readonly message: string }
  | { readonly kind: 'warning'; readonly site: string; readonly thread: ThreadId | null; readonly message: string }
  | {
      readonly kind: 'deadlock';
      readonly threads: readonly { readonly thread: ThreadId; readonly name: string; readonly label: string; readonly reason: BlockReason; readonly mode: WaitMode; readonly held: readonly HeldLock[] }[];
      readonly history: readonly HistoryEntry[];
    }
  | { readonly kind: 'lock-held-at-exit'; readonly thread: ThreadId; readonly name: string; readonly held: readonly HeldLock[] }
  | { readonly kind: 'unsupported'; readonly site: string; readonly thread: ThreadId | null; readonly message: string };
