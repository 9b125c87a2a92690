/**
 * The patch registry: one entry per upstream change whose behaviour the model
 * encodes, keyed by a kebab-case description of the change (never a version).
 *
 * Code reads a patch only at the line the upstream diff changed, tagged
 * `PATCH(<id>)`; `docs/patches.md` is generated from this table (npm run docs).
 * Commit ids are the upstream ids (12 hex digits) as they appear in Fixes: tags,
 * stable dependency lists or the trees read (docs/kernel-map.md).
 *
 * A hypothetical entry is a model-only ablation that exists to show why a rule
 * exists; it has no commit id, is never part of a release, and a profile that uses
 * it is marked hypothetical in every report.
 */

import type { PatchInfo } from './patches/types.js';
import { seedPatches } from './patches/seed.js';
import { gupPatches } from './patches/gup.js';
import { mmPatches } from './patches/mm.js';
import { vfioPatches } from './patches/vfio.js';
import { ioUringPatches } from './patches/io_uring.js';
import { addrspacePatches } from './patches/addrspace.js';
import { ioPatches } from './patches/io.js';
import { remotePatches } from './patches/remote.js';
import { iommufdPatches } from './patches/iommufd.js';

export type { PatchEffect, PatchInfo } from './patches/types.js';

/**
 * The registry is split by area (one file each under patches/, so work on GUP and
 * on VFIO does not collide); here the areas are merged. Ids must be unique across
 * areas (tests/unit/profiles checks it).
 */
const registry = { ...seedPatches, ...mmPatches, ...gupPatches, ...vfioPatches, ...ioUringPatches, ...addrspacePatches, ...ioPatches, ...remotePatches, ...iommufdPatches };

export type PatchId = keyof typeof registry;

/** The registry, typed: `PATCHES['gup-remote-longterm']`. */
export const PATCHES: Readonly<Record<PatchId, PatchInfo<PatchId>>> = registry as Record<PatchId, PatchInfo<PatchId>>;

export const PATCH_IDS: readonly PatchId[] = Object.keys(registry) as PatchId[];

export function isPatchId(s: string): s is PatchId {
  return Object.prototype.hasOwnProperty.call(registry, s);
}
