// `npm run conformance -- --peer-selftest`: the kernel's own iommufd selftest as a peer suite.
// Builds it (peer-selftest.ts), boots the built iommufd kernel with it, and prints one line per
// selftest test: the kernel's result and, where a pinlab case restates the test
// (conformance/peer/iommufd-selftest.map.yaml), pinlab's answer and whether they agree.
//
// Exit codes: 0 every covered test agrees; 1 a covered test disagrees (the kernel failed it, or
// pinlab's case does not hold on the model); 2 bad usage or a bad map; 3 the run could not be
// set up or did not finish (no verdict).
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { HarnessError, repoRoot, workDir } from './host.js';
import { ensureBasePackages } from './install.js';
import { ensureIommufdKernel } from './kernel-build.js';
import { loadPeerMap, peerCounts, peerRows, PEER_PROFILE, type PeerCounts, type PeerRow } from './peer-map.js';
import { ensureSelftest, PEER_PROGRAMS, runPeerGuest } from './peer-selftest.js';
import { parsePeerLog, type PeerLog } from './peer-tap.js';

export interface PeerOptions {
  json: boolean;
  install: boolean;
  timeoutSec: number;
  /** re-read the last run's console log instead of booting */
  fromLog: boolean;
  /** boot with the emulated Intel IOMMU (the conformance machine): the mock-domain tests then cannot set up */
  intelIommu: boolean;
  /** kselftest harness arguments (-f FIXTURE, -v VARIANT, -t TEST, -r F:V:T ...) */
  selftestArgs: string[];
}

export function peerUsage(): string {
  return [
    'usage: npm run conformance -- --peer-selftest [--json] [--no-install] [--timeout SEC] [--from-log]',
    '                              [--intel-iommu] [--selftest-args "ARGS"]',
    '',
    'Builds tools/testing/selftests/iommu/iommufd.c of Debian\'s linux-source-6.12 (static, cached beside',
    'the built iommufd kernel), runs it in that kernel under QEMU and prints, per test: the kernel\'s',
    `result, and where a pinlab case restates it (conformance/peer/iommufd-selftest.map.yaml) pinlab's`,
    `answer on profile ${PEER_PROFILE} and whether they agree. --selftest-args passes kselftest harness`,
    'filters (e.g. "-f iommufd_ioas"). exit: 0 all covered tests agree, 1 a disagreement, 2 usage, 3 no run.',
  ].join('\n');
}

export function parsePeerArgs(argv: readonly string[]): PeerOptions | string {
  const o: PeerOptions = { json: false, install: true, timeoutSec: 900, fromLog: false, intelIommu: false, selftestArgs: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (a === '--peer-selftest') continue;
    if (a === '--json') o.json = true;
    else if (a === '--no-install') o.install = false;
    else if (a === '--from-log') o.fromLog = true;
    else if (a === '--intel-iommu') o.intelIommu = true;
    else if (a === '--timeout') {
      const t = Number(argv[++i]);
      if (!Number.isFinite(t) || t <= 0) return '--timeout needs seconds';
      o.timeoutSec = t;
    } else if (a === '--selftest-args') {
      const s = argv[++i];
      if (s === undefined) return '--selftest-args needs a string';
      o.selftestArgs = s.split(/\s+/).filter((x) => x !== '');
    } else if (a === '--help' || a === '-h') return peerUsage();
    else return `unknown argument ${a} (with --peer-selftest)\n${peerUsage()}`;
  }
  return o;
}

export interface PeerReport {
  readonly kernel: string;
  readonly source: string;
  readonly selftestArgs: readonly string[];
  readonly intelIommu: boolean;
  /** wall seconds of the QEMU run (null when re-read from a log) */
  readonly seconds: number | null;
  /** per program: the seconds the guest measured, the exit status, the declared plan */
  readonly programs: { name: string; plan: number | null; exit: number | null; seconds: number | null; unfinished: string | null }[];
  readonly failure: string | null;
  readonly counts: PeerCounts;
  readonly rows: PeerRow[];
  readonly log: string;
}

function guestSeconds(text: string, prog: string): number | null {
  const m = new RegExp(`@@P seconds ${prog} (\\d+)`).exec(text);
  return m ? Number(m[1]) : null;
}

function status(r: PeerRow): string {
  const t = r.test;
  return t.status === 'skip' ? `SKIP${t.directive ? ` (${t.directive})` : ''}` : t.status.toUpperCase();
}

