/** Registry entries for io_uring fixed buffers (IORING_REGISTER_BUFFERS). */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const ioUringPatches = {} as const satisfies Record<string, PatchInfo>;

export const ioUringReleaseAdds: ReleaseAdds<keyof typeof ioUringPatches> = {};
