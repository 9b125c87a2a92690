/**
 * FOLL_* flags of get_user_pages*() / pin_user_pages*().
 *
 * Sources: include/linux/mm.h of 5.4.1, 5.5-rc5, 5.6.4, 5.7.14, 5.8.1, 5.9.1, 5.10.7, 5.11.14,
 * 5.12.9, 5.15.24 and Debian 6.1.192 (`#define`s);
 * include/linux/mm_types.h (`enum`, public flags) and mm/internal.h (internal flags,
 * INTERNAL_GUP_FLAGS) of Debian 6.12.117.
 *
 * Representation. The kernel renumbered the flags in 6.5 (and some flags exist only in
 * some releases: FOLL_SPLIT and FOLL_NOFAULT even share 0x80 in different releases), so
 * the model does NOT use any one release's numbers internally. Every flag has one fixed
 * model bit (`FOLL_*` below, a bitmask that callers OR together exactly as kernel code
 * does); the numbers a given release uses are available through `foll_release_value()`
 * / `foll_from_release_value()` for anything that must show or accept raw values (traces,
 * the gup_test ioctl of a scenario). The model bits follow the 6.12 enum for the flags
 * 6.12 has, and use free bits for the flags that 6.12 no longer has.
 *
 * Which flags exist in a release is `foll_flag_exists(profile-tag, name)`. A caller
 * passing a flag its release does not define gets the behaviour that release gives an
 * unknown bit (see gup.ts: e.g. 5.4 ignores FOLL_PIN; 6.12 treats FOLL_COW as an
 * unknown bit too).
 */

// --- flags present in 6.12 (model bit == 6.12 value) ---
export const FOLL_WRITE = 1 << 0;
export const FOLL_GET = 1 << 1;
export const FOLL_DUMP = 1 << 2;
export const FOLL_FORCE = 1 << 3;
export const FOLL_NOWAIT = 1 << 4;
export const FOLL_NOFAULT = 1 << 5;
export const FOLL_HWPOISON = 1 << 6;
export const FOLL_ANON = 1 << 7;
export const FOLL_LONGTERM = 1 << 8;
export const FOLL_SPLIT_PMD = 1 << 9;
export const FOLL_PCI_P2PDMA = 1 << 10;
export const FOLL_INTERRUPTIBLE = 1 << 11;
export const FOLL_HONOR_NUMA_FAULT = 1 << 12;
export const FOLL_TOUCH = 1 << 16;
export const FOLL_TRIED = 1 << 17;
export const FOLL_REMOTE = 1 << 18;
export const FOLL_PIN = 1 << 19;
export const FOLL_FAST_ONLY = 1 << 20;
export const FOLL_UNLOCKABLE = 1 << 21;
export const FOLL_MADV_POPULATE = 1 << 22;
// --- flags of older releases only (model bits chosen from unused positions) ---
export const FOLL_POPULATE = 1 << 13;
export const FOLL_SPLIT = 1 << 14;
export const FOLL_NUMA = 1 << 15;
export const FOLL_MIGRATION = 1 << 23;
export const FOLL_MLOCK = 1 << 24;
export const FOLL_COW = 1 << 25;

export type FollName =
  | 'FOLL_WRITE' | 'FOLL_TOUCH' | 'FOLL_GET' | 'FOLL_DUMP' | 'FOLL_FORCE' | 'FOLL_NOWAIT'
  | 'FOLL_POPULATE' | 'FOLL_SPLIT' | 'FOLL_NOFAULT' | 'FOLL_HWPOISON' | 'FOLL_NUMA'
  | 'FOLL_MIGRATION' | 'FOLL_TRIED' | 'FOLL_MLOCK' | 'FOLL_REMOTE' | 'FOLL_COW' | 'FOLL_ANON'
  | 'FOLL_LONGTERM' | 'FOLL_SPLIT_PMD' | 'FOLL_PIN' | 'FOLL_FAST_ONLY' | 'FOLL_PCI_P2PDMA'
  | 'FOLL_INTERRUPTIBLE' | 'FOLL_HONOR_NUMA_FAULT' | 'FOLL_UNLOCKABLE' | 'FOLL_MADV_POPULATE';

/** Model bit of each flag. */
export const FOLL_BITS: Readonly<Record<FollName, number>> = {
  FOLL_WRITE, FOLL_TOUCH, FOLL_GET, FOLL_DUMP, FOLL_FORCE, FOLL_NOWAIT, FOLL_POPULATE, FOLL_SPLIT,
  FOLL_NOFAULT, FOLL_HWPOISON, FOLL_NUMA, FOLL_MIGRATION, FOLL_TRIED, FOLL_MLOCK, FOLL_REMOTE,
  FOLL_COW, FOLL_ANON, FOLL_LONGTERM, FOLL_SPLIT_PMD, FOLL_PIN, FOLL_FAST_ONLY, FOLL_PCI_P2PDMA,
  FOLL_INTERRUPTIBLE, FOLL_HONOR_NUMA_FAULT, FOLL_UNLOCKABLE, FOLL_MADV_POPULATE,
};

