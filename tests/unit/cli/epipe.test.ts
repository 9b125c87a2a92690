import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..', '..');
const bin = join(root, 'bin', 'pinlab.js');

describe('bin/pinlab.js', () => {
  it('exits quietly when the reader of its output goes away (pinlab ... | head)', async () => {
    // bin/pinlab.js runs the compiled CLI (dist/, built by `npm install` / `npm run build`).
    expect(existsSync(join(root, 'dist', 'cli', 'main.js')), 'dist/ is built').toBe(true);
    const child = spawn(process.execPath, [bin, 'patches'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    // Close the read end at once, before the command has written anything (it needs
    // ~100 ms to start), so every write it makes meets a closed pipe, as after `head` exits.
    child.stdout.destroy();
    const code = await new Promise<number | null>((resolve) => child.on('close', (c) => resolve(c)));
    expect(stderr).not.toMatch(/EPIPE|Error/);
    expect(code).toBe(0);
  });
});
