/**
 * Per-object histories of violations (src/check/history.ts): historyOf keeps the events that
 * name any of the wanted objects, in order, with the thread's name (null for set-up / kernel
 * context), the rendered data, and only the latest `limit`; describeData renders event data
 * in one stable line (keys sorted, nested arrays and objects).
 */
import { describe, expect, it } from 'vitest';
import { describeData, historyOf } from '../../../src/check/history.js';
import type { ObjectEvent } from '../../../src/linux/machine.js';
import type { ThreadId } from '../../../src/sched/index.js';

const T = (n: number): ThreadId => n as unknown as ThreadId;
const ev = (seq: number, thread: number | null, what: string, objects: string[], data?: ObjectEvent['data']): ObjectEvent => ({
  seq,
  thread: thread === null ? null : T(thread),
  what,
  objects,
  fn: `fn${seq}`,
  ...(data === undefined ? {} : { data }),
});
const name = (t: ThreadId): string => `T${String(t)} worker`;

describe('historyOf', () => {
  const events = [
    ev(1, null, 'map', ['pfn:1', 'vma:1']),
    ev(2, 0, 'pin', ['pfn:2'], { refs: 2 }),
    ev(3, 1, 'migrate', ['pfn:1', 'pfn:9']),
    ev(4, 0, 'unpin', ['vma:4']),
    ev(5, 1, 'free', ['pfn:9'], 'gone'),
  ];

  it('keeps the events naming any wanted object, oldest first, with thread names and details', () => {
    expect(historyOf(events, ['pfn:1', 'pfn:9'], name)).toEqual([
      { seq: 1, thread: null, threadName: null, what: 'map', objects: ['pfn:1', 'vma:1'], fn: 'fn1', detail: null },
      { seq: 3, thread: T(1), threadName: 'T1 worker', what: 'migrate', objects: ['pfn:1', 'pfn:9'], fn: 'fn3', detail: null },
      { seq: 5, thread: T(1), threadName: 'T1 worker', what: 'free', objects: ['pfn:9'], fn: 'fn5', detail: 'gone' },
    ]);
    expect(historyOf(events, ['pfn:2'], name).map((h) => h.detail)).toEqual(['refs=2']);
  });

  it('is empty for no objects or objects no event names', () => {
    expect(historyOf(events, [], name)).toEqual([]);
    expect(historyOf(events, ['pfn:77'], name)).toEqual([]);
  });

  it('keeps the latest `limit` events', () => {
    const many = Array.from({ length: 50 }, (_, i) => ev(i, 0, 'pin', ['pfn:1']));
    expect(historyOf(many, ['pfn:1'], name).map((h) => h.seq)).toEqual(Array.from({ length: 40 }, (_, i) => i + 10));
    expect(historyOf(many, ['pfn:1'], name, 3).map((h) => h.seq)).toEqual([47, 48, 49]);
    expect(historyOf(many.slice(0, 3), ['pfn:1'], name, 3).map((h) => h.seq)).toEqual([0, 1, 2]);
  });
});

describe('describeData', () => {
  it('renders scalars, arrays and objects (keys sorted) in one line', () => {
    expect(describeData(null)).toBe('null');
    expect(describeData('x y')).toBe('x y');
    expect(describeData('')).toBe('');
    expect(describeData(0)).toBe('0');
    expect(describeData(4096)).toBe('4096');
    expect(describeData(false)).toBe('false');
    expect(describeData(true)).toBe('true');
    expect(describeData([])).toBe('[]');
    expect(describeData([1, 'a', null, [true]])).toBe('[1, a, null, [true]]');
    expect(describeData({ z: 1, a: 'b', m: [2, 3], o: { y: null, x: 0 } })).toBe('a=b m=[2, 3] o=x=0 y=null z=1');
    expect(describeData({})).toBe('');
  });
});
