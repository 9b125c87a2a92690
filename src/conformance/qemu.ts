// Step 2b: boot one kernel under QEMU TCG with the machine docs/conformance.md describes —
// q35 with NVDIMMs, an emulated Intel IOMMU placed before the PCI devices, the edu device —
// bounded by `timeout`; the serial console log is the result.
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, run, which } from './host.js';

export interface BootOptions {
  vmlinuz: string;
  initrd: string;
  /** directory for the NVDIMM backing files and the log */
  dir: string;
  /** hard bound for the whole run, seconds */
  timeoutSec: number;
  movablecore?: string;
  /**
   * false: no emulated Intel IOMMU (no `-device intel-iommu`, `intel_iommu=off`). The peer suite
   * boots so: the kernel's iommufd selftest needs its mock IOMMU to be the only IOMMU driver, as
   * 6.12's __iommu_probe_device() assumes one driver claims every device without a fwspec.
   */
  iommu?: boolean;
}

export const NVDIMM_SIZE = '256M';

/** The guest kernel command line. */
export function kernelCmdline(movablecore = '768M', iommu = true): string {
  // no_timer_check: under TCG on a loaded host the boot-time check that the timer interrupt
  // arrives through the interrupt-remapped IO-APIC can time out and panic the kernel
  // ("timer doesn't work through Interrupt-remapped IO-APIC"); it has nothing to do with
  // pinning, so skip it. panic=-1 + -no-reboot: a panic ends the run at once.
  return `console=ttyS0 intel_iommu=${iommu ? 'on' : 'off'} movablecore=${movablecore} loglevel=2 panic=-1 no_timer_check transparent_hugepage=always`;
}

/** The guest reached its test driver (as opposed to failing to boot). */
export function reachedDriver(log: string): boolean {
  return log.includes('@@E driver-start');
}

/** QEMU arguments, exactly the machine docs/conformance.md describes. */
export function qemuArgs(o: BootOptions, log: string): string[] {
  const nv = (i: number): string[] => [
    '-object', `memory-backend-file,id=nvm${i},share=on,mem-path=${join(o.dir, `nvdimm${i}.img`)},size=${NVDIMM_SIZE}`,
    '-device', `nvdimm,memdev=nvm${i},id=nv${i}`,
  ];
  return [
    '-machine', 'q35,nvdimm=on', '-accel', 'tcg', '-cpu', 'max', '-smp', '2', '-m', '2G,slots=4,maxmem=8G',
    ...(o.iommu === false ? [] : ['-device', 'intel-iommu,intremap=on,caching-mode=on']),
    '-device', 'edu',
    ...nv(0), ...nv(1),
    '-kernel', o.vmlinuz, '-initrd', o.initrd,
    '-append', kernelCmdline(o.movablecore, o.iommu !== false),
    '-display', 'none', '-serial', `file:${log}`, '-no-reboot', '-nodefaults', '-monitor', 'none',
  ];
}

export interface BootResult {
  log: string;
  seconds: number;
  timedOut: boolean;
  status: number | null;
  stderr: string;
}

/** Boot once; the NVDIMM images are recreated (zeroed, label-less) for every run. */
export function boot(o: BootOptions): BootResult {
  const qemu = which('qemu-system-x86_64');
  if (!qemu) throw new HarnessError('qemu-system-x86_64 not installed');
  const log = join(o.dir, 'console.log');
  rmSync(log, { force: true });
  for (const i of [0, 1]) {
    const img = join(o.dir, `nvdimm${i}.img`);
    rmSync(img, { force: true });
    run('truncate', ['-s', NVDIMM_SIZE, img]);
  }
  const t0 = process.hrtime.bigint();
  const r = run('timeout', ['--kill-after=5', String(o.timeoutSec), qemu, ...qemuArgs(o, log)]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  const text = existsSync(log) ? readFileSync(log, 'utf8') : '';
  writeFileSync(join(o.dir, 'qemu.stderr'), r.stderr);
  return { log: text, seconds, timedOut: r.status === 124 || r.status === 137, status: r.status, stderr: r.stderr };
}
