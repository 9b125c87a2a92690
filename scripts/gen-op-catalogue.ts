/**
 * Generates the op catalogue of docs/scenario-format.md (between its two marker comments)
 * from the op table (src/scenario/ops/) and its conformance side (src/conformance/ops/):
 * each op with its arguments and defaults, its result, and its guest driver command or the
 * reason it has none.
 *
 *   npm run docs            rewrite the catalogue in docs/scenario-format.md
 *   npm run docs -- --check exit 1 if it is out of date
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { writeOrCheck } from './write-or-check.js';
import { OP_TABLE } from '../src/scenario/ops/index.js';
import type { ArgSpec, OpClass, OpDef, OpName } from '../src/scenario/ops/index.js';
import { GUEST_OPS } from '../src/conformance/ops/index.js';

const root = join(import.meta.dirname, '..');
export const BEGIN = '<!-- BEGIN op catalogue: generated from src/scenario/ops/ and src/conformance/ops/ by `npm run docs`; do not edit by hand -->';
export const END = '<!-- END op catalogue -->';

const CLASS_HEADINGS: Readonly<Record<OpClass, string>> = {
  syscall: '**Syscalls and ioctls** (a real-kernel C driver can run them; conformance translates them 1:1 for single-threaded scenarios, with the guest driver command shown):',
  device: '**Device actions** (the guest driver triggers them on its edu device):',
  kernel: '**Kernel entry points** (model only: no C driver can call them; conformance skips these scenarios):',
  observe: '**Observation**:',
};

/** A markdown table cell: pipes escaped, no line breaks. */
function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function dfltText(v: NonNullable<ArgSpec['dflt']>): string {
  return typeof v === 'string' ? `\`${v}\`` : String(v);
}

/** What an argument of a kind is, when its name does not say it. */
const KIND_HINTS: Readonly<Partial<Record<ArgSpec['type']['kind'], string>>> = {
  content: 'a content tag',
  'new-process': 'a new process name',
  process: 'a process name',
  device: 'a device name',
  thread: '`T<n>` or a thread name',
  pages: '`$r.pages` of a GUP step',
  iovecs: 'list of `{ base, len }`',
  caps: 'list of `CAP_*`',
};

/** `name` (default, then the note, a flag family or what the kind is). */
function argText(x: ArgSpec): string {
  const paren: string[] = [];
  if (x.dflt !== undefined && x.dflt !== null) paren.push(dfltText(x.dflt));
  if (x.note !== undefined) paren.push(x.note);
  else if (x.type.kind === 'flags' || x.type.kind === 'enum') paren.push(`\`${x.type.family}*\``);
  else if (KIND_HINTS[x.type.kind] !== undefined) paren.push(KIND_HINTS[x.type.kind] as string);
  if (x.dflt === null && x.note === undefined) paren.push('optional');
  return paren.length === 0 ? `\`${x.name}\`` : `\`${x.name}\` (${paren.join(', ')})`;
}

export function renderOpCatalogue(): string {
  const ops = Object.entries(OP_TABLE) as [OpName, OpDef][];
  const out: string[] = [BEGIN, ''];
  for (const cls of Object.keys(CLASS_HEADINGS) as OpClass[]) {
    const rows = ops.filter(([, d]) => d.cls === cls);
    if (rows.length === 0) continue;
    out.push(CLASS_HEADINGS[cls], '', '| op | arguments (default) | result | conformance |', '|---|---|---|---|');
    for (const [name, d] of rows) {
      const g = GUEST_OPS[name];
      const conf = 'none' in g ? `none: ${g.none}` : g.guest.split(', ').map((x) => `\`${x}\``).join(', ');
      const args = d.args.length === 0 ? '—' : d.args.map(argText).join(', ');
      const result = typeof d.impl === 'function' ? d.result : `${d.result} — not in the model yet: the run is \`unsupported\``;
      out.push(`| \`${name}\` | ${cell(args)} | ${cell(result)} | ${cell(conf)} |`);
    }
    out.push('');
  }
  const notYet = ops.filter(([, d]) => typeof d.impl !== 'function').map(([n]) => `\`${n}\``);
  out.push(`An operation the model cannot run yet validates but makes the run \`unsupported\` (with the reason): ${notYet.length === 0 ? 'none at present' : notYet.join(', ')}.`);
  out.push(END);
  return out.join('\n');
}

const target = join(root, 'docs', 'scenario-format.md');
const old = readFileSync(target, 'utf8');
const b = old.indexOf(BEGIN);
const e = old.indexOf(END);
if (b < 0 || e < b) {
  process.stderr.write(`${target}: the op catalogue markers are missing\n`);
  process.exit(1);
}
writeOrCheck(target, old.slice(0, b) + renderOpCatalogue() + old.slice(e + END.length), 'npm run docs');
