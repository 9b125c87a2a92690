// `npm run conformance` / `tsx src/conformance/main.ts`: the differential conformance
// harness. Installs what it needs, builds the guest, boots Debian's 6.1 and 6.12 kernels
// under QEMU, runs every conformance case (scenario) on each, runs the same scenarios on
// the model (profiles v6.1 / v6.12) and reports case x kernel -> real, model, match.
//
// Exit codes: 0 all compared cases match; 1 at least one mismatch; 2 bad usage or a case
// file that does not parse; 3 no mismatch but set-up failures (a case or a kernel could
// not be set up, so it was not judged).
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parseScenario } from '../scenario/parse.js';
import { renderError, type Scenario } from '../scenario/ast.js';
import { checkDeclared, compareValues, normalize, type Diff } from './compare.js';
import { caseValues, parseGuestLog, type GuestLog, type RawValue } from './guestlog.js';
import { HarnessError, repoRoot, workDir } from './host.js';
import { buildBaseInitramfs, buildRunInitramfs } from './initramfs.js';
import { ensureBasePackages, ensureInstalled, PROFILE_OF, PROFILE_STANDS_FOR, type KernelImage, type KernelSeries } from './install.js';
import { ensureIommufdKernel } from './kernel-build.js';
import { runModel } from './model.js';
import { peerMain } from './peer-main.js';
import { boot, reachedDriver } from './qemu.js';
import { caseFileText, translateScenario, type Translation } from './translate.js';

/** Boots of one kernel before giving up when the guest never reaches the driver. */
export const BOOT_ATTEMPTS = 3;

/**
 * match: real = model (and the real values satisfy the declaration); mismatch: real != model,
 * or the real kernel contradicts the scenario's declared values; unsupported: not judged (the
 * case cannot run in the guest, or the model cannot run it; the real values are still shown);
 * setup-failed: the guest could not set the case up (never a result).
 */
export type ResultStatus = 'match' | 'mismatch' | 'unsupported' | 'setup-failed';

export interface CaseResult {
  readonly case: string;
  readonly file: string;
  readonly kernel: string;
  readonly profile: string;
  readonly status: ResultStatus;
  /** normalised values (null when that side did not produce values) */
  readonly real: Record<string, string> | null;
  readonly model: Record<string, string> | null;
  readonly diffs: readonly Diff[];
  /** where the real kernel contradicts the scenario's declared values for this profile */
  readonly declared: readonly Diff[];
  /** why unsupported / why the set-up failed */
  readonly reason: string | null;
}

export interface KernelRun {
  readonly series: KernelSeries;
  readonly release: string;
  readonly package: string;
  readonly version: string;
  readonly profile: string;
  readonly seconds: number | null;
  /** set-up facts the guest reported (edu binding, DAX mounts, zones, ...) */
  readonly setup: Record<string, string[]>;
  /** a failure of the whole boot (no case judged) */
  readonly failure: string | null;
  readonly log: string | null;
}

export interface Report {
  readonly kernels: KernelRun[];
  readonly cases: number;
  readonly mismatches: number;
  readonly unsupported: number;
  readonly setupFailures: number;
  readonly results: CaseResult[];
}

export interface Options {
  json: boolean;
  kernels: KernelSeries[];
  caseDirs: string[];
  only: RegExp | null;
  install: boolean;
  timeoutSec: number;
  /** skip the model (report real results only; every case `unsupported`) */
  noModel: boolean;
  /** re-judge the previous run's console logs instead of booting (refused if the cases changed) */
  fromLog: boolean;
}

export function usage(): string {
  return [
    'usage: npm run conformance -- [--json] [--kernel 6.1|6.12|6.12+iommufd]... [--cases DIR]... [--only REGEX]',
    '                              [--no-install] [--timeout SEC] [--no-model] [--from-log]',
    '',
    'Boots Debian 6.1 and 6.12 under QEMU TCG, runs the conformance cases (scenario files,',
    'default conformance/cases/) on each and on the model (profiles v6.1, v6.12), and reports',
    'case x kernel -> real result, model result, match. 6.12+iommufd: a 6.12 kernel built here',
    'from linux-source-6.12 with CONFIG_IOMMUFD (src/conformance/kernel-build.ts; cached), judged',
    'against profile v6.12+iommufd on the cases that declare it.',
    'exit: 0 all match, 1 mismatch, 2 usage/parse error, 3 set-up failures (no mismatch).',
    '--peer-selftest: run the kernel\'s iommufd selftest on the built kernel instead (--peer-selftest --help).',
  ].join('\n');
}

