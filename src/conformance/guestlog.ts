// Reading the guest's console log back: environment facts (@@E), case boundaries (@@C),
// observations (@@R) and set-up failures (@@S) — see conformance/guest/pinlab-guest.c —
// and turning a case's observations into the scenario's values with the translation plan.
import type { PlanItem, Translation } from './translate.js';

export interface GuestObservation {
  readonly step: number;
  readonly op: string;
  readonly ret: bigint;
  readonly kv: Readonly<Record<string, string>>;
}

export interface GuestCase {
  readonly name: string;
  readonly obs: Map<number, GuestObservation>;
  readonly setupFailures: { step: number; op: string; reason: string }[];
  /** exit status of the case's process; null if the `end` line never came (crash, timeout) */
  status: number | null;
}

export interface GuestLog {
  /** key → values in order (a key may repeat, e.g. `zone`) */
  readonly env: Map<string, string[]>;
  readonly cases: Map<string, GuestCase>;
  /** the driver printed its final line */
  readonly complete: boolean;
}

/** Parse `key=value key2=value2` (values without spaces; the last key may hold the rest). */
export function parseKv(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  const re = /([A-Za-z0-9_.-]+)=(\S*)/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(s)) !== null) out[m[1] as string] = m[2] as string;
  return out;
}

export function parseGuestLog(text: string): GuestLog {
  const env = new Map<string, string[]>();
  const cases = new Map<string, GuestCase>();
  let complete = false;
  const get = (name: string): GuestCase => {
    let c = cases.get(name);
    if (c === undefined) {
      c = { name, obs: new Map(), setupFailures: [], status: null };
      cases.set(name, c);
    }
    return c;
  };
  for (const raw of text.split(/\r?\n/)) {
    // kernel messages may precede a line on the same console row: start at the marker
    const at = raw.indexOf('@@');
    if (at < 0) continue;
    const line = raw.slice(at);
    let m: RegExpExecArray | null;
    if ((m = /^@@E (.*)$/.exec(line)) !== null) {
      const body = m[1] as string;
      const eq = body.indexOf('=');
      if (eq > 0) {
        const key = body.slice(0, eq);
        const rest = body.slice(eq + 1);
        // "zone=DMA start_pfn=1 spanned=..." keeps the whole line under its first key
        env.set(key, [...(env.get(key) ?? []), rest]);
      }
    } else if ((m = /^@@C all done/.exec(line)) !== null) {
      complete = true;
    } else if ((m = /^@@C (\S+) begin$/.exec(line)) !== null) {
      get(m[1] as string);
    } else if ((m = /^@@C (\S+) end status=(-?\d+)$/.exec(line)) !== null) {
      get(m[1] as string).status = Number(m[2]);
    } else if ((m = /^@@R (\S+) (\d+) (\S+) ret=(-?\d+)\s*(.*)$/.exec(line)) !== null) {
      get(m[1] as string).obs.set(Number(m[2]), { step: Number(m[2]), op: m[3] as string, ret: BigInt(m[4] as string), kv: parseKv(m[5] as string) });
    } else if ((m = /^@@S (\S+) (\d+) (\S+) (.*)$/.exec(line)) !== null) {
      get(m[1] as string).setupFailures.push({ step: Number(m[2]), op: m[3] as string, reason: m[4] as string });
    }
  }
  return { env, cases, complete };
}

/** A value as produced by either side before normalisation. */
export type RawValue = number | bigint | string | boolean | null;

export type CaseValues =
  | { readonly status: 'ok'; readonly values: Map<string, RawValue> }
  | { readonly status: 'setup-failed'; readonly reason: string }
  | { readonly status: 'incomplete'; readonly reason: string };

/** Reverse of the translation's tag table: a byte read back → the content tag. */
export function tagOf(t: Translation, byte: number): string {
  for (const [tag, b] of t.tags) if (b === byte) return tag;
  return byte === 0 ? 'zero' : `byte-0x${byte.toString(16).padStart(2, '0')}`;
}

