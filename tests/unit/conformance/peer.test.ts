import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../../../src/conformance/host.js';
import { peerExitCode, parsePeerArgs, peerReport, renderPeer } from '../../../src/conformance/peer-main.js';
import { globRe, loadPeerMap, parsePeerMap, peerCounts, peerRows, PEER_PROFILE, type PinlabAnswer } from '../../../src/conformance/peer-map.js';
import { runScript } from '../../../src/conformance/peer-selftest.js';
import { parsePeerLog, splitName, type PeerTest } from '../../../src/conformance/peer-tap.js';
import { parseScenario } from '../../../src/scenario/parse.js';

// A console log as the guest writes it: kernel messages may share a row with a @@P line.
const LOG = [
  '@@E driver-start',
  '@@P hugepages 160',
  '@@P begin iommufd',
  '@@P TAP version 13',
  '@@P 1..4',
  '@@P # Starting 4 tests from 2 test cases.',
  '@@P #  RUN           iommufd.cmd_fail ...',
  '@@P #            OK  iommufd.cmd_fail',
  '@@P ok 1 iommufd.cmd_fail',
  '@@P #  RUN           iommufd_ioas.mock_domain.area ...',
  '[   12.3] some kernel line @@P # iommufd.c:229:area:Expected 0 (0) == _test_cmd_mock_domain_flags(self->fd, self->ioas_id, (1 << 2), x) (-1)',
  '@@P # area: Test terminated by assertion',
  '@@P #          FAIL  iommufd_ioas.mock_domain.area',
  '@@P not ok 2 iommufd_ioas.mock_domain.area',
  '@@P #  RUN           iommufd_ioas.no_domain.area ...',
  '@@P ok 3 iommufd_ioas.no_domain.area # SKIP no huge pages',
  '@@P #  RUN           iommufd_ioas.no_domain.copy_area ...',
  '@@P seconds iommufd 7',
  '@@P end iommufd rc=137',
].join('\n');

describe('the peer suite\'s TAP', () => {
  it('reads results, skips, diagnostics, the plan, the exit and a test that never reported', () => {
    const p = parsePeerLog(LOG);
    expect(p.plans.get('iommufd')).toBe(4);
    expect(p.exits.get('iommufd')).toBe(137);
    expect(p.unfinished.get('iommufd')).toBe('iommufd_ioas.no_domain.copy_area');
    const t = p.tests.get('iommufd') ?? [];
    expect(t.map((x) => [x.name, x.status, x.directive])).toEqual([
      ['iommufd.cmd_fail', 'pass', ''], ['iommufd_ioas.mock_domain.area', 'fail', ''], ['iommufd_ioas.no_domain.area', 'skip', 'no huge pages'],
    ]);
    expect(t[1]?.diagnostics[0]).toMatch(/^iommufd\.c:229:area:Expected 0/);
    expect(t[1]?.diagnostics).toHaveLength(2);
  });
  it('splits names into fixture, variant and test', () => {
    expect(splitName('iommufd.cmd_fail')).toEqual({ fixture: 'iommufd', variant: '', test: 'cmd_fail' });
    expect(splitName('iommufd_ioas.mock_domain.area')).toEqual({ fixture: 'iommufd_ioas', variant: 'mock_domain', test: 'area' });
  });
  it('prefixes every line of the program\'s output in the guest script and records its exit status', () => {
    const s = runScript(['-f', "it's"], 100);
    expect(s).toContain(`timeout -s KILL 100 ./iommufd '-f' 'it'\\''s'`);
    expect(s).toContain('echo "@@P $l"');
    expect(s).toContain('@@P end iommufd rc=');
  });
});

