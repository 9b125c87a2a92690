/**
 * fixup_user_fault(mm, address, fault_flags, unlocked) — mm/gup.c as read in Debian
 * 6.1.192 and 6.12.117 (the body VFIO's follow_fault_pfn() calls), and get_task_mm()
 * (kernel/fork.c), which VFIO now takes from the memory model.
 */
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { mkEnv, newTask, run, PAGE, reports } from './gup_env.js';
import type { Env } from './gup_env.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { fixup_user_fault } from '../../../../src/linux/mm/gup.js';
import { get_task_mm, mmput } from '../../../../src/linux/kernel/fork.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { create_file, filp_open, mount_fs } from '../../../../src/linux/fs/libfs.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { vm_mmap_pgoff } from '../../../../src/linux/mm/mmap.js';
import { FAULT_FLAG_REMOTE, FAULT_FLAG_WRITE, page_content, pt_walk } from '../../../../src/linux/include/linux/mm.js';
import { pte_pfn } from '../../../../src/linux/include/linux/mm_types.js';
import type { mm_struct } from '../../../../src/linux/include/linux/mm_types.js';

function present(env: Env, addr: number): boolean {
  return pt_walk(env.task.mm as mm_struct, addr).entry !== 0;
}

/** fixup_user_fault under mmap_lock (read); reports whether the lock is held on return. */
function fixup(env: Env, addr: number, flags: number, withUnlocked: boolean): { ret: number; unlocked: boolean; held: boolean } {
  return run(env, function* (k: Kctx): KThread<{ ret: number; unlocked: boolean; held: boolean }> {
    const mm = env.task.mm as mm_struct;
    yield* down_read(k, mm.mmap_lock, 'test');
    const u = { v: false };
    const ret = yield* fixup_user_fault(k, mm, addr, FAULT_FLAG_REMOTE | flags, withUnlocked ? u : null);
    const held = mm.mmap_lock.state.readers.includes(k.tid);
    if (held) up_read(k, mm.mmap_lock, 'test');
    return { ret, unlocked: u.v, held };
  });
}

describe('fixup_user_fault (6.1.192 / 6.12.117)', () => {
  for (const prof of ['v6.1', 'v6.12']) {
    it(`${prof}: faults an untouched anon page in; no VMA or a write to a read-only VMA → -EFAULT`, () => {
      const env = mkEnv(prof);
      const a = run(env, (k) => vm_mmap_pgoff(k, null, 0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0));
      const ro = run(env, (k) => vm_mmap_pgoff(k, null, 0, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, 0));
      expect(present(env, a)).toBe(false);
      expect(fixup(env, a, FAULT_FLAG_WRITE, true)).toEqual({ ret: 0, unlocked: false, held: true });
      expect(present(env, a)).toBe(true);
      expect(fixup(env, 0x1000, 0, true).ret).toBe(-14);
      expect(fixup(env, ro, FAULT_FLAG_WRITE, true).ret).toBe(-14);
      expect(fixup(env, ro, 0, true).ret).toBe(0);
    });

    it(`${prof}: a fault that needs I/O drops mmap_lock, retries with FAULT_FLAG_TRIED, re-takes it and reports unlocked`, () => {
      const env = mkEnv(prof);
      mount_fs(env.m, '/mnt', 'ext4');
      create_file(env.m, '/mnt/f', PAGE, () => 'file-0');
      const f = run(env, function* (k) {
        const r = filp_open(k, '/mnt/f', O_RDWR);
        if (typeof r === 'number') throw new Error(`open: ${r}`);
        return r;
      });
      const a = run(env, (k) => vm_mmap_pgoff(k, f, 0, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, 0));
      expect(fixup(env, a, 0, true)).toEqual({ ret: 0, unlocked: true, held: true });
      const w = pt_walk(env.task.mm as mm_struct, a);
      expect(page_content(env.m, pte_pfn(w.entry))).toBe('file-0');
    });
  }

  it('v5.6: the 5.4–5.6 body is not modelled → unsupported (-ENOSYS), never a silent answer', () => {
    const env = mkEnv('v5.6');
    const a = run(env, (k) => vm_mmap_pgoff(k, null, 0, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, 0));
    expect(fixup(env, a, 0, true).ret).toBe(-38);
    expect(reports(env, 'unsupported').some((r) => r.includes('fixup_user_fault'))).toBe(true);
  });
});

describe('get_task_mm / mmput (kernel/fork.c)', () => {
  it('takes a user reference on a live task; none for a kernel thread; the last mmput tears the mm down', () => {
    const env = mkEnv('v6.12');
    const mm = env.task.mm as mm_struct;
    const users = mm.mm_users;
    expect(get_task_mm(env.task)).toBe(mm);
    expect(mm.mm_users).toBe(users + 1);
    const kt = newTask(env, { kthread: true });
    expect(get_task_mm(kt)).toBeNull();
    run(env, function* (k) {
      yield* mmput(k, mm);
      return 0;
    });
    expect(mm.mm_users).toBe(users);
    expect(mm.dead).toBe(false);
  });
});
