// The peer report's second half: which pinlab case covers which selftest test
// (conformance/peer/iommufd-selftest.map.yaml, written by hand), pinlab's answer for it (the
// case judged on the model, profile v6.12+iommufd) and whether the two agree.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { renderError } from '../scenario/ast.js';
import { judgeProfile } from '../scenario/judge.js';
import { parseScenario } from '../scenario/parse.js';
import { HarnessError, repoRoot } from './host.js';
import { passedOnKernel, type PeerTest } from './peer-tap.js';

/** The profile pinlab's answers are judged on (the built kernel's). */
export const PEER_PROFILE = 'v6.12+iommufd';

export type Coverage = 'full' | 'partial' | 'adapted';

export interface PeerRule {
  readonly match: string;
  readonly re: RegExp;
  readonly case: string | null;
  readonly covers: Coverage | null;
  /** the kind of reason when there is no case */
  readonly none: string | null;
  readonly note: string | null;
}

/** A known reason a test fails on the kernel, recognised by its first diagnostic line. */
export interface PeerCause {
  readonly diag: RegExp;
  readonly cause: string;
}

export interface PeerMap {
  readonly kinds: Readonly<Record<string, string>>;
  readonly rules: readonly PeerRule[];
  readonly causes: readonly PeerCause[];
}

export function mapFile(): string {
  return join(repoRoot(), 'conformance', 'peer', 'iommufd-selftest.map.yaml');
}

/** `*` matches any characters; everything else literally. */
export function globRe(glob: string): RegExp {
  return new RegExp(`^${glob.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('.*')}$`);
}

/** Parse and check the map (every rule has a case with a coverage, or a known kind). */
export function parsePeerMap(text: string): PeerMap {
  const doc = parse(text) as { kinds?: Record<string, string>; rules?: Record<string, unknown>[]; causes?: { diag?: unknown; cause?: unknown }[] } | null;
  const kinds = doc?.kinds ?? {};
  const rules: PeerRule[] = [];
  for (const [i, r] of (doc?.rules ?? []).entries()) {
    const match = r.match;
    if (typeof match !== 'string') throw new HarnessError(`peer map rule ${i + 1}: no match`);
    const c = typeof r.case === 'string' ? r.case : null;
    const covers = r.covers === 'full' || r.covers === 'partial' || r.covers === 'adapted' ? r.covers : null;
    const none = typeof r.none === 'string' ? r.none : null;
    if (c !== null && (covers === null || none !== null)) throw new HarnessError(`peer map rule ${match}: a case needs covers: full|partial|adapted and no none:`);
    if (c === null && (none === null || kinds[none] === undefined)) throw new HarnessError(`peer map rule ${match}: no case and no known kind (none: ${String(r.none)})`);
    rules.push({ match, re: globRe(match), case: c, covers, none, note: typeof r.note === 'string' ? r.note : null });
  }
  const causes: PeerCause[] = (doc?.causes ?? []).map((c, i) => {
    if (typeof c.diag !== 'string' || typeof c.cause !== 'string') throw new HarnessError(`peer map cause ${i + 1}: needs diag and cause`);
    return { diag: new RegExp(c.diag), cause: c.cause };
  });
  return { kinds, rules, causes };
}

export function loadPeerMap(): PeerMap {
  return parsePeerMap(readFileSync(mapFile(), 'utf8'));
}

/** pinlab's answer for one case: its declared values hold on the model, or the differences. */
export interface PinlabAnswer {
  readonly case: string;
  readonly match: boolean;
  readonly mismatches: readonly string[];
}

/** Judge a case on the model (values and any declared verdicts), as `pinlab check` does. */
export function judgeCase(file: string): PinlabAnswer {
  const r = parseScenario(readFileSync(join(repoRoot(), file), 'utf8'), file);
  if (!r.ok) return { case: file, match: false, mismatches: r.errors.map(renderError) };
  const pe = r.scenario.expect.find((e) => e.spec === PEER_PROFILE);
  if (pe === undefined) return { case: file, match: false, mismatches: [`declares no ${PEER_PROFILE} result`] };
  try {
    const j = judgeProfile(r.scenario, pe);
    return { case: file, match: j.match, mismatches: j.mismatches };
  } catch (e) {
    return { case: file, match: false, mismatches: [`model raised (a pinlab bug): ${(e as Error).message.split('\n')[0] ?? ''}`] };
  }
}

export type Agreement = 'agree' | 'disagree' | 'no-counterpart' | 'unmapped';

export interface PeerRow {
  readonly test: PeerTest;
  readonly rule: PeerRule | null;
  readonly pinlab: PinlabAnswer | null;
  readonly agreement: Agreement;
  /** why the kernel failed the test, when the map knows (causes:) */
  readonly cause: string | null;
}

/**
 * One row per selftest test: the first rule that matches it; with a case, pinlab's answer and
 * the agreement (the kernel passed the test and the case's declared values hold on the model;
 * anything else disagrees). Each case is judged once however many tests it covers.
 */
export function peerRows(tests: readonly PeerTest[], map: PeerMap, judge: (file: string) => PinlabAnswer = judgeCase): PeerRow[] {
  const answers = new Map<string, PinlabAnswer>();
  return tests.map((test) => {
    const rule = map.rules.find((r) => r.re.test(test.name)) ?? null;
    const first = test.diagnostics[0] ?? '';
    const cause = test.status === 'fail' ? (map.causes.find((c) => c.diag.test(first))?.cause ?? null) : null;
    if (rule === null) return { test, rule, pinlab: null, agreement: 'unmapped', cause };
    if (rule.case === null) return { test, rule, pinlab: null, agreement: 'no-counterpart', cause };
    let a = answers.get(rule.case);
    if (a === undefined) {
      a = judge(rule.case);
      answers.set(rule.case, a);
    }
    return { test, rule, pinlab: a, agreement: passedOnKernel(test) && a.match ? 'agree' : 'disagree', cause };
  });
}

export interface PeerCounts {
  readonly run: number;
  readonly passed: number;
  readonly failed: number;
  readonly skipped: number;
  readonly covered: number;
  readonly coveredFull: number;
  readonly agreeing: number;
  readonly disagreeing: number;
  /** tests without a counterpart, by kind */
  readonly none: Readonly<Record<string, number>>;
  readonly unmapped: number;
  /** failed tests by cause ('cause not known' when no cause matched) */
  readonly failedBy: Readonly<Record<string, number>>;
}

export function peerCounts(rows: readonly PeerRow[]): PeerCounts {
  const none: Record<string, number> = {};
  const failedBy: Record<string, number> = {};
  for (const r of rows) {
    if (r.agreement === 'no-counterpart' && r.rule?.none) none[r.rule.none] = (none[r.rule.none] ?? 0) + 1;
    if (r.test.status === 'fail') failedBy[r.cause ?? 'cause not known'] = (failedBy[r.cause ?? 'cause not known'] ?? 0) + 1;
  }
  return {
    run: rows.length,
    passed: rows.filter((r) => passedOnKernel(r.test)).length,
    failed: rows.filter((r) => r.test.status === 'fail' || r.test.status === 'xpass').length,
    skipped: rows.filter((r) => r.test.status === 'skip').length,
    covered: rows.filter((r) => r.pinlab !== null).length,
    coveredFull: rows.filter((r) => r.pinlab !== null && r.rule?.covers === 'full').length,
    agreeing: rows.filter((r) => r.agreement === 'agree').length,
    disagreeing: rows.filter((r) => r.agreement === 'disagree').length,
    none,
    unmapped: rows.filter((r) => r.agreement === 'unmapped').length,
    failedBy,
  };
}