/** The release tags the model has FOLL_* tables for. */
export type FollRelease = 'v5.4' | 'v5.5' | 'v5.6' | 'v5.7' | 'v5.8' | 'v5.9' | 'v5.10' | 'v5.11' | 'v5.12' | 'v5.15' | 'v6.1' | 'v6.2' | 'v6.5' | 'v6.6' | 'v6.12' | 'v6.18';

/**
 * The raw value of each flag per release (absent = the release does not define it).
 * 5.4.1 and 5.5-rc5: include/linux/mm.h; 5.6.4 adds FOLL_PIN 0x40000; Debian 6.1.192
 * drops FOLL_POPULATE, FOLL_SPLIT, FOLL_NUMA, FOLL_MLOCK, FOLL_COW and has FOLL_NOFAULT
 * 0x80 and FOLL_FAST_ONLY 0x80000; 6.12: the enum values (public 1<<0..1<<12, internal
 * 1<<16..1<<22).
 */
const V54: Partial<Record<FollName, number>> = {
  FOLL_WRITE: 0x01, FOLL_TOUCH: 0x02, FOLL_GET: 0x04, FOLL_DUMP: 0x08, FOLL_FORCE: 0x10,
  FOLL_NOWAIT: 0x20, FOLL_POPULATE: 0x40, FOLL_SPLIT: 0x80, FOLL_HWPOISON: 0x100, FOLL_NUMA: 0x200,
  FOLL_MIGRATION: 0x400, FOLL_TRIED: 0x800, FOLL_MLOCK: 0x1000, FOLL_REMOTE: 0x2000, FOLL_COW: 0x4000,
  FOLL_ANON: 0x8000, FOLL_LONGTERM: 0x10000, FOLL_SPLIT_PMD: 0x20000,
};
const V56: Partial<Record<FollName, number>> = { ...V54, FOLL_PIN: 0x40000 };
/** 5.8.1 to 5.12.9 (include/linux/mm.h): 5.6 plus FOLL_FAST_ONLY 0x80000 (5.7.14 is still the 5.6 set). */
const V58: Partial<Record<FollName, number>> = { ...V56, FOLL_FAST_ONLY: 0x80000 };
/** 5.15.24: FOLL_SPLIT (0x80) is gone, the rest as 5.8. */
const V515: Partial<Record<FollName, number>> = Object.fromEntries(Object.entries(V58).filter(([n]) => n !== 'FOLL_SPLIT'));
const V61: Partial<Record<FollName, number>> = {
  FOLL_WRITE: 0x01, FOLL_TOUCH: 0x02, FOLL_GET: 0x04, FOLL_DUMP: 0x08, FOLL_FORCE: 0x10,
  FOLL_NOWAIT: 0x20, FOLL_NOFAULT: 0x80, FOLL_HWPOISON: 0x100, FOLL_MIGRATION: 0x400,
  FOLL_TRIED: 0x800, FOLL_REMOTE: 0x2000, FOLL_ANON: 0x8000, FOLL_LONGTERM: 0x10000,
  FOLL_SPLIT_PMD: 0x20000, FOLL_PIN: 0x40000, FOLL_FAST_ONLY: 0x80000,
};
/**
 * 6.2.12 include/linux/mm.h: the 6.1 values without FOLL_MIGRATION (0x400), plus
 * FOLL_PCI_P2PDMA 0x100000 and FOLL_INTERRUPTIBLE 0x200000.
 */
