/**
 * Scenario parsing (entry: src/scenario/parse.ts) — the scenario walk: YAML text to a `Scenario` (parseScenario), the top-level keys, errors in file order.
 */
import type { Node as YNode } from 'yaml';
import { LineCounter, isAlias, isMap, isScalar, isSeq, parseDocument } from 'yaml';
import { parseSchedule } from '../../explore/schedule.js';
import type { ScenarioError } from '../ast.js';
import { parseExpect } from './expect.js';
import { parseObserve } from './observe.js';
import { checkRefs } from './references.js';
import { parseSetup } from './setup.js';
import { parseThreads } from './threads.js';
import type { ParseResult } from './walker.js';
import { NOWHERE, Walker } from './walker.js';

const TOP_KEYS = ['format', 'question', 'refs', 'tags', 'setup', 'threads', 'observe', 'expect', 'schedule', 'explore'];

/** Parse and validate a scenario. `file` is used in messages only. */
export function parseScenario(text: string, file: string): ParseResult {
  const lc = new LineCounter();
  const w = new Walker(file, lc);
  try {
    return parseInner(text, file, lc, w);
  } catch (e) {
    // A pinlab bug; keep the contract (no throw) but say what happened.
    w.err(NOWHERE, `internal error while reading the scenario (a pinlab bug): ${e instanceof Error ? e.message : String(e)}`);
    return { ok: false, errors: w.errors };
  }
}

function parseInner(text: string, file: string, lc: LineCounter, w: Walker): ParseResult {
  const doc = parseDocument(text, { lineCounter: lc, intAsBigInt: true, prettyErrors: false, uniqueKeys: true, merge: false, strict: true });
  for (const e of doc.errors) {
    const msg = e.message.split('\n')[0];
    w.err(w.posAt(e.pos[0]), `YAML: ${msg}`);
  }
  if (w.errors.length > 0) return { ok: false, errors: w.errors };
  let aliasSeen = false;
  const root = doc.contents as YNode | null;
  findAliases(root, (n) => {
    if (!aliasSeen) w.err(w.pos(n), 'YAML aliases (*name) are not supported in scenarios; write the value out');
    aliasSeen = true;
  });
  if (aliasSeen) return { ok: false, errors: w.errors };

  const top = w.map(root, 'the scenario', TOP_KEYS, ['question', 'threads', 'expect']);
  if (top === null) return { ok: false, errors: w.errors };

  const fmt = top.get('format');
  if (fmt !== undefined) {
    const v = w.plainInt(fmt.value, 'format', 0n, 1000n);
    if (v !== null && v !== 1n) w.err(w.pos(fmt.value), `format: version ${v} is not supported (this pinlab reads format 1)`);
  }
  const question = top.get('question') === undefined ? '' : w.str(top.get('question')?.value ?? null, 'question') ?? '';
  const refs = strList(w, top.get('refs')?.value, 'refs');
  const tags = strList(w, top.get('tags')?.value, 'tags');

  const setup = parseSetup(w, top.get('setup')?.value ?? null, top.get('setup') !== undefined);
  const threadsNode = top.get('threads');
  const threads = threadsNode === undefined ? [] : parseThreads(w, threadsNode.value);
  const observe = top.get('observe') === undefined ? [] : parseObserve(w, top.get('observe')?.value ?? null);
  const expectNode = top.get('expect');
  const expect = expectNode === undefined ? [] : parseExpect(w, expectNode.value);

  let schedule: string | null = null;
  const sch = top.get('schedule');
  if (sch !== undefined) {
    schedule = w.str(sch.value, 'schedule');
    if (schedule !== null) {
      const p = parseSchedule(schedule);
      if (!p.ok) {
        const at = w.pos(sch.value);
        w.err({ line: at.line, col: at.col + p.column - 1, offset: at.offset + p.column - 1 }, `schedule: ${p.error}`);
      } else {
        for (const it of p.schedule.items) {
          if (it.kind === 'thread' && it.thread >= threads.length) {
            w.err(w.pos(sch.value), `schedule: T${it.thread} does not exist (the scenario has ${threads.length} thread${threads.length === 1 ? '' : 's'})`);
            break;
          }
        }
      }
    }
  }
  let preemptionBound: number | null = null;
  let maxSchedules: number | null = null;
  let cache: 'history' | 'positions' | null = null;
  const ex = top.get('explore');
  if (ex !== undefined) {
    const m = w.map(ex.value, 'explore', ['preemption_bound', 'max_schedules', 'cache']);
    if (m !== null) {
      const pb = m.get('preemption_bound');
      if (pb !== undefined) preemptionBound = w.smallInt(pb.value, 'explore.preemption_bound', 0, 1000);
      const ms = m.get('max_schedules');
      if (ms !== undefined) maxSchedules = w.smallInt(ms.value, 'explore.max_schedules', 1, 1_000_000_000);
      const c = m.get('cache');
      if (c !== undefined) {
        const v = w.str(c.value, 'explore.cache');
        if (v === 'history' || v === 'positions') cache = v;
        else if (v !== null) w.err(w.pos(c.value), `explore.cache: '${v}' is not one of history, positions`);
      }
    }
  }

  if (threadsNode !== undefined && threads.length === 0 && isSeq(threadsNode.value) && threadsNode.value.items.length === 0) {
    w.err(w.pos(threadsNode.value), 'threads: a scenario needs at least one thread');
  }
  if (expectNode !== undefined && expect.length === 0 && isMap(expectNode.value) && expectNode.value.items.length === 0) {
    w.err(w.pos(expectNode.value), 'expect: declare the result for at least one profile');
  }

  checkRefs(w, threads);
  if (w.errors.length > 0) return { ok: false, errors: sortErrors(w.errors) };
  return {
    ok: true,
    scenario: { file, format: 1, question, refs, tags, setup, threads, observe, expect, schedule, explore: { preemptionBound, maxSchedules, cache } },
  };
}

function sortErrors(es: ScenarioError[]): ScenarioError[] {
  return es.slice().sort((a, b) => a.at.offset - b.at.offset);
}

function findAliases(node: unknown, found: (n: YNode) => void): void {
  if (node === null || node === undefined) return;
  if (isAlias(node)) {
    found(node);
    return;
  }
  if (isMap(node)) {
    for (const p of node.items) {
      findAliases(p.key, found);
      findAliases(p.value, found);
    }
  } else if (isSeq(node)) {
    for (const it of node.items) findAliases(it, found);
  }
}

export function strList(w: Walker, node: YNode | null | undefined, where: string): string[] {
  if (node === undefined || node === null) return [];
  const items = w.seq(node, where);
  if (items === null) return [];
  const out: string[] = [];
  for (const it of items) {
    // `- c4237f8b1f4f "mm: fix ..."` unquoted reads as a one-key mapping: accept it as text.
    if (isMap(it) && it.items.length === 1 && isScalar(it.items[0].key) && (isScalar(it.items[0].value) || it.items[0].value === null)) {
      const k = (it.items[0].key as { value: unknown }).value;
      const v = (it.items[0].value as { value: unknown } | null)?.value ?? '';
      out.push(`${String(k)}: ${String(v)}`);
      continue;
    }
    const s = w.str(it, `${where}[]`);
    if (s !== null) out.push(s);
  }
  return out;
}
