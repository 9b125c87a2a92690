/**
 * Schedule strings: a short, copy-pasteable record of every real choice of a run.
 *
 *   T0*3 T1*2 c1 T0 ...
 *
 * `T<n>` picks thread n at a scheduling decision (`*k` repeats it k times); `c<i>`
 * answers a data choice with option i (`*k` likewise); a final `...` lets the
 * default strategy continue once the recorded choices run out. Decisions with a
 * single option are not recorded.
 */
import type { Choice, ThreadId } from '../sched/index.js';

export type ScheduleItem = { readonly kind: 'thread'; readonly thread: ThreadId } | { readonly kind: 'data'; readonly index: number };

export interface Schedule {
  readonly items: readonly ScheduleItem[];
  /** True if the string ends with `...`: continue with the default strategy. */
  readonly open: boolean;
}

export type ScheduleParse = { readonly ok: true; readonly schedule: Schedule } | { readonly ok: false; readonly error: string; readonly column: number };

/** Format recorded choices as a schedule string. */
export function formatSchedule(choices: readonly Choice[] | readonly ScheduleItem[], open = false): string {
  const toks: string[] = [];
  let prev = '';
  let count = 0;
  const flush = (): void => {
    if (count === 0) return;
    toks.push(count === 1 ? prev : `${prev}*${count}`);
  };
  for (const c of choices) {
    const tok = c.kind === 'thread' ? `T${c.thread}` : `c${c.index}`;
    if (tok === prev) count++;
    else {
      flush();
      prev = tok;
      count = 1;
    }
  }
  flush();
  if (open) toks.push('...');
  return toks.join(' ');
}

const TOKEN = /^(T|c)(\d+)(?:\*(\d+))?$/;

/** Parse a schedule string; errors name the 1-based column of the bad token. */
export function parseSchedule(text: string): ScheduleParse {
  const items: ScheduleItem[] = [];
  let open = false;
  const re = /\S+/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const tok = m[0];
    const column = m.index + 1;
    if (open) return { ok: false, error: `'...' must be the last token, found '${tok}' after it`, column };
    if (tok === '...') {
      open = true;
      continue;
    }
    const t = TOKEN.exec(tok);
    if (t === null) return { ok: false, error: `bad token '${tok}': expected T<thread>[*count], c<option>[*count] or a final '...'`, column };
    const n = Number(t[2]);
    const reps = t[3] === undefined ? 1 : Number(t[3]);
    if (!Number.isSafeInteger(n) || !Number.isSafeInteger(reps) || reps < 1 || reps > 10_000_000) {
      return { ok: false, error: `bad count in '${tok}'`, column };
    }
    for (let i = 0; i < reps; i++) items.push(t[1] === 'T' ? { kind: 'thread', thread: n as ThreadId } : { kind: 'data', index: n });
  }
  return { ok: true, schedule: { items, open } };
}
