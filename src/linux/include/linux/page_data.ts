/**
 * MODEL: page data at byte granularity (no kernel counterpart: the kernel's data are the
 * bytes themselves; the model keeps who wrote them).
 *
 * A frame holds one interned content id in the mem_map (MemMap.s_content, or
 * MemMap.sub_content for a subpage of a large folio). A plain id is a tag every byte of
 * the page holds ('' = zero-filled); a composite id (MemMap.tag_compose) is a base tag
 * plus sorted byte-range overlays, interned once, so an untouched page still costs one
 * Int32 and a copy (COW, migration, khugepaged) copies one id. page_content() (mm.ts)
 * keeps giving the whole page's content as one string — the tag, or the composite's
 * canonical rendering `base{off+len:tag,...}` — so callers comparing whole pages need not
 * change; the functions here read and write byte ranges.
 *
 * API:
 *   page_read_bytes(m, page, off, len) → data_run[] (offsets relative to `off`)
 *   page_write_bytes(m, page, off, len, tag)
 *   page_copy_bytes(m, to, to_off, from, from_off, len) (copy_page / memcpy between frames)
 *   runs_append(out, at, runs) (concatenate runs of a buffer spanning several pages)
 *   render_runs(runs) → the tag when one run covers the range, else `tag*len tag*len ...`
 * A frame with no struct page slot (device memory, free frames) keeps no data: reads give
 * zero bytes ('') and writes are dropped, as the callers did before (edu.ts, uaccess.ts).
 */
import type { Machine } from '../../machine.js';
import type { MemMap } from './mm_types.js';
import { PAGE_SIZE } from './mm_types.js';

/** `len` bytes from `offset` (relative to the start of the range read) hold `tag`. */
export interface data_run {
  readonly offset: number;
  readonly len: number;
  readonly tag: string;
}

/** The content id of a frame (0 for a frame without a slot). */
function content_id(mem: MemMap, page: number): number {
  const s = mem.slot_of(page);
  if (s === 0) return 0;
  if (mem.s_order[s] === 0) return mem.s_content[s];
  return mem.sub_content.get(page) ?? mem.s_content[s];
}

function set_content_id(mem: MemMap, page: number, id: number): void {
  const s = mem.slot_of(page);
  if (s === 0) return;
  if (mem.s_order[s] === 0) mem.s_content[s] = id;
  else mem.sub_content.set(page, id);
}

function check_range(off: number, len: number, what: string): void {
  if (!Number.isInteger(off) || !Number.isInteger(len) || off < 0 || len < 0 || off + len > PAGE_SIZE) {
    throw new Error(`pinlab bug: ${what}: byte range [${off}, ${off}+${len}) is not inside a page`);
  }
}

/** Runs of plain tag ids in [off, off+len) of content `id`: flat [rel offset, len, tag id, ...]. */
function read_ids(mem: MemMap, id: number, off: number, len: number): number[] {
  const c = mem.tag_bytes(id);
  if (c === null) return len > 0 ? [0, len, id] : [];
  const out: number[] = [];
  const push = (from: number, to: number, t: number): void => {
    const a = Math.max(from, off);
    const b = Math.min(to, off + len);
    if (a >= b) return;
    const n = out.length;
    if (n > 0 && out[n - 1] === t && out[n - 3] + out[n - 2] === a - off) out[n - 2] += b - a;
    else out.push(a - off, b - a, t);
  };
  let at = 0;
  for (let i = 0; i < c.runs.length; i += 3) {
    const [ro, rl, rt] = [c.runs[i], c.runs[i + 1], c.runs[i + 2]];
    push(at, ro, c.base);
    push(ro, ro + rl, rt);
    at = ro + rl;
  }
  push(at, PAGE_SIZE, c.base);
  return out;
}

/** Content `id` with [off, off + extent) replaced by `src` (flat runs relative to off, covering it). */
function write_ids(mem: MemMap, id: number, off: number, extent: number, src: readonly number[]): number {
  if (off === 0 && extent === PAGE_SIZE && src.length === 3) return src[2];
  const c = mem.tag_bytes(id);
  const base = c === null ? id : c.base;
  const old = c === null ? [] : c.runs;
  const end = off + extent;
  const runs: number[] = [];
  let placed = false;
  const place = (): void => {
    for (let i = 0; i < src.length; i += 3) runs.push(src[i] + off, src[i + 1], src[i + 2]);
    placed = true;
  };
  for (let i = 0; i < old.length; i += 3) {
    const [ro, rl, rt] = [old[i], old[i + 1], old[i + 2]];
    if (ro < off) runs.push(ro, Math.min(ro + rl, off) - ro, rt);
    if (ro + rl > end) {
      if (!placed) place();
      const from = Math.max(ro, end);
      runs.push(from, ro + rl - from, rt);
    }
  }
  if (!placed) place();
  return mem.tag_compose(base, runs);
}

