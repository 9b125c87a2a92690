/**
 * What a computation read of its profile (issue 15: `npm start` reuses work across profiles).
 *
 * The model reads a profile in three ways only: `k.patch(id)` / `profile.patches.has(id)`,
 * `IS_ENABLED(k, cfg)` / `profile.configs.has(cfg)`, and `profile.release` (the FOLL_* table of
 * mm/gup.ts). A run is a pure function of (scenario, profile, schedule) (design.md), so two
 * profiles that give the same answer to every one of those reads a computation made give it
 * the same result: the same runs, in the same order, with the same answers. `recordingProfile`
 * wraps a profile so that every such read is recorded with its answer; `sameAnswers` tells
 * whether another profile answers all of them alike. Anything that reads a set as a whole
 * (iteration, `size`, `forEach`) makes the whole set part of the key; `name`, `added`,
 * `removed` and `hypothetical` are labels (the model never branches on them, and a reused
 * result has them replaced by the new profile's).
 */
import type { ConfigId } from './configs.js';
import type { PatchId } from './patches.js';
import type { Profile } from './profile.js';

/** The reads one computation made of a profile, each with the answer it got. */
export interface ProfileReads {
  /** Patch ids asked about, with the answer (in the set or not). */
  readonly patches: ReadonlyMap<PatchId, boolean>;
  readonly configs: ReadonlyMap<ConfigId, boolean>;
  /** The release tag, if it was read; else null. */
  readonly release: string | null;
  /** The whole patch set, if something iterated it or took its size; else null. */
  readonly allPatches: ReadonlySet<PatchId> | null;
  readonly allConfigs: ReadonlySet<ConfigId> | null;
}

/** A read-only set that records each membership question and its answer; whole-set reads are recorded too. */
class RecordingSet<T> implements ReadonlySet<T> {
  readonly answers = new Map<T, boolean>();
  whole = false;

  constructor(private readonly inner: ReadonlySet<T>) {}

  has(x: T): boolean {
    const a = this.inner.has(x);
    this.answers.set(x, a);
    return a;
  }

  get size(): number {
    this.whole = true;
    return this.inner.size;
  }

  forEach(cb: (value: T, value2: T, set: ReadonlySet<T>) => void, thisArg?: unknown): void {
    this.whole = true;
    this.inner.forEach((v) => cb.call(thisArg, v, v, this));
  }

  entries(): SetIterator<[T, T]> {
    this.whole = true;
    return this.inner.entries();
  }

  keys(): SetIterator<T> {
    this.whole = true;
    return this.inner.keys();
  }

  values(): SetIterator<T> {
    this.whole = true;
    return this.inner.values();
  }

  [Symbol.iterator](): SetIterator<T> {
    this.whole = true;
    return this.inner[Symbol.iterator]();
  }
}

/** A profile that behaves as `p` and records what is read of it; `reads()` is the record so far. */
export function recordingProfile(p: Profile): { readonly profile: Profile; readonly reads: () => ProfileReads } {
  const patches = new RecordingSet(p.patches);
  const configs = new RecordingSet(p.configs);
  let releaseRead = false;
  const profile: Profile = {
    name: p.name,
    get release(): string {
      releaseRead = true;
      return p.release;
    },
    patches,
    configs,
    added: p.added,
    removed: p.removed,
    hypothetical: p.hypothetical,
  };
  const reads = (): ProfileReads => ({
    patches: new Map(patches.answers),
    configs: new Map(configs.answers),
    release: releaseRead ? p.release : null,
    allPatches: patches.whole ? p.patches : null,
    allConfigs: configs.whole ? p.configs : null,
  });
  return { profile, reads };
}

function sameSet<T>(a: ReadonlySet<T>, b: ReadonlySet<T>): boolean {
  if (a.size !== b.size) return false;
  for (const x of a) if (!b.has(x)) return false;
  return true;
}

/** Does `p` answer every read in `r` as the recorded profile did (so a computation that made exactly those reads gives the same result on `p`)? */
export function sameAnswers(r: ProfileReads, p: Profile): boolean {
  if (r.release !== null && r.release !== p.release) return false;
  if (r.allPatches !== null && !sameSet(r.allPatches, p.patches)) return false;
  if (r.allConfigs !== null && !sameSet(r.allConfigs, p.configs)) return false;
  for (const [id, a] of r.patches) if (p.patches.has(id) !== a) return false;
  for (const [id, a] of r.configs) if (p.configs.has(id) !== a) return false;
  return true;
}
