/**
 * The op table (src/scenario/ops/) is the single place an op is declared: every op has an
 * implementation (or a declared reason the model does not run it yet), an argument schema,
 * a doc line and a result text, a conformance translation or a typed reason it has none
 * (src/conformance/ops/), and a row in the generated catalogue of docs/scenario-format.md.
 * The compiler checks most of this; these tests check what reaches run time, and that the
 * check itself catches an op missing any of them.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OP_AREA, OP_GROUPS, OP_TABLE } from '../../../src/scenario/ops/index.js';
import type { OpDef } from '../../../src/scenario/ops/index.js';
import { OPS, OP_NAMES } from '../../../src/scenario/ops.js';
import { OP_IMPLS } from '../../../src/scenario/build.js';
import { GUEST_GROUPS, GUEST_OPS } from '../../../src/conformance/ops/index.js';
import type { GuestOp } from '../../../src/conformance/ops/index.js';

const REASONS = ['kernel-only entry point', 'replaces the driver process', 'needs a second thread', 'needs two processes'];
const CLASSES = ['syscall', 'device', 'kernel', 'observe'];

/** What is missing or wrong for each op of a table and its guest table (empty = complete). */
function opTableProblems(table: Readonly<Record<string, OpDef>>, guest: Readonly<Record<string, GuestOp | undefined>>, catalogue: string): string[] {
  const out: string[] = [];
  for (const [name, d] of Object.entries(table)) {
    if (!CLASSES.includes(d.cls)) out.push(`${name}: class ${String(d.cls)}`);
    if (typeof d.impl !== 'function' && !(typeof d.impl === 'object' && d.impl !== null && typeof d.impl.notModelled === 'string' && d.impl.notModelled !== '')) out.push(`${name}: no implementation`);
    if (!Array.isArray(d.args)) out.push(`${name}: no argument schema`);
    else {
      const names = d.args.map((x) => x.name);
      if (new Set(names).size !== names.length) out.push(`${name}: an argument declared twice`);
      for (const x of d.args) if (typeof x.type?.kind !== 'string') out.push(`${name}.${x.name}: no argument type`);
    }
    if (typeof d.doc !== 'string' || d.doc.trim() === '') out.push(`${name}: no doc line`);
    if (typeof d.result !== 'string' || d.result.trim() === '') out.push(`${name}: no result text`);
    const g = guest[name];
    if (g === undefined) out.push(`${name}: no conformance translation or reason`);
    else if ('none' in g) {
      if (!REASONS.includes(g.none)) out.push(`${name}: unknown no-translation reason ${String(g.none)}`);
    } else if (typeof g.translate !== 'function' || g.guest.trim() === '') out.push(`${name}: an empty conformance translation`);
    if (!catalogue.includes(`| \`${name}\` |`)) out.push(`${name}: no row in the docs catalogue`);
  }
  for (const name of Object.keys(guest)) if (!(name in table)) out.push(`${name}: a conformance entry for no op`);
  return out;
}

const doc = readFileSync(join(import.meta.dirname, '../../../docs/scenario-format.md'), 'utf8');
const catalogue = doc.slice(doc.indexOf('<!-- BEGIN op catalogue'), doc.indexOf('<!-- END op catalogue -->'));

describe('the op table', () => {
  it('declares every op with an implementation, a schema, docs, and a conformance translation or reason', () => {
    expect(catalogue.length).toBeGreaterThan(0);
    expect(opTableProblems(OP_TABLE, GUEST_OPS, catalogue)).toEqual([]);
  });

  it('the check fails for an op that lacks any of them', () => {
    const base = OP_TABLE.mmap;
    const broken = {
      no_impl: { ...base, impl: undefined },
      no_args: { ...base, args: undefined },
      no_doc: { ...base, doc: '' },
      no_result: { ...base, result: ' ' },
      no_guest: base,
    } as unknown as Record<string, OpDef>;
    const guest = { no_impl: GUEST_OPS.mmap, no_args: GUEST_OPS.mmap, no_doc: GUEST_OPS.mmap, no_result: GUEST_OPS.mmap, stray: GUEST_OPS.mmap };
    const fake = Object.keys(broken).map((n) => `| \`${n}\` |`).join('\n');
    expect(opTableProblems(broken, guest, fake)).toEqual([
      'no_impl: no implementation',
      'no_args: no argument schema',
      'no_doc: no doc line',
      'no_result: no result text',
      'no_guest: no conformance translation or reason',
      'stray: a conformance entry for no op',
    ]);
    expect(opTableProblems({ mmap: base }, GUEST_OPS, '')).toContain('mmap: no row in the docs catalogue');
  });

  it('no two area groups declare the same op, and each conformance group covers exactly its area', () => {
    const total = Object.values(OP_GROUPS).map((g: object) => Object.keys(g).length).reduce((n, k) => n + k, 0);
    expect(Object.keys(OP_TABLE).length).toBe(total);
    for (const [area, g] of Object.entries(OP_GROUPS)) {
      expect(Object.keys(GUEST_GROUPS[area as keyof typeof GUEST_GROUPS]).sort()).toEqual(Object.keys(g).sort());
      for (const name of Object.keys(g)) expect(OP_AREA[name as keyof typeof OP_AREA]).toBe(area);
    }
  });

  it('the validator, the runner and the catalogue see the same ops in the same order', () => {
    expect(OP_NAMES).toEqual(Object.keys(OP_TABLE));
    expect([...OPS.keys()]).toEqual(Object.keys(OP_TABLE));
    expect([...OP_IMPLS.keys()]).toEqual(Object.keys(OP_TABLE));
    const rows = [...catalogue.matchAll(/^\| `([^`]+)` \|/gm)].map((m) => m[1]);
    expect([...rows].sort()).toEqual(Object.keys(OP_TABLE).sort());
  });

  it('kernel-class ops have no guest translation (the conformance obstacle says why first)', () => {
    for (const [name, d] of Object.entries(OP_TABLE)) {
      if (d.cls === 'kernel') expect(GUEST_OPS[name as keyof typeof GUEST_OPS]).toEqual({ none: 'kernel-only entry point' });
    }
  });
});
