/** The pinlab version (`pinlab --version`): the `version` of package.json, two folders up from src/cli or dist/cli. */
import { readFileSync } from 'node:fs';

function readVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: unknown };
  if (typeof pkg.version !== 'string') throw new Error('pinlab bug: package.json has no version');
  return pkg.version;
}

export const PINLAB_VERSION: string = readVersion();