export function renderPeer(r: PeerReport): string {
  const lines: string[] = [
    `peer suite: ${r.source} on ${r.kernel}${r.intelIommu ? ' (with the emulated Intel IOMMU)' : ''}${r.seconds === null ? '' : `, QEMU run ${r.seconds.toFixed(1)} s`}`,
    ...r.programs.map((p) => `  ${p.name}: plan ${p.plan ?? '?'}, exit ${p.exit ?? 'none'}${p.seconds === null ? '' : `, ${p.seconds} s in the guest`}${p.unfinished ? ` — did not finish: ${p.unfinished}` : ''}`),
    ...(r.failure ? [`  SET-UP FAILURE: ${r.failure}`] : []),
    '',
  ];
  const w = Math.max(20, ...r.rows.map((x) => x.test.name.length));
  for (const x of r.rows) {
    const rule = x.rule;
    let tail: string;
    if (rule === null) tail = 'UNMAPPED (no rule in the map)';
    else if (rule.case === null || x.pinlab === null) tail = `no pinlab counterpart: ${rule.none ?? ''}`;
    else tail = `${x.agreement.toUpperCase()}  pinlab ${x.pinlab.match ? 'holds' : 'MISMATCH'} ${relative('conformance/cases', rule.case)} (${rule.covers ?? ''})`;
    lines.push(`${x.test.name.padEnd(w)}  ${status(x).padEnd(6)}  ${tail}`);
    if (x.test.status === 'fail') lines.push(`    kernel: ${x.cause ?? 'cause not known'}${x.test.diagnostics.length > 0 ? ` — ${x.test.diagnostics[0]}` : ''}`);
    if (x.pinlab !== null && !x.pinlab.match) for (const m of x.pinlab.mismatches) lines.push(`    pinlab: ${m}`);
  }
  const c = r.counts;
  lines.push('', `${c.run} tests run: ${c.passed} passed on the kernel, ${c.failed} failed, ${c.skipped} skipped; ${c.covered} covered by a pinlab case (${c.coveredFull} fully), ${c.agreeing} agree, ${c.disagreeing} disagree`);
  lines.push(`no pinlab counterpart: ${Object.entries(c.none).map(([k, n]) => `${n} ${k}`).join(', ') || 'none'}${c.unmapped ? `; ${c.unmapped} unmapped` : ''}`);
  lines.push(`failed on the kernel: ${Object.entries(c.failedBy).map(([k, n]) => `${n}: ${k}`).join('; ') || 'none'}`);
  return lines.join('\n');
}

export function peerExitCode(r: PeerReport): number {
  if (r.counts.disagreeing > 0 || r.counts.unmapped > 0) return 1;
  if (r.failure !== null || r.programs.some((p) => p.exit === null || p.unfinished !== null)) return 3;
  return 0;
}

/** Build the report from a console log (shared by a fresh run and --from-log). */
export function peerReport(text: string, meta: { kernel: string; source: string; seconds: number | null; failure: string | null; args: readonly string[]; intelIommu: boolean; log: string }): PeerReport {
  const log: PeerLog = parsePeerLog(text);
  const tests = PEER_PROGRAMS.flatMap((p) => log.tests.get(p) ?? []);
  const rows = peerRows(tests, loadPeerMap());
  return {
    kernel: meta.kernel, source: meta.source, selftestArgs: meta.args, intelIommu: meta.intelIommu, seconds: meta.seconds,
    programs: PEER_PROGRAMS.map((p) => ({ name: p, plan: log.plans.get(p) ?? null, exit: log.exits.get(p) ?? null, seconds: guestSeconds(text, p), unfinished: log.unfinished.get(p) ?? null })),
    failure: meta.failure, counts: peerCounts(rows), rows, log: meta.log,
  };
}

export function peerMain(argv: readonly string[]): number {
  const o = parsePeerArgs(argv);
  if (typeof o === 'string') {
    process.stderr.write(`${o}\n`);
    return o === peerUsage() ? 0 : 2;
  }
  const say = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  let r: PeerReport;
  try {
    loadPeerMap();
    ensureBasePackages(say, o.install);
    const b = ensureIommufdKernel(say, o.install);
    const source = `${b.sourcePackage} ${b.sourceVersion} tools/testing/selftests/iommu/${PEER_PROGRAMS.join('.c, ')}.c`;
    const k = { series: '6.12+iommufd' as const, release: b.release, pkg: b.sourcePackage, pkgVersion: b.sourceVersion, vmlinuz: b.bzImage, modulesDir: '' };
    const logPath = join(workDir(), `${k.release}-peer`, 'console.log');
    const meta = { kernel: b.release, source, args: o.selftestArgs, intelIommu: o.intelIommu, log: relative(repoRoot(), logPath) };
    if (o.fromLog) {
      if (!existsSync(logPath)) throw new HarnessError(`--from-log: no ${relative(repoRoot(), logPath)}`);
      r = peerReport(readFileSync(logPath, 'utf8'), { ...meta, seconds: null, failure: null });
    } else {
      const st = ensureSelftest(b, say);
      const run = runPeerGuest(k, st, o.selftestArgs, o.timeoutSec, say, o.intelIommu);
      r = peerReport(run.log, { ...meta, seconds: run.seconds, failure: run.failure });
    }
  } catch (e) {
    if (e instanceof HarnessError) {
      process.stderr.write(`peer suite: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  mkdirSync(workDir(), { recursive: true });
  writeFileSync(join(workDir(), 'peer-report.json'), `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${renderPeer(r)}\n`);
  return peerExitCode(r);
}
