/**
 * Named releases. A release is a set of registry patches plus CONFIG options,
 * built incrementally from its predecessor: it adds the patches the model encodes
 * that first appear in it (or were backported into the distribution kernel it
 * stands for), as listed by the area files under patches/ (`<area>ReleaseAdds`).
 * A patch whose release is later than v5.6 but earlier than 6.1 is added in v6.1.
 *
 * The source tree read for each release is named here, so a reader can open the
 * same files (docs/kernel-map.md lists them per model file).
 */
import type { ConfigId } from './configs.js';
import { CONFIG_IDS, IOMMUFD_CONFIGS } from './configs.js';
import type { PatchId } from './patches.js';
import { seedReleaseAdds } from './patches/seed.js';
import { gupReleaseAdds } from './patches/gup.js';
import { mmReleaseAdds } from './patches/mm.js';
import { vfioReleaseAdds } from './patches/vfio.js';
import { ioUringReleaseAdds } from './patches/io_uring.js';
import { addrspaceReleaseAdds } from './patches/addrspace.js';
import type { ReleaseAdds } from './patches/types.js';

type Tag = keyof ReleaseAdds<string>;
const AREAS: readonly ReleaseAdds<PatchId>[] = [seedReleaseAdds, mmReleaseAdds, gupReleaseAdds, vfioReleaseAdds, ioUringReleaseAdds, addrspaceReleaseAdds];

/** The patches every area adds in release `tag` (area files under patches/ list them). */
function addsOf(tag: Tag): PatchId[] {
  return AREAS.flatMap((a) => a[tag] ?? []);
}

export interface ReleaseInfo {
  /** The tag users type: `v5.4`, `v6.12`. */
  readonly tag: string;
  /** The tree whose behaviour the release stands for. */
  readonly source: string;
  /** The release this one extends (its patches are inherited), or null. */
  readonly base: string | null;
  /** Patches added on top of `base`. */
  readonly adds: readonly PatchId[];
  /** Patches of `base` this release does not have (rare: reverts). */
  readonly drops?: readonly PatchId[];
  readonly configs: readonly ConfigId[];
  /** A real kernel exists to judge this release (differential conformance). */
  readonly judge?: string;
  /**
   * The release whose source this one is, built with another configuration (the tag is
   * `<kernel>+<config name>`); profile.release is the kernel's tag.
   */
  readonly kernel?: string;
}

/** Every option the model knows is enabled in the Debian-like configurations modelled, except iommufd's. */
const ALL_CONFIGS = CONFIG_IDS.filter((c) => !IOMMUFD_CONFIGS.includes(c));

const releaseList: readonly ReleaseInfo[] = [
  {
    tag: 'v5.4',
    source: 'Linux 5.4.1 (lightcheen/linux-5.4.0 @ 144e8e60c6b5)',
    base: null,
    adds: addsOf('v5.4'),
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.5',
    source: 'Linux 5.5-rc5 (grandleaf/Linux5.5-rc5 @ a81f22f5d65d); the seed patch pair is not in 5.5',
    base: 'v5.4',
    adds: addsOf('v5.5'),
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.6',
    source: 'Linux 5.6.4 (shmily1012/linux-5.6.4 @ 93830a5cf2aa)',
    base: 'v5.5',
    adds: addsOf('v5.6'),
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v6.1',
    source: 'Debian 6.1.192-2 (linux-source-6.1, with its stable backports)',
    base: 'v5.6',
    adds: addsOf('v6.1'),
    configs: ALL_CONFIGS,
    judge: 'Debian linux-image-amd64 6.1.192',
  },
  {
    tag: 'v6.12',
    source: 'Debian 6.12.117 (linux-source-6.12 from bookworm-security)',
    base: 'v6.1',
    adds: addsOf('v6.12'),
    configs: ALL_CONFIGS,
    judge: 'Debian linux-image-6.12 (bookworm-security)',
  },
  {
    // Debian builds 6.12 without iommufd: this is the same source with CONFIG_IOMMUFD=y,
    // IOMMUFD_VFIO_CONTAINER=y (which needs !VFIO_CONTAINER, so no type1), VFIO_DEVICE_CDEV=y.
    tag: 'v6.12+iommufd',
    source: 'Debian linux-source-6.12 (6.12.118) built with CONFIG_IOMMUFD=y, CONFIG_IOMMUFD_VFIO_CONTAINER=y, CONFIG_VFIO_DEVICE_CDEV=y',
    base: 'v6.12',
    adds: [],
    configs: [...ALL_CONFIGS.filter((c) => c !== 'CONFIG_VFIO_IOMMU_TYPE1'), ...IOMMUFD_CONFIGS],
    judge: 'linux-source-6.12 built by the conformance harness (src/conformance/kernel-build.ts)',
    kernel: 'v6.12',
  },
];

export const RELEASES: ReadonlyMap<string, ReleaseInfo> = new Map(releaseList.map((r) => [r.tag, r]));

export const RELEASE_TAGS: readonly string[] = releaseList.map((r) => r.tag);

/** The patches of a release, resolved through its bases (in registry order is not guaranteed). */
export function releasePatches(tag: string): Set<PatchId> {
  const r = RELEASES.get(tag);
  if (r === undefined) throw new Error(`pinlab bug: releasePatches(${tag}) on an unknown release`);
  const set = r.base === null ? new Set<PatchId>() : releasePatches(r.base);
  for (const p of r.drops ?? []) set.delete(p);
  for (const p of r.adds) set.add(p);
  return set;
}
