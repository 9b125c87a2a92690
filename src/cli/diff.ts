/**
 * `pinlab diff <scenario>`: one scenario across profiles — which results and verdicts differ.
 * Exit codes as for run/explore: 1 when a profile's run or exploration found a violation (or the
 * run is not a verdict), whatever the differences; 0 otherwise.
 */
import { explore } from '../explore/explore.js';
import { showValue } from '../scenario/judge.js';
import { runScenario, scenarioTarget } from '../scenario/run.js';
import type { Profile } from '../profiles/index.js';
import { resolveProfile } from '../profiles/index.js';
import type { Io } from './io.js';
import { TRACE_SCHEMA_VERSION } from '../report/trace-json.js';
import { BadInput, EXIT_MISMATCH, EXIT_OK, jsonText, loadOrThrow } from './io.js';
import { runFailed } from './run.js';

export function cmdDiff(io: Io, file: string, opts: { profiles?: string; json?: boolean; explore?: boolean }): number {
  const s = loadOrThrow(file);
  const specs = opts.profiles !== undefined ? opts.profiles.split(',').map((x) => x.trim()).filter((x) => x !== '') : s.expect.map((e) => e.spec);
  const profiles: Profile[] = specs.map((sp) => {
    const r = resolveProfile(sp);
    if (!r.ok) throw new BadInput(r.error.message);
    return r.profile;
  });
  if (profiles.length === 0) throw new BadInput('diff needs at least one profile');
  const cols = profiles.map((p) => {
    const o = runScenario(s, p, { schedule: s.schedule });
    const verdicts = opts.explore === false ? {} : explore(scenarioTarget(s, p), s.explore.maxSchedules !== null ? { maxSchedules: s.explore.maxSchedules } : {}).verdicts;
    return { profile: p.name, status: o.status, values: o.values, verdicts, failed: runFailed(o) || Object.values(verdicts).some((v) => v !== 'never') };
  });
  const names: string[] = [];
  for (const c of cols) for (const k of c.values.keys()) if (!names.includes(k)) names.push(k);
  const inv: string[] = [];
  for (const c of cols) for (const k of Object.keys(c.verdicts)) if (!inv.includes(k)) inv.push(k);
  const rows = [
    { what: 'status', cells: cols.map((c) => c.status) },
    ...names.map((n) => ({ what: n, cells: cols.map((c) => showValue(c.values.get(n))) })),
    ...inv.map((n) => ({ what: n, cells: cols.map((c) => (c.verdicts as Record<string, string>)[n] ?? 'never') })),
  ];
  const differing = rows.filter((r) => new Set(r.cells).size > 1).map((r) => r.what);
  const code = cols.some((c) => c.failed) ? EXIT_MISMATCH : EXIT_OK;
  if (opts.json === true) {
    io.out(jsonText({ version: TRACE_SCHEMA_VERSION, scenario: s.file, profiles: cols.map((c) => c.profile), rows, differing, violated: cols.filter((c) => c.failed).map((c) => c.profile) }));
    return code;
  }
  const w0 = Math.max(10, ...rows.map((r) => r.what.length));
  const ws = cols.map((c, i) => Math.max(c.profile.length, ...rows.map((r) => r.cells[i].length)));
  io.out(`${''.padEnd(w0)}  ${cols.map((c, i) => c.profile.padEnd(ws[i])).join('  ')}`.trimEnd());
  for (const r of rows) io.out(`${(differing.includes(r.what) ? '* ' : '  ') + r.what.padEnd(w0 - 2)}  ${r.cells.map((x, i) => x.padEnd(ws[i])).join('  ')}`.trimEnd());
  io.out('');
  io.out(differing.length > 0 ? `differs (*): ${differing.join(', ')}` : 'no differences');
  const failed = cols.filter((c) => c.failed).map((c) => c.profile);
  if (failed.length > 0) io.out(`violations found on: ${failed.join(', ')} (exit 1)`);
  return code;
}
