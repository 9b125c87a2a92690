/** src/scenario/access-footprint.ts: footprints and state keys of the world around each step. */
import { describe, expect, it } from 'vitest';
import { AccessFootprints } from '../../../src/scenario/access-footprint.js';
import { DefaultChooser, Mutex, Sched, point } from '../../../src/sched/index.js';

describe('access footprints', () => {
  it('lock-only steps, world writes, unknown gaps, and no memo of a key taken inside a step', () => {
    let world = 0;
    const m = new Mutex('m');
    const fps: (readonly string[] | null)[] = [];
    const keys: string[] = [];
    let mid = '';
    let fp: AccessFootprints | null = null;
    const s = new Sched({
      chooser: new DefaultChooser(),
      afterStep: (x) => {
        const f = fp as AccessFootprints;
        if (x.stepCount !== 4) fps.push(f.next()); // step 4's call is skipped: step 5 follows a gap
        keys.push(f.fingerprint());
        return false;
      },
    });
    fp = new AccessFootprints(s, () => `w${world}${m.fingerprint()}`);
    s.spawn('t', () =>
      (function* () {
        yield* m.lock(s, 'test.c:t:lock'); // step 1: to the lock's point, nothing
        yield* point('test.c:t:held'); // step 2: takes the mutex only
        world++;
        mid = (fp as AccessFootprints).fingerprint(); // a look inside step 3, after its write
        world++;
        yield* point('test.c:t:wrote'); // step 3: world changed twice
        yield* point('test.c:t:a'); // step 4
        m.unlock(s); // step 5: after a gap
      })(),
    );
    fp.next();
    s.run();
    expect(fps).toEqual([['r:world'], ['w:lock:m', 'r:world'], ['r:world', 'w:world'], null]);
    // The key after step 3 is the world after it, not the instant looked at inside it.
    expect(mid).not.toBe(keys[2]);
    expect(keys[2]).toBe('w2\u0006m=0|\u0007');
    expect(keys[1]).toBe('w0\u0006m=0|\u0007');
    expect(keys[4]).toBe('w2\u0006');
  });
});
