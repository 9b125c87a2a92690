/**
 * Per-object history: the machine's object events (model tracepoints recorded with
 * `m.event(...)`) that concern a set of objects, in order. A violation carries the
 * history of the objects it names, so a report can say "pfn:3 pinned here by T0 in
 * vaddr_get_pfn ... T1 waits here in truncate".
 */
import type { ObjectEvent } from '../linux/machine.js';
import type { ThreadId, TraceValue } from '../sched/index.js';
import type { HistoryEntry } from './violation.js';

/** Events about any of `objects` (an event names its objects in `objects`). Newest last; at most `limit` (the latest). */
export function historyOf(
  events: readonly ObjectEvent[],
  objects: readonly string[],
  threadName: (t: ThreadId) => string | null,
  limit = 40,
): HistoryEntry[] {
  if (objects.length === 0) return [];
  const want = new Set(objects);
  const out: HistoryEntry[] = [];
  for (const ev of events) {
    if (!ev.objects.some((o) => want.has(o))) continue;
    out.push({
      seq: ev.seq,
      thread: ev.thread,
      threadName: ev.thread === null ? null : threadName(ev.thread),
      what: ev.what,
      objects: ev.objects,
      fn: ev.fn,
      detail: ev.data === undefined ? null : describeData(ev.data),
    });
  }
  return out.length > limit ? out.slice(out.length - limit) : out;
}

/** A compact, stable one-line rendering of event data. */
export function describeData(d: TraceValue): string {
  if (d === null) return 'null';
  if (typeof d === 'string') return d;
  if (typeof d === 'number' || typeof d === 'boolean') return String(d);
  if (Array.isArray(d)) return `[${d.map(describeData).join(', ')}]`;
  const o = d as { readonly [k: string]: TraceValue };
  return Object.keys(o)
    .sort()
    .map((k) => `${k}=${describeData(o[k])}`)
    .join(' ');
}
