/**
 * Memory blocks and memory offline/online (src/linux/drivers/base/memory.ts,
 * src/linux/mm/memory_hotplug.ts), per release: the block list, offline_pages() migrating
 * a block's pages away, the retry loop on a page that cannot move (a wait, ended by the
 * reference going away or by a signal: -EINTR), long-term pins that left ZONE_MOVABLE
 * earlier (6.x) or sit in it (5.4), holes (c5e79ef561b0) and zone spans (feee6b298916).
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import { point } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, run, runThreads, MiB, PAGE } from './gup_env.js';
import type { Env } from './gup_env.js';
import { MAP_ANONYMOUS, MAP_POPULATE, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_LONGTERM, FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages, pin_user_pages, unpin_user_pages } from '../../../../src/linux/mm/gup.js';
import { sys_mmap } from '../../../../src/linux/syscalls.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { page_content, page_count, page_zonenum, pt_walk, put_page, set_page_content } from '../../../../src/linux/include/linux/mm.js';
import { PG_reserved, pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';
import { ZONE_MOVABLE, ZONE_NORMAL } from '../../../../src/linux/include/linux/gfp.js';
import { EBUSY, EINTR, EINVAL } from '../../../../src/linux/include/uapi/linux/errno.js';
import {
  find_memory_block, memory_subsys_of, pfn_to_block_id, state_show, state_store, valid_zones_show,
} from '../../../../src/linux/drivers/base/memory.js';
import type { memory_block } from '../../../../src/linux/drivers/base/memory.js';
import { alloc_page } from '../../../../src/linux/mm/page_alloc.js';
import { Machine } from '../../../../src/linux/machine.js';
import { createTask } from '../../../../src/linux/kernel/fork.js';
import type { TaskOptions } from '../../../../src/linux/kernel/fork.js';
import { resolveProfile } from '../../../../src/profiles/profile.js';

/** The profile without CONFIG_MEMORY_HOTREMOVE. */
function resolveProfileOrThrow(spec: string) {
  const r = resolveProfile(spec, [], ['CONFIG_MEMORY_HOTREMOVE']);
  if (!r.ok) throw new Error('test bug');
  return r.profile;
}
import { GFP_HIGHUSER_MOVABLE } from '../../../../src/linux/include/linux/gfp.js';

const LAYOUT = { dma32: 16 * MiB, normal: 64 * MiB, movable: 256 * MiB };

function frameAt(env: Env, addr: number): number {
  const w = pt_walk(env.task.mm as mm_struct, addr);
  return w.entry === 0 ? -1 : pte_pfn(w.entry);
}

function anonPage(env: Env, tag: string): number {
  const a = run(env, (k) => sys_mmap(k, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0));
  set_page_content(env.m, frameAt(env, a), tag);
  return a;
}

function block(env: Env, id: number): memory_block {
  const b = find_memory_block(env.m, id);
  if (b === null) throw new Error(`no memory${id}`);
  return b;
}

function store(env: Env, id: number, buf: string): number {
  return run(env, (k) => state_store(k, block(env, id), buf));
}

function gup(env: Env, a: number, flags: number, pin: boolean): (number | null)[] {
  const pages: (number | null)[] = [null];
  const r = run(env, function* (k: Kctx): KThread<number> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'test');
    const n = pin ? yield* pin_user_pages(k, a, 1, flags, pages) : yield* get_user_pages(k, a, 1, flags, pages);
    up_read(k, mm.mmap_lock, 'test');
    return n;
  });
  expect(r).toBe(1);
  return pages;
}

