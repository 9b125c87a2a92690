import { describe, expect, it } from 'vitest';
import { machine, runAs, task } from './harness.js';
import type { Machine } from '../../../../src/linux/machine.js';
import { mm_fingerprint } from '../../../../src/linux/mm/fingerprint.js';
import { PAGE_SIZE, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import { FAULT_FLAG_WRITE, get_page, pte_at, put_page, vma_lookup } from '../../../../src/linux/include/linux/mm.js';
import { handle_mm_fault } from '../../../../src/linux/mm/memory.js';
import { sys_mmap, sys_fork } from '../../../../src/linux/syscalls.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';

function build(): { m: Machine; a: number } {
  const m = machine('v6.1');
  const t = task(m);
  const a = runAs(m, t, function* (k) {
    const x = yield* sys_mmap(k, 0, 2 * PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    yield* down_read(k, t.mm!.mmap_lock, 't');
    yield* handle_mm_fault(k, vma_lookup(t.mm!, x)!, x, FAULT_FLAG_WRITE);
    up_read(k, t.mm!.mmap_lock, 't');
    return x;
  });
  return { m, a };
}

describe('mm_fingerprint', () => {
  it('is a pure function of the state: two identical runs agree, and reading does not change it', () => {
    const x = build();
    const y = build();
    expect(mm_fingerprint(x.m)).toBe(mm_fingerprint(y.m));
    expect(mm_fingerprint(x.m)).toBe(mm_fingerprint(x.m));
    expect(mm_fingerprint(x.m)).toMatch(/^[0-9a-f]{16}$/);
  });

  it('changes with a refcount, a PTE, a fork, and comes back when the change is undone', () => {
    const { m, a } = build();
    const f0 = mm_fingerprint(m);
    const t = [...m.tasks.values()][0];
    const p = pte_pfn(pte_at(t.mm!, a));
    get_page(m, p);
    const f1 = mm_fingerprint(m);
    expect(f1).not.toBe(f0);
    put_page(m, p);
    expect(mm_fingerprint(m)).toBe(f0);
    runAs(m, t, function* (k) { return yield* sys_fork(k); });
    expect(mm_fingerprint(m)).not.toBe(f0);
  });

  it('does not depend on the insertion order of keyed collections (page cache, free lists, tasks)', () => {
    const a = build();
    const b = build();
    for (const m of [a.m, b.m]) task(m, { comm: 'second' });
    expect(a.m.tasks.size).toBe(2);
    const fa = mm_fingerprint(a.m);
    expect(mm_fingerprint(b.m)).toBe(fa);
    // Same contents, different insertion orders: equal; a different content: not.
    const z = a.m.mem.zones[1];
    const zb = b.m.mem.zones[1];
    z.free_area.set(64 + 9, [7]);
    z.free_area.set(3, [5, 6]);
    zb.free_area.set(3, [5, 6]);
    zb.free_area.set(64 + 9, [7]);
    const ta = [...a.m.tasks.values()][0];
    const tb = [...b.m.tasks.values()][0];
    for (const c of [9, 2, 5]) ta.cred.cap_effective.add(c);
    for (const c of [5, 9, 2]) tb.cred.cap_effective.add(c);
    expect(mm_fingerprint(a.m)).not.toBe(fa);
    expect(mm_fingerprint(a.m)).toBe(mm_fingerprint(b.m));
    tb.cred.cap_effective.delete(5);
    expect(mm_fingerprint(a.m)).not.toBe(mm_fingerprint(b.m));
    // Tasks listed by pid whatever the map order.
    const moved = [...b.m.tasks.entries()];
    b.m.tasks.clear();
    for (const [pid, t] of moved.reverse()) b.m.tasks.set(pid, t);
    tb.cred.cap_effective.add(5);
    expect(mm_fingerprint(b.m)).toBe(mm_fingerprint(a.m));
  });

  it('tells RLIM_INFINITY, -1 and finite rlimits apart', () => {
    const { m } = build();
    const t = [...m.tasks.values()][0];
    const seen = new Set<string>();
    for (const v of [Number.POSITIVE_INFINITY, -1, -2, 0, 1, 2 ** 40, 0.5]) {
      t.rlim[8] = { rlim_cur: v, rlim_max: Number.POSITIVE_INFINITY };
      seen.add(mm_fingerprint(m));
    }
    expect(seen.size).toBe(7);
  });
});


describe('mm_fingerprint content tags (hashed once per tag id)', () => {
  it('hashes the tag string, not its id: the same contents interned in another order agree; another tag differs', () => {
    const x = build();
    const y = build();
    const px = pte_pfn(pte_at([...x.m.tasks.values()][0].mm!, x.a));
    const py = pte_pfn(pte_at([...y.m.tasks.values()][0].mm!, y.a));
    // y interns an unrelated tag first, so the page's tag gets another id there.
    y.m.mem.tag_id('unrelated');
    x.m.mem.s_content[x.m.mem.slot_of(px)] = x.m.mem.tag_id('A');
    y.m.mem.s_content[y.m.mem.slot_of(py)] = y.m.mem.tag_id('A');
    expect(x.m.mem.tag_id('A')).not.toBe(y.m.mem.tag_id('A'));
    expect(mm_fingerprint(x.m)).toBe(mm_fingerprint(y.m));
    // A cached tag hash follows the slot's new tag (ids never change meaning; slots change ids).
    y.m.mem.s_content[y.m.mem.slot_of(py)] = y.m.mem.tag_id('B');
    expect(mm_fingerprint(x.m)).not.toBe(mm_fingerprint(y.m));
    y.m.mem.s_content[y.m.mem.slot_of(py)] = y.m.mem.tag_id('A');
    expect(mm_fingerprint(x.m)).toBe(mm_fingerprint(y.m));
    // Tags of different lengths with a common prefix differ too.
    x.m.mem.s_content[x.m.mem.slot_of(px)] = x.m.mem.tag_id('AA');
    expect(mm_fingerprint(x.m)).not.toBe(mm_fingerprint(y.m));
  });
});
