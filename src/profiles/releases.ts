/**
 * Named releases. A release is a set of registry patches plus CONFIG options: every
 * (non-hypothetical) patch whose first mainline release is at or before the release's
 * kernel, plus the patches the tree it stands for carries as stable backports, which the
 * area files under patches/ list per tag (`<area>ReleaseAdds`). Each release records the
 * patches it adds on top of its predecessor (`base`), so `pinlab profiles` shows the
 * timeline; tests/patch-reads.test.ts checks every release against the registry (order,
 * `requires`, folded changes).
 *
 * The source tree read for each release is named here, so a reader can open the
 * same files (docs/kernel-map.md lists them per model file).
 */
import type { ConfigId } from './configs.js';
import { CONFIG_IDS, IOMMUFD_CONFIGS } from './configs.js';
import type { PatchId } from './patches.js';
import { PATCHES, PATCH_IDS } from './patches.js';
import { seedReleaseAdds } from './patches/seed.js';
import { gupReleaseAdds } from './patches/gup.js';
import { mmReleaseAdds } from './patches/mm.js';
import { vfioReleaseAdds } from './patches/vfio.js';
import { ioUringReleaseAdds } from './patches/io_uring.js';
import { addrspaceReleaseAdds } from './patches/addrspace.js';
import { ioReleaseAdds } from './patches/io.js';
import { remoteReleaseAdds } from './patches/remote.js';
import { iommufdReleaseAdds } from './patches/iommufd.js';
import type { ReleaseAdds } from './patches/types.js';

const AREAS: readonly ReleaseAdds<PatchId>[] = [seedReleaseAdds, mmReleaseAdds, gupReleaseAdds, vfioReleaseAdds, ioUringReleaseAdds, addrspaceReleaseAdds, ioReleaseAdds, remoteReleaseAdds, iommufdReleaseAdds];

/** `v6.12` → [6, 12]; null for anything that is not a release tag (`-` of hypothetical patches). */
export function releaseVersion(tag: string): readonly [number, number] | null {
  const m = /^v(\d+)\.(\d+)$/.exec(tag);
  return m === null ? null : [Number(m[1]), Number(m[2])];
}

/** Order of two release tags (negative: a is earlier). */
export function compareReleases(a: string, b: string): number {
  const x = releaseVersion(a);
  const y = releaseVersion(b);
  if (x === null || y === null) throw new Error(`pinlab bug: compareReleases(${a}, ${b})`);
  return x[0] - y[0] || x[1] - y[1];
}

/** The stable backports the tree of release `tag` carries (area files list them). */
function backportsOf(tag: string): PatchId[] {
  return AREAS.flatMap((a) => a[tag] ?? []);
}

/** Patches first released after `prev` (exclusive; null = from the beginning) and at or before `tag`. */
function firstIn(prev: string | null, tag: string): PatchId[] {
  return PATCH_IDS.filter((id) => {
    const p = PATCHES[id];
    if (p.hypothetical === true) return false;
    return compareReleases(p.release, tag) <= 0 && (prev === null || compareReleases(p.release, prev) > 0);
  });
}

/** What a release adds over its base: the patches first released in between, and its backports. */
function addsOf(base: string | null, tag: string): PatchId[] {
  const inBase = base === null ? new Set<PatchId>() : releasePatches(base);
  return [...new Set([...firstIn(base, tag), ...backportsOf(tag)])].filter((p) => !inBase.has(p));
}

