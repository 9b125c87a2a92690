/**
 * Scenario files: YAML text → validated `Scenario` (ast.ts) or positioned errors.
 *
 * The YAML document is walked node by node so every message names the line and
 * column of the offending key or value (`file:line:col: message`). Checks, in order:
 * YAML syntax; shape (unknown keys, wrong types, missing keys); the operation
 * catalogue (unknown operations, arguments, flag names); profiles and patches (via
 * resolveProfile); invariant ids and verdicts; then names: duplicates and references
 * to undefined processes, files, devices, results. Nothing in here throws on any
 * input: a JS exception escaping `parseScenario` is a pinlab bug (a fuzz test checks).
 *
 * The parser lives in src/scenario/parse/, one file per part of the file format: walker.ts (the
 * node walker and its helpers), scenario.ts (the top-level walk: parseScenario), setup.ts, threads.ts,
 * observe.ts, expect.ts and references.ts. This file is the entry the rest of pinlab imports.
 */
export type { ParseResult } from './parse/walker.js';
export { didYouMean } from './parse/walker.js';
export { parseScenario } from './parse/scenario.js';
export { MAX_THREADS } from './parse/threads.js';
export { binders } from './parse/expect.js';