function valueOf(t: Translation, item: PlanItem, o: GuestObservation): RawValue {
  switch (item.kind) {
    case 'int':
    case 'pages':
      return Number(o.ret);
    case 'okerr':
      return o.ret < 0n ? Number(o.ret) : 'ok';
    case 'tag':
      return o.ret < 0n ? Number(o.ret) : tagOf(t, Number(o.ret));
    case 'runs': {
      // The same text as the model's render_runs: one run is its tag ('' for zero bytes),
      // several are `tag*len` separated by spaces with zero bytes as `zero`.
      if (o.ret < 0n) return Number(o.ret);
      const runs = (o.kv.runs ?? '').split(',').filter((x) => x !== '').map((x) => {
        const m = /^(\d+)\+(\d+):(\d+)$/.exec(x);
        return m === null ? null : { len: Number(m[2]), byte: Number(m[3]) };
      });
      if (runs.some((r) => r === null)) return `bad-runs:${o.kv.runs ?? ''}`;
      const rs = runs as { len: number; byte: number }[];
      const name = (b: number): string => (b === 0 ? '' : tagOf(t, b));
      if (rs.length === 1) return name((rs[0] as { byte: number }).byte);
      return rs.map((r) => `${r.byte === 0 ? 'zero' : name(r.byte)}*${r.len}`).join(' ');
    }
    case 'frame':
      return o.ret < 0n ? null : o.ret;
    case 'zone':
      return o.ret < 0n ? null : (o.kv.zone ?? '?');
    case 'unmapsize':
      // the size field as the caller sees it after the ioctl (unchanged when it failed)
      return o.kv.size === undefined ? null : Number(o.kv.size);
    case 'kvint': {
      const x = item.field === undefined ? undefined : o.kv[item.field];
      return x === undefined ? null : Number(x);
    }
    case 'kvtag': {
      const x = item.field === undefined ? undefined : o.kv[item.field];
      return x === undefined ? null : tagOf(t, Number(x));
    }
    case 'block':
      return Number(o.ret);
    case 'kvstr':
    case 'kvzones': {
      if (o.ret < 0n) return Number(o.ret);
      const x = item.field === undefined ? undefined : o.kv[item.field];
      return x === undefined ? null : x;
    }
    case 'kvlist':
    case 'kvnames': {
      // The same JSON text the model side gives a list output (conformance/model.ts raw()).
      const x = item.field === undefined ? undefined : o.kv[item.field];
      if (x === undefined) return null;
      const parts = x === '-' ? [] : x.split(',');
      return JSON.stringify(item.kind === 'kvlist' ? parts.map(Number) : parts);
    }
  }
}

/** The scenario values of one case from the guest log. */
export function caseValues(t: Translation, c: GuestCase | undefined): CaseValues {
  if (c === undefined) return { status: 'incomplete', reason: 'the case never started (guest stopped early)' };
  if (c.setupFailures.length > 0) {
    const f = c.setupFailures[0] as { step: number; op: string; reason: string };
    return { status: 'setup-failed', reason: `${f.op} (line ${f.step + 1}: ${t.lines[f.step] ?? '?'}): ${f.reason}` };
  }
  if (c.status === null) return { status: 'incomplete', reason: 'the case did not finish (driver crash or timeout)' };
  if (c.status !== 0) return { status: 'incomplete', reason: `the case process ended with status ${c.status}` };
  const values = new Map<string, RawValue>();
  for (const item of t.plan) {
    if (item.constant === null) {
      values.set(item.name, null);
      continue;
    }
    const o = c.obs.get(item.step);
    if (o === undefined) return { status: 'incomplete', reason: `no observation for ${item.name} (line ${item.step + 1})` };
    values.set(item.name, valueOf(t, item, o));
  }
  return { status: 'ok', values };
}