export function parseArgs(argv: readonly string[]): Options | string {
  const o: Options = { json: false, kernels: [], caseDirs: [], only: null, install: true, timeoutSec: 600, noModel: false, fromLog: false };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    const next = (): string | null => (i + 1 < argv.length ? (argv[++i] as string) : null);
    if (a === '--json') o.json = true;
    else if (a === '--no-install') o.install = false;
    else if (a === '--no-model') o.noModel = true;
    else if (a === '--from-log') o.fromLog = true;
    else if (a === '--kernel') {
      const k = next();
      if (k !== '6.1' && k !== '6.12' && k !== '6.12+iommufd') return `--kernel takes 6.1, 6.12 or 6.12+iommufd, not ${k}`;
      o.kernels.push(k);
    } else if (a === '--cases') {
      const d = next();
      if (d === null) return '--cases needs a directory';
      o.caseDirs.push(d);
    } else if (a === '--only') {
      const r = next();
      if (r === null) return '--only needs a regular expression';
      o.only = new RegExp(r);
    } else if (a === '--timeout') {
      const t = Number(next());
      if (!Number.isFinite(t) || t <= 0) return '--timeout needs seconds';
      o.timeoutSec = t;
    } else if (a === '--help' || a === '-h') return usage();
    else return `unknown argument ${a}\n${usage()}`;
  }
  if (o.kernels.length === 0) o.kernels = ['6.1', '6.12', '6.12+iommufd'];
  if (o.caseDirs.length === 0) o.caseDirs = [join(repoRoot(), 'conformance', 'cases')];
  return o;
}

function yamlFiles(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...yamlFiles(p));
    else if (/\.ya?ml$/.test(e)) out.push(p);
  }
  return out;
}

export interface LoadedCase {
  readonly file: string;
  readonly scenario: Scenario;
  readonly translation: Translation | null;
  readonly unsupported: string | null;
}

/** Parse and translate every case; parse errors are returned as messages. */
export function loadCases(dirs: readonly string[], only: RegExp | null): { cases: LoadedCase[]; errors: string[] } {
  const cases: LoadedCase[] = [];
  const errors: string[] = [];
  const names = new Set<string>();
  for (const d of dirs) {
    for (const f of yamlFiles(d)) {
      const rel = relative(repoRoot(), f);
      if (only !== null && !only.test(rel)) continue;
      const r = parseScenario(readFileSync(f, 'utf8'), rel);
      if (!r.ok) {
        errors.push(...r.errors.map(renderError));
        continue;
      }
      const t = translateScenario(r.scenario);
      if (t.ok) {
        if (names.has(t.t.caseName)) {
          errors.push(`${rel}: case name ${t.t.caseName} is used twice`);
          continue;
        }
        names.add(t.t.caseName);
      }
      cases.push({ file: rel, scenario: r.scenario, translation: t.ok ? t.t : null, unsupported: t.ok ? null : `not conformance-capable: ${t.reason}` });
    }
  }
  return { cases, errors };
}

/** Facts the guest must have set up; a missing one makes the cases that need it fail set-up (the driver checks). */
export function setupSummary(log: GuestLog): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const [k, v] of log.env) out[k] = v;
  return out;
}

/** Boot one kernel with all translatable cases and return its parsed log. */
export function runKernel(
  k: KernelImage, ts: readonly Translation[], timeoutSec: number, say: (s: string) => void, fromLog = false,
): { log: GuestLog | null; seconds: number | null; failure: string | null; logPath: string } {
  const dir = join(workDir(), k.release);
  mkdirSync(dir, { recursive: true });
  const logPath = join(dir, 'console.log');
  const casesPath = join(dir, 'cases.txt');
  const text = caseFileText(ts);
  if (fromLog) {
    if (!existsSync(logPath) || !existsSync(casesPath) || readFileSync(casesPath, 'utf8') !== text) {
      return { log: null, seconds: null, failure: `--from-log: no log of a run with these cases in ${relative(repoRoot(), dir)}`, logPath };
    }
    say(`re-judging ${relative(repoRoot(), logPath)}`);
    const log = parseGuestLog(readFileSync(logPath, 'utf8'));
    return { log, seconds: null, failure: log.complete ? null : 'the logged run did not finish', logPath };
  }
  try {
    writeFileSync(casesPath, text);
    const base = buildBaseInitramfs(k);
    const rd = buildRunInitramfs(base, text, join(dir, 'run.cpio'));
    say(`booting ${k.release} (${k.pkg} ${k.pkgVersion}) with ${ts.length} cases ...`);
    // A boot that never reaches the driver (e.g. an early panic under a loaded TCG host) is an
    // infrastructure failure, not a result: boot again, at most BOOT_ATTEMPTS times in all.
    let r = boot({ vmlinuz: k.vmlinuz, initrd: rd, dir, timeoutSec });
    for (let attempt = 2; attempt <= BOOT_ATTEMPTS && !r.timedOut && !reachedDriver(r.log); attempt++) {
      const panic = /Kernel panic[^\n]*/.exec(r.log)?.[0] ?? 'no driver output';
      say(`  ${k.release}: the guest did not reach the driver (${panic.trim()}); boot attempt ${attempt}`);
      writeFileSync(join(dir, `console.attempt${attempt - 1}.log`), r.log);
      r = boot({ vmlinuz: k.vmlinuz, initrd: rd, dir, timeoutSec });
    }
    const log = parseGuestLog(r.log);
    say(`  ${k.release}: ${r.seconds.toFixed(1)} s${r.timedOut ? ' (TIMED OUT)' : ''}`);
    let failure: string | null = null;
    if (r.timedOut) failure = `QEMU run exceeded ${timeoutSec} s`;
    else if (!log.complete) failure = `the guest driver did not finish (qemu status ${r.status}; see ${relative(repoRoot(), logPath)})`;
    return { log, seconds: r.seconds, failure, logPath };
  } catch (e) {
    if (e instanceof HarnessError) return { log: null, seconds: null, failure: e.message, logPath };
    throw e;
  }
}

