// Boots the real kernels. Slow (20-40 s per kernel under TCG) and needs root with the Debian
// packages installed, so it runs only with PINLAB_CONFORMANCE_BOOT=1 (CI runs `npm run conformance`).
import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { loadCases, runKernel } from '../../../src/conformance/main.js';
import { findKernels } from '../../../src/conformance/install.js';
import { caseValues } from '../../../src/conformance/guestlog.js';
import { repoRoot } from '../../../src/conformance/host.js';

const enabled = process.env.PINLAB_CONFORMANCE_BOOT === '1';

describe.runIf(enabled)('real kernel boot', () => {
  it('sets the guest up and runs a few cases on each kernel', () => {
    const { cases } = loadCases([join(repoRoot(), 'conformance', 'cases')], /(vfio-map-rw-anon|dma-write-readonly|uring-register-memfd)\.yaml$/);
    const ts = cases.flatMap((c) => (c.translation ? [c.translation] : []));
    expect(ts.length).toBe(3);
    for (const k of findKernels()) {
      const r = runKernel(k, ts, 240, () => undefined);
      expect(r.failure).toBeNull();
      expect(r.log?.env.get('edu-bdf')?.[0]).toContain('edu-driver=vfio-pci');
      expect(r.log?.env.get('mount')?.some((m) => m.startsWith('/mnt/dax') && m.includes('dax'))).toBe(true);
      for (const t of ts) expect(caseValues(t, r.log?.cases.get(t.caseName)).status).toBe('ok');
    }
  }, 600_000);
});