const V62: Partial<Record<FollName, number>> = {
  FOLL_WRITE: 0x01, FOLL_TOUCH: 0x02, FOLL_GET: 0x04, FOLL_DUMP: 0x08, FOLL_FORCE: 0x10,
  FOLL_NOWAIT: 0x20, FOLL_NOFAULT: 0x80, FOLL_HWPOISON: 0x100, FOLL_TRIED: 0x800,
  FOLL_REMOTE: 0x2000, FOLL_ANON: 0x8000, FOLL_LONGTERM: 0x10000, FOLL_SPLIT_PMD: 0x20000,
  FOLL_PIN: 0x40000, FOLL_FAST_ONLY: 0x80000, FOLL_PCI_P2PDMA: 0x100000, FOLL_INTERRUPTIBLE: 0x200000,
};
/** 6.5.0 and 6.6.9 (include/linux/mm_types.h enum, mm/internal.h): the 6.12 values, without FOLL_MADV_POPULATE. */
const V65: Partial<Record<FollName, number>> = {
  FOLL_WRITE, FOLL_GET, FOLL_DUMP, FOLL_FORCE, FOLL_NOWAIT, FOLL_NOFAULT, FOLL_HWPOISON, FOLL_ANON,
  FOLL_LONGTERM, FOLL_SPLIT_PMD, FOLL_PCI_P2PDMA, FOLL_INTERRUPTIBLE, FOLL_HONOR_NUMA_FAULT,
  FOLL_TOUCH, FOLL_TRIED, FOLL_REMOTE, FOLL_PIN, FOLL_FAST_ONLY, FOLL_UNLOCKABLE,
};
const V612: Partial<Record<FollName, number>> = {
  FOLL_WRITE, FOLL_GET, FOLL_DUMP, FOLL_FORCE, FOLL_NOWAIT, FOLL_NOFAULT, FOLL_HWPOISON, FOLL_ANON,
  FOLL_LONGTERM, FOLL_SPLIT_PMD, FOLL_PCI_P2PDMA, FOLL_INTERRUPTIBLE, FOLL_HONOR_NUMA_FAULT,
  FOLL_TOUCH, FOLL_TRIED, FOLL_REMOTE, FOLL_PIN, FOLL_FAST_ONLY, FOLL_UNLOCKABLE, FOLL_MADV_POPULATE,
};

const TABLES: Readonly<Record<FollRelease, Partial<Record<FollName, number>>>> = {
  'v5.4': V54, 'v5.5': V54, 'v5.6': V56, 'v5.7': V56, 'v5.8': V58, 'v5.9': V58, 'v5.10': V58, 'v5.11': V58,
  'v5.12': V58, 'v5.15': V515, 'v6.1': V61, 'v6.2': V62, 'v6.5': V65, 'v6.6': V65, 'v6.12': V612,
  // 6.18.26: include/linux/mm_types.h and mm/internal.h define the same FOLL_* values as 6.12.
  'v6.18': V612,
};

const NAMES = Object.keys(FOLL_BITS) as FollName[];

/** The tags with a FOLL_* table. */
export const FOLL_RELEASES: readonly FollRelease[] = Object.keys(TABLES) as FollRelease[];

/** Is `release` a tag with a FOLL_* table? */
export function isFollRelease(release: string): release is FollRelease {
  return Object.prototype.hasOwnProperty.call(TABLES, release);
}

/** Does `release` define flag `name`? */
export function foll_flag_exists(release: FollRelease, name: FollName): boolean {
  return TABLES[release][name] !== undefined;
}

/** Model bits of all flags `release` defines. */
export function foll_known_mask(release: FollRelease): number {
  let m = 0;
  for (const n of NAMES) if (TABLES[release][n] !== undefined) m |= FOLL_BITS[n];
  return m;
}

/**
 * Raw value of a model flag set in `release`'s numbering. Model bits that the release
 * does not define are returned in `unknown` (model bits) rather than guessed.
 */
export function foll_release_value(release: FollRelease, flags: number): { value: number; unknown: number } {
  let value = 0;
  let unknown = 0;
  for (const n of NAMES) {
    const bit = FOLL_BITS[n];
    if (!(flags & bit)) continue;
    const v = TABLES[release][n];
    if (v === undefined) unknown |= bit;
    else value |= v;
  }
  return { value, unknown };
}

/** Model flags of a raw value in `release`'s numbering; raw bits the release does not define come back in `unknown`. */
export function foll_from_release_value(release: FollRelease, raw: number): { flags: number; unknown: number } {
  let flags = 0;
  let rest = raw >>> 0;
  for (const n of NAMES) {
    const v = TABLES[release][n];
    if (v !== undefined && (rest & v) === v) {
      flags |= FOLL_BITS[n];
      rest &= ~v;
    }
  }
  return { flags, unknown: rest };
}

/** `FOLL_WRITE|FOLL_LONGTERM` for traces and reports. */
export function foll_names(flags: number): string {
  const out: string[] = [];
  for (const n of NAMES) if (flags & FOLL_BITS[n]) out.push(n);
  return out.length === 0 ? '0' : out.join('|');
}

/**
 * 6.12 mm/internal.h INTERNAL_GUP_FLAGS: flags only GUP itself may set
 * (FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | FOLL_FAST_ONLY | FOLL_UNLOCKABLE |
 * FOLL_MADV_POPULATE).
 */
export const INTERNAL_GUP_FLAGS =
  FOLL_TOUCH | FOLL_TRIED | FOLL_REMOTE | FOLL_PIN | FOLL_FAST_ONLY | FOLL_UNLOCKABLE | FOLL_MADV_POPULATE;

/** include/linux/mm.h GUP_PIN_COUNTING_BIAS (1U << 10), from 5.7 (3faa52c03f44). */
export const GUP_PIN_COUNTING_BIAS = 1 << 10;