export async function conformance(o: Options, say: (s: string) => void): Promise<Report | { parseErrors: string[] }> {
  const { cases, errors } = loadCases(o.caseDirs, o.only);
  if (errors.length > 0) return { parseErrors: errors };
  // Debian's kernels are installed only when one of them is asked for.
  const debian = o.kernels.some((s) => s !== '6.12+iommufd');
  if (!debian) ensureBasePackages(say, o.install);
  const kernels = debian ? ensureInstalled(say, o.install).filter((k) => o.kernels.includes(k.series)) : [];
  let builtFailure: string | null = null;
  if (o.kernels.includes('6.12+iommufd')) {
    try {
      const b = ensureIommufdKernel(say, o.install);
      say(`iommufd judge: ${b.bzImage} (${b.cached ? 'cached' : 'built'}; build took ${b.buildSeconds ?? '?'} s)`);
      kernels.push({ series: '6.12+iommufd', release: b.release, pkg: b.sourcePackage, pkgVersion: b.sourceVersion, vmlinuz: b.bzImage, modulesDir: '' });
    } catch (e) {
      if (!(e instanceof HarnessError)) throw e;
      builtFailure = `building the iommufd kernel failed: ${e.message}`;
    }
  }
  const results: CaseResult[] = [];
  const runs: KernelRun[] = [];
  for (const series of o.kernels) {
    const k = kernels.find((x) => x.series === series);
    const profile = PROFILE_OF[series];
    // The built iommufd kernel judges only the cases written for it (they declare its profile).
    const kcases = series === '6.12+iommufd' ? cases.filter((c) => c.scenario.expect.some((e) => e.spec === profile)) : cases;
    const ts = kcases.flatMap((c) => (c.translation ? [c.translation] : []));
    if (k === undefined) {
      const why = series === '6.12+iommufd' && builtFailure !== null ? builtFailure : `no ${series} kernel installed`;
      runs.push({ series, release: '?', package: '?', version: '?', profile, seconds: null, setup: {}, failure: why, log: null });
      for (const c of kcases) results.push(resultOf(c, series, profile, null, null, why, null));
      continue;
    }
    if (kcases.length === 0) continue;
    const run = runKernel(k, ts, o.timeoutSec, say, o.fromLog);
    runs.push({
      series, release: k.release, package: k.pkg, version: k.pkgVersion, profile, seconds: run.seconds,
      setup: run.log ? setupSummary(run.log) : {}, failure: run.failure, log: relative(repoRoot(), run.logPath),
    });
    for (const c of kcases) {
      let model: Map<string, RawValue> | null = null;
      let modelWhy: string | null = null;
      if (c.translation !== null) {
        if (o.noModel) modelWhy = 'the model was not run (--no-model)';
        else {
          const m = runModel(c.scenario, profile);
          if (m.status === 'ok') model = m.values;
          else modelWhy = m.reason;
        }
      }
      results.push(resultOf(c, k.release, profile, run.log, model, run.log === null ? run.failure : null, modelWhy));
    }
  }
  return {
    kernels: runs,
    cases: cases.length,
    mismatches: results.filter((r) => r.status === 'mismatch').length,
    unsupported: results.filter((r) => r.status === 'unsupported').length,
    setupFailures: results.filter((r) => r.status === 'setup-failed').length,
    results,
  };
}

