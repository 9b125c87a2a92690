import { describe, expect, it } from 'vitest';
import { RoundRobinChooser, machine, run, runAs, task } from './harness.js';
import { point } from '../../../../src/sched/index.js';
import { __account_locked_vm, account_locked_vm } from '../../../../src/linux/mm/util.js';
import { CAP_IPC_LOCK, get_current } from '../../../../src/linux/include/linux/sched.js';
import { ENOMEM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { down_write, up_write } from '../../../../src/linux/kernel/locking/rwsem.js';

describe('locked_vm accounting (mm/util.c)', () => {
  for (const profile of ['v5.4', 'v6.1', 'v6.12']) {
    it(`${profile}: charges up to RLIMIT_MEMLOCK, refuses beyond with -ENOMEM, uncharges`, () => {
      const m = machine(profile);
      const t = task(m, { memlock: 4 * 4096 });
      const r = runAs(m, t, function* (k) {
        const mm = t.mm!;
        const a = yield* account_locked_vm(k, mm, 3, true);
        const b = yield* account_locked_vm(k, mm, 2, true);
        const c = yield* account_locked_vm(k, mm, 1, true);
        const d = yield* account_locked_vm(k, mm, 0, true);
        const e = yield* account_locked_vm(k, null, 5, true);
        const after = mm.locked_vm;
        yield* account_locked_vm(k, mm, 4, false);
        return { a, b, c, d, e, after, end: mm.locked_vm };
      });
      expect(r).toEqual({ a: 0, b: -ENOMEM, c: 0, d: 0, e: 0, after: 4, end: 0 });
      expect(m.reports).toEqual([]);
    });
  }

  it('CAP_IPC_LOCK bypasses the limit in account_locked_vm', () => {
    const m = machine('v6.1');
    const t = task(m, { memlock: 0, caps: [CAP_IPC_LOCK] });
    expect(runAs(m, t, function* (k) { return yield* account_locked_vm(k, t.mm!, 100, true); })).toBe(0);
    expect(t.mm!.locked_vm).toBe(100);
  });

  it('__account_locked_vm warns without mmap_lock held for write, and once on over-uncharge', () => {
    const m = machine('v6.1');
    const t = task(m, { memlock: 1 << 20 });
    runAs(m, t, function* (k) {
      __account_locked_vm(k, t.mm!, 1, true, get_current(k), false);
      yield* down_write(k, t.mm!.mmap_lock, 'test');
      __account_locked_vm(k, t.mm!, 5, false, get_current(k), false);
      __account_locked_vm(k, t.mm!, 5, false, get_current(k), false);
      up_write(k, t.mm!.mmap_lock, 'test');
      return 0;
    });
    expect(m.reports.map((r) => r.kind + ':' + r.message)).toEqual([
      'warn:mmap_lock(mm#1) not held for write',
      'warn:uncharging 5 pages of 1 locked',
    ]);
    expect(t.mm!.locked_vm).toBe(-9);
  });

  it('account_locked_vm blocks while another thread holds mmap_lock', () => {
    const m = machine('v6.1');
    const t = task(m);
    const order: string[] = [];
    const { r } = run(m, [
      { t, body: function* (k) {
        yield* down_write(k, t.mm!.mmap_lock, 'holder');
        order.push('held');
        yield* point('test:holding');
        up_write(k, t.mm!.mmap_lock, 'holder');
        order.push('released');
        return 0;
      } },
      { t, body: function* (k) { const ret = yield* account_locked_vm(k, t.mm!, 1, true); order.push('charged'); return ret; } },
    ], new RoundRobinChooser());
    expect(r.status).toBe('done');
    expect(order).toEqual(['held', 'released', 'charged']);
    expect(r.choices.length).toBeGreaterThan(2);
    expect(order.indexOf('charged')).toBeGreaterThan(order.indexOf('released'));
  });
});