describe('the peer map', () => {
  const map = loadPeerMap();
  const names = readFileSync(join(repoRoot(), 'tests/unit/conformance/data/iommufd-selftest-tests.txt'), 'utf8').split(/\r?\n/).filter((l) => l !== '' && !l.startsWith('#'));
  it('matches globs whole', () => {
    expect(globRe('iommufd_ioas.no_domain.access_*').test('iommufd_ioas.no_domain.access_pin')).toBe(true);
    expect(globRe('iommufd.cmd_fail').test('iommufd.cmd_failx')).toBe(false);
    expect(globRe('a.b').test('aXb')).toBe(false);
  });
  it('maps every test of the selftest (the 190 the harness ran) to a case or a kind of reason', () => {
    expect(names).toHaveLength(190);
    const unmapped = names.filter((n) => !map.rules.some((r) => r.re.test(n)));
    expect(unmapped).toEqual([]);
  });
  it('names only cases that exist and declare the iommufd profile', () => {
    for (const r of map.rules) {
      if (r.case === null) continue;
      const p = join(repoRoot(), r.case);
      expect(existsSync(p), r.case).toBe(true);
      const s = parseScenario(readFileSync(p, 'utf8'), r.case);
      expect(s.ok && s.scenario.expect.some((e) => e.spec === PEER_PROFILE), r.case).toBe(true);
    }
  });
  it('rejects a case without a coverage and a reason of no known kind', () => {
    expect(() => parsePeerMap('kinds: { x: y }\nrules:\n  - { match: a, case: c.yaml }\n')).toThrow(/covers/);
    expect(() => parsePeerMap('kinds: { x: y }\nrules:\n  - { match: a, none: z }\n')).toThrow(/known kind/);
  });
  it('agrees only where the kernel passed and the case holds; counts the rest by kind and cause', () => {
    const t = (name: string, status: PeerTest['status'], diag: string[] = []): PeerTest => ({ name, status, directive: '', diagnostics: diag });
    const m = parsePeerMap([
      'kinds: { mock-domain: m }',
      'rules:',
      '  - { match: f.ok, case: good.yaml, covers: full }',
      '  - { match: f.bad, case: bad.yaml, covers: partial }',
      '  - { match: f.kfail, case: good.yaml, covers: full }',
      '  - { match: "g.*", none: mock-domain }',
      'causes:',
      '  - { diag: "PASID", cause: "newer" }',
    ].join('\n'));
    const judged: string[] = [];
    const judge = (f: string): PinlabAnswer => {
      judged.push(f);
      return { case: f, match: f === 'good.yaml', mismatches: f === 'good.yaml' ? [] : ['x: expected 1, got 2'] };
    };
    const rows = peerRows([t('f.ok', 'pass'), t('f.bad', 'pass'), t('f.kfail', 'fail', ['boom']), t('g.x', 'fail', ['PASID flags']), t('h.y', 'pass')], m, judge);
    expect(rows.map((r) => r.agreement)).toEqual(['agree', 'disagree', 'disagree', 'no-counterpart', 'unmapped']);
    expect(judged).toEqual(['good.yaml', 'bad.yaml']);
    const c = peerCounts(rows);
    expect([c.run, c.passed, c.failed, c.covered, c.coveredFull, c.agreeing, c.disagreeing, c.unmapped]).toEqual([5, 3, 2, 3, 2, 1, 2, 1]);
    expect(c.none).toEqual({ 'mock-domain': 1 });
    expect(c.failedBy).toEqual({ newer: 1, 'cause not known': 1 });
  });
});

describe('the peer report', () => {
  it('reads its options', () => {
    const o = parsePeerArgs(['--peer-selftest', '--json', '--selftest-args', '-f iommufd_ioas', '--intel-iommu', '--timeout', '60']);
    if (typeof o === 'string') throw new Error(o);
    expect([o.json, o.selftestArgs, o.intelIommu, o.timeoutSec]).toEqual([true, ['-f', 'iommufd_ioas'], true, 60]);
    expect(parsePeerArgs(['--peer-selftest', '--kernel', '6.1'])).toMatch(/unknown argument/);
  });
  it('renders one line per test; exits 1 on a disagreement (a skipped covered test), else 3 when the program did not finish', () => {
    const r = peerReport(LOG, { kernel: 'k', source: 's', seconds: 1, failure: null, args: [], intelIommu: false, log: 'l' });
    const text = renderPeer(r);
    expect(text).toMatch(/iommufd\.cmd_fail\s+PASS\s+AGREE\s+pinlab holds iommufd\/selftest-cmd-fail\.yaml/);
    expect(text).toMatch(/iommufd_ioas\.mock_domain\.area\s+FAIL\s+no pinlab counterpart: mock-domain/);
    expect(text).toMatch(/kernel: selftest newer than its kernel: MOCK_FLAGS_DEVICE_PASID/);
    expect(text).toMatch(/did not finish: iommufd_ioas\.no_domain\.copy_area/);
    expect(peerExitCode(r)).toBe(1);
    const noSkip = LOG.split('\n').filter((l) => !l.includes('no_domain.area')).join('\n');
    expect(peerExitCode(peerReport(noSkip, { kernel: 'k', source: 's', seconds: 1, failure: null, args: [], intelIommu: false, log: 'l' }))).toBe(3);
  });
});