function resultOf(
  c: LoadedCase, kernel: string, profile: string, log: GuestLog | null,
  model: Map<string, RawValue> | null, bootFailure: string | null, modelWhy: string | null,
): CaseResult {
  const base = { case: c.translation?.caseName ?? c.file, file: c.file, kernel, profile };
  if (c.translation === null) return { ...base, status: 'unsupported', real: null, model: null, diffs: [], declared: [], reason: c.unsupported };
  const t = c.translation;
  if (log === null) return { ...base, status: 'setup-failed', real: null, model: null, diffs: [], declared: [], reason: bootFailure ?? 'no guest log' };
  const rv = caseValues(t, log.cases.get(t.caseName));
  if (rv.status !== 'ok') return { ...base, status: 'setup-failed', real: null, model: null, diffs: [], declared: [], reason: `${rv.status}: ${rv.reason}` };
  const real = Object.fromEntries(normalize(t.plan, rv.values));
  const decl = c.scenario.expect.find((e) => e.spec === profile);
  const declared = decl === undefined ? [] : checkDeclared(decl.values, t.plan, rv.values);
  if (model === null) {
    const st: ResultStatus = declared.length > 0 ? 'mismatch' : 'unsupported';
    return { ...base, status: st, real, model: null, diffs: [], declared, reason: `model: ${modelWhy ?? 'no values'}` };
  }
  const diffs = compareValues(t.plan, rv.values, model);
  return {
    ...base, status: diffs.length === 0 && declared.length === 0 ? 'match' : 'mismatch', real,
    model: Object.fromEntries(normalize(t.plan, model)), diffs, declared, reason: null,
  };
}

export function renderText(r: Report): string {
  const lines: string[] = [];
  for (const k of r.kernels) {
    lines.push(`kernel ${k.release} (${k.package} ${k.version}) vs profile ${k.profile}: ${k.seconds === null ? 'not run' : `${k.seconds.toFixed(1)} s`}${k.failure ? ` — SET-UP FAILURE: ${k.failure}` : ''}`);
    const want = PROFILE_STANDS_FOR[k.series];
    if (k.version !== '?' && !k.version.startsWith(want)) lines.push(`  note: profile ${k.profile} stands for ${want}; this kernel is ${k.version}`);
  }
  lines.push('');
  const w = Math.max(8, ...r.results.map((x) => x.case.length));
  for (const x of r.results) {
    const head = `${x.case.padEnd(w)}  ${x.kernel.padEnd(22)} ${x.status.toUpperCase().padEnd(12)}`;
    if (x.status === 'match') lines.push(`${head} ${fmt(x.real)}`);
    else if (x.status === 'mismatch') {
      lines.push(head);
      for (const d of x.diffs) lines.push(`    ${d.name}: real ${d.real}, model ${d.model}`);
      for (const d of x.declared) lines.push(`    ${d.name}: real ${d.real}, scenario ${d.model}`);
      if (x.model === null) lines.push(`    (${x.reason ?? ''})`, `    real: ${fmt(x.real)}`);
    } else lines.push(`${head} ${x.reason ?? ''}${x.real ? `\n    real: ${fmt(x.real)}` : ''}`);
  }
  lines.push('');
  lines.push(`${r.cases} cases x ${r.kernels.length} kernels: ${r.results.filter((x) => x.status === 'match').length} match, ${r.mismatches} mismatch, ${r.unsupported} unsupported, ${r.setupFailures} set-up failures`);
  return lines.join('\n');
}

function fmt(v: Record<string, string> | null): string {
  if (v === null) return '';
  return Object.entries(v).map(([k, x]) => `${k}=${x}`).join(' ');
}

export function exitCode(r: Report): number {
  if (r.mismatches > 0) return 1;
  if (r.setupFailures > 0 || r.kernels.some((k) => k.failure !== null)) return 3;
  return 0;
}

export async function main(argv: readonly string[]): Promise<number> {
  // The kernel's own iommufd selftest as a peer suite (src/conformance/peer-main.ts).
  if (argv.includes('--peer-selftest')) return peerMain(argv);
  const o = parseArgs(argv);
  if (typeof o === 'string') {
    process.stderr.write(`${o}\n`);
    return o === usage() ? 0 : 2;
  }
  const say = (s: string): void => {
    process.stderr.write(`${s}\n`);
  };
  let r: Report | { parseErrors: string[] };
  try {
    r = await conformance(o, say);
  } catch (e) {
    if (e instanceof HarnessError) {
      process.stderr.write(`conformance: ${e.message}\n`);
      return 3;
    }
    throw e;
  }
  if ('parseErrors' in r) {
    process.stderr.write(`${r.parseErrors.join('\n')}\n`);
    return 2;
  }
  mkdirSync(workDir(), { recursive: true });
  writeFileSync(join(workDir(), 'report.json'), `${JSON.stringify(r, null, 2)}\n`);
  process.stdout.write(o.json ? `${JSON.stringify(r, null, 2)}\n` : `${renderText(r)}\n`);
  return exitCode(r);
}

const invokedDirectly = process.argv[1] !== undefined && /conformance[/\\]main\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) {
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