export interface ReleaseInfo {
  /** The tag users type: `v5.4`, `v6.12`. */
  readonly tag: string;
  /** The tree whose behaviour the release stands for. */
  readonly source: string;
  /** The release this one extends (its patches are inherited), or null. */
  readonly base: string | null;
  /** Patches added on top of `base` (first released in between, or backported). */
  readonly adds: readonly PatchId[];
  /** The part of `adds` that are stable backports (first mainline release later than the kernel). */
  readonly backports: readonly PatchId[];
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

/** A kernel built with iommufd serving the VFIO container (IOMMUFD_VFIO_CONTAINER needs !VFIO_CONTAINER: no type1). */
const IOMMUFD_ALL: readonly ConfigId[] = [...ALL_CONFIGS.filter((c) => c !== 'CONFIG_VFIO_IOMMU_TYPE1'), ...IOMMUFD_CONFIGS];

/** The same before the VFIO device cdev (6.2 to 6.5: no CONFIG_VFIO_DEVICE_CDEV). */
const IOMMUFD_NO_CDEV: readonly ConfigId[] = IOMMUFD_ALL.filter((c) => c !== 'CONFIG_VFIO_DEVICE_CDEV');

type ReleaseSpec = Omit<ReleaseInfo, 'adds' | 'backports'>;

const specs: readonly ReleaseSpec[] = [
  {
    tag: 'v5.4',
    source: 'Linux 5.4.1 (lightcheen/linux-5.4.0 @ 144e8e60c6b5)',
    base: null,
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.5',
    source: 'Linux 5.5-rc5 (grandleaf/Linux5.5-rc5 @ a81f22f5d65d); the seed patch pair is not in 5.5',
    base: 'v5.4',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.6',
    source: 'Linux 5.6.4 (shmily1012/linux-5.6.4 @ 93830a5cf2aa)',
    base: 'v5.5',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.7',
    source: 'Linux 5.7.14 (a5221985/linux-5.7.14 @ 5d0b54d93391; with the 5.7.3 stable backport of 17839856fd58)',
    base: 'v5.6',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.8',
    source: 'Linux 5.8.1 (semwett0301/linux-5.8.1 @ a28e14cfa5cc)',
    base: 'v5.7',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.9',
    source: 'Linux 5.9.1 (ach84/linux-5.9.1 @ 1722444408da)',
    base: 'v5.8',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.10',
    source: 'Linux 5.10.7 (ejga2001/linux-5.10.7 @ 3791f9c55148; with the 5.10.4 stable backports of c28b1fc70390 and 57efa1fe5957)',
    base: 'v5.9',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.11',
    source: 'Linux 5.11.14 (fridayhub/linux-5.11.14 @ c04aa994c73d)',
    base: 'v5.10',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.12',
    source: 'Linux 5.12.9 (zhangyinjun/linux-5.12.9 @ 38c16b0cce67)',
    base: 'v5.11',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v5.15',
    source: 'Linux 5.15.24 (yhuan416/linux-5.15.24 @ 0ea83df25009); no 5.13 tree was found (a 5.14-rc5 one, lsk-legends/linux-5.14, only narrows the io_uring folds of io-uring-rsrc-buffers), so nothing stands between v5.12 and v5.15',
    base: 'v5.12',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v6.1',
    source: 'Debian 6.1.192-2 (linux-source-6.1, with its stable backports)',
    base: 'v5.15',
    configs: ALL_CONFIGS,
    judge: 'Debian linux-image-amd64 6.1.192',
  },
  {
    tag: 'v6.2',
    source: 'Linux 6.2.12 (xmphoenix/linux-6.2.12-slow-motion @ d86fed0db598, under linux-6.2.12/; mm/gup.c identical in 6.2.1, daniellucs2002/linux-6.2.1-customized @ 9a50c8f9bea1)',
    base: 'v6.1',
    // Debian 6.1.192's stable backports that 6.2.12 lacks (read there: no zero-page test in try_grab_page(), no
    // pfn_valid() in vfio_iommu_type1_pin_pages(), madvise_remove() still asks for VM_SHARED|VM_WRITE,
    // madvise_free_pte_range() still tests folio_mapcount()).
    drops: ['gup-zero-page-no-pin', 'vfio-pin-pages-pfn-valid', 'vma-shared-maywrite', 'madvise-free-estimated-sharers'],
    configs: ALL_CONFIGS,
  },
  {
    // 6.2 is the release that introduced iommufd: the same tree with CONFIG_IOMMUFD=y and
    // IOMMUFD_VFIO_CONTAINER=y (which needs !VFIO_CONTAINER, so no type1); there is no VFIO_DEVICE_CDEV yet.
    tag: 'v6.2+iommufd',
    source: 'Linux 6.2.12 (as v6.2; drivers/iommu/iommufd/, drivers/vfio/ read) with CONFIG_IOMMUFD=y, CONFIG_IOMMUFD_VFIO_CONTAINER=y',
    base: 'v6.2',
    configs: IOMMUFD_NO_CDEV,
    kernel: 'v6.2',
  },
  {
    tag: 'v6.5',
    source: 'Linux 6.5.0 (sndrzt/linux-6.5 @ 4f5cdb332106; mm/, include/, io_uring/ read)',
    base: 'v6.1',
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v6.5+iommufd',
    source: 'Linux 6.5.3 (Ubuntu tree christian-bendiksen/ubuntu-linux-6.5.3 @ 679cd7267: drivers/iommu/iommufd/, drivers/vfio/ read; the v6.5 tree has no iommufd sources) with CONFIG_IOMMUFD=y, CONFIG_IOMMUFD_VFIO_CONTAINER=y',
    base: 'v6.5',
    configs: IOMMUFD_NO_CDEV,
    kernel: 'v6.5',
  },
  {
    tag: 'v6.6',
    source: 'Linux 6.6.9 (mihaelbh/adding-new-sched-policy-to-linux-6.6.9 @ ccba795df; mm/, include/, io_uring/ read)',
    base: 'v6.5',
    configs: ALL_CONFIGS,
  },
  {
    // The first release with the VFIO device cdev (CONFIG_VFIO_DEVICE_CDEV).
    tag: 'v6.6+iommufd',
    source: 'Linux 6.6.9 (as v6.6; drivers/iommu/iommufd/, drivers/vfio/ read) with CONFIG_IOMMUFD=y, CONFIG_IOMMUFD_VFIO_CONTAINER=y, CONFIG_VFIO_DEVICE_CDEV=y',
    base: 'v6.6',
    configs: IOMMUFD_ALL,
    kernel: 'v6.6',
  },
  {
    tag: 'v6.12',
    source: 'Debian 6.12.117 (linux-source-6.12 from bookworm-security)',
    base: 'v6.6',
    configs: ALL_CONFIGS,
    judge: 'Debian linux-image-6.12 (bookworm-security)',
  },
  {
    // Debian builds 6.12 without iommufd: this is the same source with CONFIG_IOMMUFD=y,
    // IOMMUFD_VFIO_CONTAINER=y (which needs !VFIO_CONTAINER, so no type1), VFIO_DEVICE_CDEV=y.
    tag: 'v6.12+iommufd',
    source: 'Debian linux-source-6.12 (6.12.118) built with CONFIG_IOMMUFD=y, CONFIG_IOMMUFD_VFIO_CONTAINER=y, CONFIG_VFIO_DEVICE_CDEV=y',
    base: 'v6.12',
    configs: IOMMUFD_ALL,
    judge: 'linux-source-6.12 built by the conformance harness (src/conformance/kernel-build.ts)',
    kernel: 'v6.12',
  },
  {
    // The newest tree readable here. Vendor commits on top of the snapshot touch Rockchip media/NPU drivers only
    // (none of mm/, drivers/vfio/, io_uring/, fs/dax.c, include/linux/mm*.h).
    tag: 'v6.18',
    source: 'Linux 6.18.26 (nickfox-taterli/nanopi-r5c-linux-6.18.26 @ 85a779324, "clean snapshot"; mm/, drivers/vfio/, io_uring/, fs/dax.c, include/ read)',
    base: 'v6.12',
    // Debian 6.12's stable backport of the unmap/allocation race fix (v7.1) is not in 6.18.26 (read).
    drops: ['iommufd-unmap-advance-start'],
    configs: ALL_CONFIGS,
  },
  {
    tag: 'v6.18+iommufd',
    source: 'Linux 6.18.26 (as v6.18; drivers/iommu/iommufd/, drivers/vfio/ read) with CONFIG_IOMMUFD=y, CONFIG_IOMMUFD_VFIO_CONTAINER=y, CONFIG_VFIO_DEVICE_CDEV=y',
    base: 'v6.18',
    configs: IOMMUFD_ALL,
    kernel: 'v6.18',
  },
];

/** Filled in release order, so each release's base is resolved before it. */
const releaseMap = new Map<string, ReleaseInfo>();
for (const r of specs) {
  const kernel = r.kernel ?? r.tag;
  const adds = r.kernel !== undefined ? [] : addsOf(r.base, kernel);
  releaseMap.set(r.tag, { ...r, adds, backports: adds.filter((p) => compareReleases(PATCHES[p].release, kernel) > 0) });
}
const releaseList: readonly ReleaseInfo[] = [...releaseMap.values()];

export const RELEASES: ReadonlyMap<string, ReleaseInfo> = releaseMap;

export const RELEASE_TAGS: readonly string[] = releaseList.map((r) => r.tag);

/** The patches of a release, resolved through its bases (in registry order is not guaranteed). */
export function releasePatches(tag: string): Set<PatchId> {
  const r = releaseMap.get(tag);
  if (r === undefined) throw new Error(`pinlab bug: releasePatches(${tag}) on an unknown release`);
  const set = r.base === null ? new Set<PatchId>() : releasePatches(r.base);
  for (const p of r.drops ?? []) set.delete(p);
  for (const p of r.adds) set.add(p);
  return set;
}