/** What the bytes [off, off+len) of a frame hold, as runs relative to off (merged). */
export function page_read_bytes(m: Machine, page: number, off: number, len: number): data_run[] {
  check_range(off, len, 'page_read_bytes');
  const mem = m.mem;
  const ids = read_ids(mem, content_id(mem, page), off, len);
  const out: data_run[] = [];
  for (let i = 0; i < ids.length; i += 3) out.push({ offset: ids[i], len: ids[i + 1], tag: mem.tag_name(ids[i + 2]) });
  return out;
}

/** Write `len` bytes of `tag` at `off` of a frame (a CPU store, a DMA, a copy into it). */
export function page_write_bytes(m: Machine, page: number, off: number, len: number, tag: string): void {
  check_range(off, len, 'page_write_bytes');
  if (len === 0) return;
  const mem = m.mem;
  set_content_id(mem, page, write_ids(mem, content_id(mem, page), off, len, [0, len, mem.tag_id(tag)]));
}

/** Write runs (relative to `off`, covering [off, off+len)) into a frame. */
export function page_write_runs(m: Machine, page: number, off: number, runs: readonly data_run[]): void {
  const len = runs.reduce((a, r) => a + r.len, 0);
  check_range(off, len, 'page_write_runs');
  if (len === 0) return;
  const mem = m.mem;
  const ids: number[] = [];
  for (const r of runs) ids.push(r.offset, r.len, mem.tag_id(r.tag));
  set_content_id(mem, page, write_ids(mem, content_id(mem, page), off, len, ids));
}

/** Copy `len` bytes from (from, from_off) to (to, to_off): copy_page / a kernel memcpy between frames. */
export function page_copy_bytes(m: Machine, to: number, to_off: number, from: number, from_off: number, len: number): void {
  check_range(to_off, len, 'page_copy_bytes');
  check_range(from_off, len, 'page_copy_bytes');
  if (len === 0) return;
  const mem = m.mem;
  const src = read_ids(mem, content_id(mem, from), from_off, len);
  set_content_id(mem, to, write_ids(mem, content_id(mem, to), to_off, len, src));
}

/** Append `runs` (relative to their own start) at offset `at` of `out`, merging a touching run of the same tag. */
export function runs_append(out: data_run[], at: number, runs: readonly data_run[]): void {
  for (const r of runs) {
    const last = out.length > 0 ? out[out.length - 1] : null;
    if (last !== null && last.tag === r.tag && last.offset + last.len === at + r.offset) out[out.length - 1] = { offset: last.offset, len: last.len + r.len, tag: r.tag };
    else out.push({ offset: at + r.offset, len: r.len, tag: r.tag });
  }
}

/** Slice [off, off+len) out of runs covering a buffer (offsets relative to off). */
export function runs_slice(runs: readonly data_run[], off: number, len: number): data_run[] {
  const out: data_run[] = [];
  for (const r of runs) {
    const a = Math.max(r.offset, off);
    const b = Math.min(r.offset + r.len, off + len);
    if (a < b) runs_append(out, 0, [{ offset: a - off, len: b - a, tag: r.tag }]);
  }
  return out;
}

/** How render_runs names zero bytes inside a run list (a lone run of zeroes renders as ''). */
export const ZERO_RUN_TAG = 'zero';

/**
 * A scenario-facing rendering: the tag when one run covers the range ('' = zero bytes),
 * else `tag*len` per run in order, space-separated, zero bytes as `zero` (`A*50 B*10 A*140`;
 * never starting with a digit, so an expectation reads it as a string).
 */
export function render_runs(runs: readonly data_run[]): string {
  if (runs.length === 1 && runs[0].offset === 0) return runs[0].tag;
  return runs.map((r) => `${r.tag === '' ? ZERO_RUN_TAG : r.tag}*${r.len}`).join(' ');
}
