import { describe, expect, it } from 'vitest';
import { DefaultChooser, Sched, point } from '../../../src/sched/index.js';

describe('Sched smoke', () => {
  it('runs two threads to completion with the default chooser', () => {
    const s = new Sched({ chooser: new DefaultChooser(), trace: true });
    const log: string[] = [];
    s.spawn('a', function* () {
      log.push('a1');
      yield* point('test.c:a:1');
      log.push('a2');
      return 1;
    });
    s.spawn('b', function* () {
      log.push('b1');
      return 2;
    });
    const r = s.run();
    expect(r.status).toBe('done');
    expect(log).toEqual(['a1', 'a2', 'b1']);
  });
});
