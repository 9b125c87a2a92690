export type { PatchEffect, PatchId, PatchInfo } from './patches.js';
export { PATCHES, PATCH_IDS, isPatchId } from './patches.js';
export type { ConfigId } from './configs.js';
export { CONFIGS, CONFIG_IDS, isConfigId } from './configs.js';
export type { ReleaseInfo } from './releases.js';
export { RELEASES, RELEASE_TAGS, releasePatches } from './releases.js';
export type { Profile, ProfileError, ProfileErrorCode, ProfileResult } from './profile.js';
export { profileOrThrow, resolveProfile } from './profile.js';
