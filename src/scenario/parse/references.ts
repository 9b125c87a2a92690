/**
 * Scenario parsing (entry: src/scenario/parse.ts) — references: every name a step, observation or condition uses is defined.
 */
import type { ThreadDecl } from '../ast.js';
import type { Walker} from './walker.js';
import { mean } from './walker.js';

export function checkRefs(w: Walker, threads: readonly ThreadDecl[]): void {
  threads.forEach((t) => {
    if (!w.defs.has(t.name)) w.defs.set(t.name, { kind: 'thread', at: t.at, fields: [] });
    const tn = `T${t.index}`;
    if (!w.defs.has(tn)) w.defs.set(tn, { kind: 'thread', at: t.at, fields: [] });
  });
  const defined = [...w.defs.keys()].filter((k) => w.defs.get(k)?.kind !== 'thread');
  for (const r of w.refs) {
    const d = w.defs.get(r.name);
    if (d === undefined) {
      const kinds = r.accept.join(' or ');
      w.err(r.at, `${r.what}: '${r.name}' is not defined (expected a ${kinds}; defined names: ${defined.join(', ') || 'none'})${mean(r.name, defined)}`);
      continue;
    }
    if (!r.accept.includes(d.kind)) {
      w.err(r.at, `${r.what}: '${r.name}' is a ${d.kind} (line ${d.at.line}), but a ${r.accept.join(' or ')} is expected here`);
      continue;
    }
    if (r.field !== null && !d.fields.includes(r.field)) {
      w.err(r.at, `${r.what}: '${r.name}' has no field '${r.field}'${d.fields.length > 0 ? ` (fields: ${d.fields.join(', ')})` : ''}`);
    }
  }
}
