/** Rendering of runs, checks, explorations and violations (text and versioned JSON). */
export { renderJudge, renderMatrix, renderOutcome, renderViolation, replayCommand, shellQuote } from './render-text.js';
export { TRACE_SCHEMA_VERSION, checkJson, exploreJson, judgeJson, jsonValue, runJson, violationJson } from './trace-json.js';
export type { Json } from './trace-json.js';
