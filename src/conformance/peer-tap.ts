// The peer suite's output, read back: the kernel's iommufd selftest runs in the guest under
// the kselftest harness (tools/testing/selftests/kselftest_harness.h), which prints TAP 13.
// The guest's /peer/run.sh prefixes every line of it with `@@P ` so it can be told apart from
// kernel messages on the serial console. This file turns those lines into one result per
// test case: `ok N name`, `ok N name # SKIP why`, `not ok N name`, plus the harness's `#`
// diagnostic lines between a test's ` RUN` and its result (why it failed).

/** A test's result as the kernel's harness reported it. */
export type PeerStatus = 'pass' | 'fail' | 'skip' | 'xfail' | 'xpass';

export interface PeerTest {
  /** fixture[.variant].test, as the harness names it */
  readonly name: string;
  readonly status: PeerStatus;
  /** the directive's text (SKIP reason) */
  readonly directive: string;
  /** the harness's diagnostic lines for this test (assertion failures, timeouts) */
  readonly diagnostics: readonly string[];
}

export interface PeerLog {
  /** program name → the plan it declared (`1..N`), null if the header never came */
  readonly plans: Map<string, number | null>;
  /** program → its tests in order */
  readonly tests: Map<string, PeerTest[]>;
  /** program → exit status printed by run.sh (`@@P end PROG rc=N`); absent if it never ended */
  readonly exits: Map<string, number>;
  /** program → the test that had started (` RUN`) but never reported: it hung or crashed the guest */
  readonly unfinished: Map<string, string>;
}

/** Split a test name into fixture, variant ('' when none) and test. */
export function splitName(name: string): { fixture: string; variant: string; test: string } {
  const parts = name.split('.');
  if (parts.length >= 3) return { fixture: parts[0] as string, variant: parts.slice(1, -1).join('.'), test: parts.at(-1) as string };
  return { fixture: parts[0] as string, variant: '', test: (parts[1] ?? '') };
}

const RESULT = /^(not ok|ok) (\d+) (\S+)(?: # ?(SKIP|XFAIL|XPASS)? ?(.*))?$/;

/** Parse the `@@P` lines of a console log. */
export function parsePeerLog(text: string): PeerLog {
  const plans = new Map<string, number | null>();
  const tests = new Map<string, PeerTest[]>();
  const exits = new Map<string, number>();
  const unfinished = new Map<string, string>();
  let prog: string | null = null;
  let running: string | null = null;
  let diag: string[] = [];
  for (const raw of text.split(/\r?\n/)) {
    const at = raw.indexOf('@@P ');
    if (at < 0) continue;
    const line = raw.slice(at + 4).replace(/\r$/, '');
    let m: RegExpExecArray | null;
    if ((m = /^begin (\S+)$/.exec(line)) !== null) {
      prog = m[1] as string;
      plans.set(prog, null);
      tests.set(prog, []);
      running = null;
      diag = [];
      continue;
    }
    if ((m = /^end (\S+) rc=(\d+)$/.exec(line)) !== null) {
      exits.set(m[1] as string, Number(m[2]));
      if (running !== null) unfinished.set(m[1] as string, running);
      prog = null;
      running = null;
      continue;
    }
    if (prog === null) continue;
    if ((m = /^1\.\.(\d+)$/.exec(line)) !== null) {
      plans.set(prog, Number(m[1]));
      continue;
    }
    if ((m = /^# {2}RUN +(\S+) \.\.\.$/.exec(line)) !== null) {
      running = m[1] as string;
      diag = [];
      continue;
    }
    if ((m = RESULT.exec(line)) !== null) {
      const directive = m[4];
      const status: PeerStatus = m[1] === 'not ok' ? 'fail'
        : directive === 'SKIP' ? 'skip' : directive === 'XFAIL' ? 'xfail' : directive === 'XPASS' ? 'xpass' : 'pass';
      (tests.get(prog) as PeerTest[]).push({ name: m[3] as string, status, directive: (m[5] ?? '').trim(), diagnostics: diag });
      running = null;
      diag = [];
      continue;
    }
    if (running !== null && line.startsWith('#') && !/^# +(OK|FAIL) +\S+$/.test(line)) diag.push(line.replace(/^# ?/, ''));
  }
  if (prog !== null && running !== null) unfinished.set(prog, running);
  return { plans, tests, exits, unfinished };
}

/** A test counts as passed on the kernel when the harness says ok without a directive (or XFAIL). */
export function passedOnKernel(t: PeerTest): boolean {
  return t.status === 'pass' || t.status === 'xfail';
}
