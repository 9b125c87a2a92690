import { describe, expect, it } from 'vitest';
import { mkEnv, mmap, run, PAGE, reports } from './gup_env.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { FOLL_WRITE } from '../../../../src/linux/include/linux/foll.js';
import { get_user_pages } from '../../../../src/linux/mm/gup.js';
import { down_read, up_read } from '../../../../src/linux/kernel/locking/rwsem.js';
import { page_count } from '../../../../src/linux/include/linux/mm.js';

describe('gup smoke', () => {
  for (const prof of ['v5.4', 'v5.6', 'v6.1', 'v6.12']) {
    it(`get_user_pages(WRITE) on anon, ${prof}`, () => {
      const env = mkEnv(prof);
      const a = mmap(env, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS);
      const pages: (number | null)[] = new Array(4).fill(null);
      const mm = env.task.mm!;
      const r = run(env, function* (k) {
        yield* down_read(k, mm.mmap_lock, 't');
        const n = yield* get_user_pages(k, a, 4, FOLL_WRITE, pages);
        up_read(k, mm.mmap_lock, 't');
        return n;
      });
      expect(r).toBe(4);
      expect(pages.every((p) => p !== null)).toBe(true);
      expect(page_count(env.m, pages[0]!)).toBe(2);
      expect(reports(env, 'unsupported')).toEqual([]);
    });
  }
});
