/**
 * `pinlab check --merge <json files...>`: the results of `check --json --shard i/n` runs
 * (each on its own machine, e.g. a CI matrix) merged into one report: the matrix and the
 * summary as one unsharded `check` prints them (or, with --json, one `check --json`
 * document), and the exit code of the whole.
 */
import { readFileSync } from 'node:fs';
import { renderMatrix } from '../report/render-text.js';
import type { MatrixRow } from '../report/render-text.js';
import type { Io } from './io.js';
import { BadInput, EXIT_BAD_INPUT, EXIT_MISMATCH, EXIT_OK, jsonText } from './io.js';

interface CheckRow extends MatrixRow {
  readonly profile: string;
  readonly mismatches: readonly string[];
}

interface CheckDoc {
  readonly version: unknown;
  readonly results: readonly CheckRow[];
  readonly errors: readonly string[];
}

function readDoc(file: string): CheckDoc {
  let doc: unknown;
  try {
    doc = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new BadInput(`${file}: not a \`pinlab check --json\` document (${(e as Error).message})`);
  }
  const d = doc as Partial<CheckDoc> | null;
  if (d === null || typeof d !== 'object' || !Array.isArray(d.results) || !Array.isArray(d.errors)) {
    throw new BadInput(`${file}: not a \`pinlab check --json\` document (no results/errors arrays)`);
  }
  for (const r of d.results as unknown[]) {
    const x = r as Partial<CheckRow> | null;
    if (x === null || typeof x.scenario !== 'string' || typeof x.spec !== 'string' || typeof x.match !== 'boolean') throw new BadInput(`${file}: a result without scenario, spec and match`);
  }
  return d as CheckDoc;
}

export function cmdCheckMerge(io: Io, files: readonly string[], opts: { readonly json?: boolean }): number {
  if (files.length === 0) throw new BadInput('--merge: no files given');
  const docs = files.map(readDoc);
  const versions = new Set(docs.map((d) => JSON.stringify(d.version)));
  if (versions.size > 1) throw new BadInput(`--merge: the files come from different pinlab versions (${[...versions].join(', ')})`);
  // Shards take whole scenario files by rank in the sorted list: ordering by scenario path
  // (stable, so each file keeps its profiles' order) gives the unsharded run's order.
  const rows = docs.flatMap((d) => d.results.map((r) => r)).sort((a, b) => (a.scenario < b.scenario ? -1 : a.scenario > b.scenario ? 1 : 0));
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.scenario}\u0000${r.spec}`;
    if (seen.has(key)) throw new BadInput(`--merge: ${r.scenario} on ${r.spec} appears in two files (overlapping shards?)`);
    seen.add(key);
  }
  const errors = docs.flatMap((d) => d.errors);
  const bad = rows.filter((r) => !r.match);
  if (opts.json === true) io.out(jsonText({ version: docs[0].version, results: rows as never, mismatches: bad.length, errors }));
  else {
    for (const e of errors) io.err(e);
    io.out(renderMatrix(rows));
    if (bad.length > 0) io.out('');
    for (const r of bad) io.out(`${r.scenario} on ${r.spec}: ${r.mismatches.join('; ') || r.status}`);
  }
  if (errors.length > 0) return EXIT_BAD_INPUT;
  return bad.length > 0 ? EXIT_MISMATCH : EXIT_OK;
}
