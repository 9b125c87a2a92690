/** Registry entries for mm/ outside gup.c: faults, COW and fork, migration, page allocation scopes, fs-DAX. */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const mmPatches = {} as const satisfies Record<string, PatchInfo>;

export const mmReleaseAdds: ReleaseAdds<keyof typeof mmPatches> = {};