describe.each(['v5.4', 'v6.1', 'v6.12'])('%s: memory blocks', (profile) => {
  const v54 = profile === 'v5.4';

  it('128 MiB blocks wherever there is RAM, each online in its zone', () => {
    const env = mkEnv(profile, LAYOUT);
    const sub = memory_subsys_of(env.m);
    expect(sub.block_size).toBe(128 * MiB);
    // DMA32 at 16 MiB (block 0), Normal at 4 GiB (block 32), Movable at 5 GiB (blocks 40, 41).
    expect([...sub.blocks.keys()]).toEqual([0, 32, 40, 41]);
    expect([0, 32, 40, 41].map((id) => valid_zones_show(env.m, block(env, id)))).toEqual(['DMA32', 'Normal', 'Movable', 'Movable']);
    expect(state_show(block(env, 40))).toBe('online');
    expect(find_memory_block(env.m, 1)).toBeNull();
  });

  it('offline migrates the block\'s pages away (data kept, the frame freed), then online brings it back', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'A');
    const old = frameAt(env, a);
    expect(pfn_to_block_id(env.m, old)).toBe(40);
    expect(store(env, 40, 'offline')).toBe(7);
    const now = frameAt(env, a);
    expect(now).not.toBe(old);
    expect(pfn_to_block_id(env.m, now)).toBe(41);
    expect(page_content(env.m, now)).toBe('A');
    expect(page_count(env.m, old)).toBe(0);
    expect(state_show(block(env, 40))).toBe('offline');
    expect(env.m.mem.zones[ZONE_MOVABLE].present_pages).toBe(128 * MiB / PAGE);
    // Nothing is allocated from an offline block.
    const p = run(env, function* (k: Kctx): KThread<number> {
      yield* point('test');
      return alloc_page(k, GFP_HIGHUSER_MOVABLE) ?? -1;
    });
    expect(pfn_to_block_id(env.m, p)).toBe(41);
    // Writing the state it already has: device_offline() returns 1 → -EINVAL.
    expect(store(env, 40, 'offline')).toBe(-EINVAL);
    expect(store(env, 40, 'bogus')).toBe(-EINVAL);
    // The offlined block was the start of ZONE_MOVABLE's span: 5.5+ shrink the span, so a plain
    // `online` finds no zone spanning it and picks ZONE_NORMAL; 5.4.1 keeps the span (Movable).
    expect(valid_zones_show(env.m, block(env, 40))).toBe(v54 ? 'Movable Normal' : 'Normal Movable');
    expect(store(env, 40, 'online')).toBe(6);
    expect(store(env, 40, 'online')).toBe(-EINVAL);
    expect(valid_zones_show(env.m, block(env, 40))).toBe(v54 ? 'Movable' : 'Normal');
    const first = block(env, 40).start_pfn;
    expect(page_zonenum(env.m, first)).toBe(v54 ? ZONE_MOVABLE : ZONE_NORMAL);
  });

  it('online_movable puts the block back in ZONE_MOVABLE on every release', () => {
    const env = mkEnv(profile, LAYOUT);
    expect(store(env, 40, 'offline')).toBe(7);
    expect(store(env, 40, 'online_movable')).toBe(14);
    expect(valid_zones_show(env.m, block(env, 40))).toBe('Movable');
    expect(page_zonenum(env.m, block(env, 40).start_pfn)).toBe(ZONE_MOVABLE);
  });

  it('without CONFIG_MEMORY_HOTREMOVE offline is -EINVAL (the header\'s inline offline_pages) and the block stays online', () => {
    const m = new Machine(resolveProfileOrThrow(profile), LAYOUT);
    const env: Env = { m, task: createTask(m, { comm: 'test' } as TaskOptions) };
    anonPage(env, 'A');
    expect(store(env, 40, 'offline')).toBe(-EINVAL);
    expect(state_show(block(env, 40))).toBe('online');
  });

  it('a block with holes: -EINVAL from 5.5 (c5e79ef561b0); 5.4.1 offlines its RAM', () => {
    const env = mkEnv(profile, LAYOUT);
    expect(store(env, 32, 'offline')).toBe(v54 ? 7 : -EINVAL);
    expect(state_show(block(env, 32))).toBe(v54 ? 'offline' : 'online');
  });

  it('the block holding the zero page (reserved) cannot be isolated: -EBUSY (5.4.1) or holes first (6.x)', () => {
    const env = mkEnv(profile, LAYOUT);
    expect(store(env, 0, 'offline')).toBe(v54 ? -EBUSY : -EINVAL);
  });

  it('a page with a short-term reference: offline retries until the reference goes, then succeeds', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'R');
    const old = frameAt(env, a);
    const pages = gup(env, a, FOLL_WRITE, false);
    let steps = 0;
    const r = runThreads(env, [
      { task: env.task, body: (k) => state_store(k, block(env, 40), 'offline') },
      {
        task: env.task,
        body: function* (k: Kctx): KThread<number> {
          // Let the offliner find the page busy a few times first.
          for (; steps < 40; steps++) yield* point('test:holder');
          put_page(k.m, pages[0] as number);
          return 0;
        },
      },
    ], 'T0*60 ...');
    expect(r.r.status).toBe('done');
    expect(r.results[0]).toBe(7);
    expect(frameAt(env, a)).not.toBe(old);
    expect(page_content(env.m, frameAt(env, a))).toBe('R');
  });

  it('a page with a short-term reference and no one to drop it: the offline waits forever (deadlock)', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'H');
    gup(env, a, FOLL_WRITE, false);
    const r = runThreads(env, [{ task: env.task, body: (k) => state_store(k, block(env, 40), 'offline') }]);
    expect(r.r.status).toBe('deadlock');
    expect(state_show(block(env, 40))).toBe('going-offline');
  });

  it('a signal ends the retry loop: -EINTR, the block stays online and allocatable', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'S');
    const old = frameAt(env, a);
    gup(env, a, FOLL_WRITE, false);
    const r = runThreads(env, [
      { task: env.task, body: (k) => state_store(k, block(env, 40), 'offline') },
      {
        task: env.task,
        body: function* (k: Kctx): KThread<number> {
          for (let i = 0; i < 40; i++) yield* point('test:killer');
          k.s.kill(0 as never, false);
          return 0;
        },
      },
    ]);
    expect(r.r.status).toBe('done');
    expect(r.results[0]).toBe(-EINTR);
    expect(frameAt(env, a)).toBe(old);
    expect(state_show(block(env, 40))).toBe('online');
    expect(env.m.mem.isolated.length).toBe(0);
  });

  it('a long-term pin: 6.x migrated the page out of ZONE_MOVABLE when pinning, so the block goes offline; 5.4 pins in place and the offline waits', () => {
    const env = mkEnv(profile, LAYOUT);
    const a = anonPage(env, 'L');
    const before = frameAt(env, a);
    // 5.4 has no pin_user_pages (FOLL_PIN is 5.6): its long-term pinners call get_user_pages(FOLL_LONGTERM).
    const pages = gup(env, a, FOLL_WRITE | FOLL_LONGTERM, !v54);
    const now = frameAt(env, a);
    if (v54) expect(now).toBe(before);
    else expect(page_zonenum(env.m, now)).toBe(ZONE_NORMAL);
    const r = runThreads(env, [{ task: env.task, body: (k) => state_store(k, block(env, 40), 'offline') }]);
    expect(r.r.status).toBe(v54 ? 'deadlock' : 'done');
    if (!v54) {
      expect(r.results[0]).toBe(7);
      run(env, function* (k: Kctx): KThread<void> {
        yield* point('test');
        unpin_user_pages(k, pages as number[], 1);
      });
    }
  });
  it('start_isolate_page_range goes pageblock by pageblock: a reserved frame in a later pageblock fails the offline (-EBUSY) after the first pageblocks were isolated, and the undo gives their free frames back, alone or not', () => {
    for (const alone of [true, false]) {
      const env = mkEnv(profile, LAYOUT);
      const b = block(env, 40);
      const start = 40 * 32768;
      // Movable allocations fill block 40 from its start: take frames until one sits in its fourth pageblock.
      const bad = run(env, function* (k: Kctx): KThread<number> {
        yield* point('test:alloc');
        for (;;) {
          const pfn = alloc_page(k, GFP_HIGHUSER_MOVABLE);
          if (pfn === null) throw new Error('test bug: no frame');
          if (pfn >= start + 3 * 512) return pfn;
        }
      });
      expect(bad).toBeLessThan(start + 4 * 512);
      env.m.mem.s_flags[env.m.mem.slot_of(bad)] |= PG_reserved;
      const z = env.m.mem.zones[ZONE_MOVABLE];
      const free = z.nr_free;
      const threads = [{ task: env.task, body: (k: Kctx) => state_store(k, b, 'offline') }];
      // A second live thread makes the offline take its per-pageblock points (Sched.alone is false).
      if (!alone) threads.push({ task: env.task, body: function* (): KThread<number> { yield* point('test:other'); return 0; } as never });
      const r = runThreads(env, threads);
      expect(r.r.status).toBe('done');
      expect(r.results[0]).toBe(-EBUSY);
      expect(env.m.mem.isolated.length).toBe(0);
      expect(z.nr_free).toBe(free);
      expect(state_show(b)).toBe('online');
      // The frames of the first pageblocks are back in the allocator.
      const again = run(env, function* (k: Kctx): KThread<number | null> {
        yield* point('test:alloc');
        return alloc_page(k, GFP_HIGHUSER_MOVABLE);
      });
      expect(again).not.toBeNull();
      expect(z.nr_free).toBe(free - 1);
    }
  });
});
