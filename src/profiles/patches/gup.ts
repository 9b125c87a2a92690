/** Registry entries for mm/gup.c: GUP/PUP entry points, FOLL_* validation, FOLL_LONGTERM rules, GUP-fast. */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const gupPatches = {} as const satisfies Record<string, PatchInfo>;

export const gupReleaseAdds: ReleaseAdds<keyof typeof gupPatches> = {};
