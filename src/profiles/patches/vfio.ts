/** Registry entries for drivers/vfio/: the type1 IOMMU backend and the container/group layer. */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const vfioPatches = {} as const satisfies Record<string, PatchInfo>;

export const vfioReleaseAdds: ReleaseAdds<keyof typeof vfioPatches> = {};
