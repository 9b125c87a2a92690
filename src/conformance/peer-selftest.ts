// The peer suite: the kernel's own iommufd selftest (tools/testing/selftests/iommu/iommufd.c
// of Debian's linux-source-6.12, the tree the iommufd judge kernel is built from), compiled
// static against that tree's uapi headers, cached beside the built kernel, added to the iommufd
// guest's initramfs and run there under the kselftest harness (TAP). Its results are read back
// (peer-tap.ts) and set beside pinlab's answers where a pinlab scenario covers the same
// behaviour (peer-map.ts, conformance/peer/iommufd-selftest.map.yaml).
//
// iommufd_fail_nth.c is not run: it drives fault injection through debugfs
// (/sys/kernel/debug/failslab, fail_page_alloc), which needs CONFIG_FAILSLAB,
// CONFIG_FAULT_INJECTION_DEBUG_FS and CONFIG_DEBUG_FS; the judge kernel's configuration
// (kernel-build.ts CONFIG_FRAGMENT on tinyconfig) has none of them, and changing it rebuilds
// the kernel (hours on a loaded 2-core machine).
import { createHash } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { HarnessError, repoRoot, runOk, workDir } from './host.js';
import { buildBaseInitramfs, buildRunInitramfs } from './initramfs.js';
import type { KernelImage } from './install.js';
import { unpack, type BuiltKernel } from './kernel-build.js';
import { boot, reachedDriver } from './qemu.js';

/** The selftest programs the peer suite runs (iommufd_fail_nth: see the header). */
export const PEER_PROGRAMS = ['iommufd'] as const;
export type PeerProgram = (typeof PEER_PROGRAMS)[number];

/** The selftest's directory in the kernel tree. */
export const SELFTEST_SUBDIR = 'tools/testing/selftests/iommu';

/**
 * How the selftest is compiled: the flags of its Makefile and tools/testing/selftests/lib.mk
 * (-Wall -O2 -Wno-unused-function -D_GNU_SOURCE=, the installed uapi headers first), static
 * like the guest driver, plus the compatibility shim (conformance/peer/iommufd-compat.h).
 */
export const SELFTEST_CFLAGS = ['-static', '-Wall', '-O2', '-Wno-unused-function', '-D_GNU_SOURCE='] as const;

/**
 * The fixtures CI runs (`--peer-selftest --ci`): the ones about IOAS map/unmap/copy, IOVA
 * ranges, access pins and the VFIO compat container, i.e. what pinlab models; the dirty
 * tracking and mock-domain page-size sweeps are left to the on-demand full run.
 */
export const CI_FIXTURES = ['iommufd', 'iommufd_ioas', 'vfio_compat_mock_domain'] as const;

export function compatHeader(): string {
  return join(repoRoot(), 'conformance', 'peer', 'iommufd-compat.h');
}

export interface BuiltSelftest {
  /** directory holding the static binaries */
  readonly dir: string;
  readonly programs: Record<PeerProgram, string>;
  /** seconds the build took (headers_install + compile), null when cached */
  readonly seconds: number | null;
}

/** The cache key of the selftest build: the kernel's key + shim + flags. */
export function selftestKey(kernelKey: string): string {
  const h = createHash('sha256').update(`${kernelKey}\n${SELFTEST_CFLAGS.join(' ')}\n${readFileSync(compatHeader(), 'utf8')}`).digest('hex').slice(0, 12);
  return `selftest-${h}`;
}

/**
 * Build (or find cached) the static selftest binaries beside the built kernel's image:
 * `make headers_install` of the same tree (out of tree), then gcc -static in the selftest's
 * directory (it includes ../kselftest_harness.h and drivers/iommu/iommufd/iommufd_test.h by
 * relative paths).
 */
export function ensureSelftest(k: BuiltKernel, log: (s: string) => void): BuiltSelftest {
  const dir = join(dirname(k.bzImage), selftestKey(k.key));
  const programs = Object.fromEntries(PEER_PROGRAMS.map((p) => [p, join(dir, p)])) as Record<PeerProgram, string>;
  if (PEER_PROGRAMS.every((p) => existsSync(programs[p]))) return { dir, programs, seconds: null };
  const t0 = process.hrtime.bigint();
  const tree = unpack(k.sourceVersion, log);
  const hdrObj = join(dir, 'hdr-build');
  const hdr = join(dir, 'usr');
  mkdirSync(hdrObj, { recursive: true });
  log(`peer suite: make headers_install of ${k.sourcePackage} ${k.sourceVersion} ...`);
  runOk('nice', ['-n', '19', 'make', '-s', '-C', tree, `O=${hdrObj}`, 'headers_install', `INSTALL_HDR_PATH=${hdr}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  const src = join(tree, SELFTEST_SUBDIR);
  for (const p of PEER_PROGRAMS) {
    log(`peer suite: compiling ${SELFTEST_SUBDIR}/${p}.c (static) ...`);
    runOk('gcc', [...SELFTEST_CFLAGS, '-isystem', join(hdr, 'include'), '-include', compatHeader(), '-o', programs[p], `${p}.c`, '-lpthread'], { cwd: src });
  }
  rmSync(hdrObj, { recursive: true, force: true });
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  log(`peer suite: built in ${seconds.toFixed(0)} s (${dir})`);
  return { dir, programs, seconds };
}

/** 2 MiB huge pages reserved before the selftest runs (init.sh reserves 16 for the pinlab cases). */
export const PEER_HUGEPAGES = 160;

/** The guest script: run each program under busybox timeout, every output line prefixed `@@P `. */
export function runScript(args: readonly string[], timeoutSec: number): string {
  const quoted = args.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ');
  return [
    '#!/bin/sh',
    '# pinlab peer suite (generated by src/conformance/peer-selftest.ts): the kernel\'s iommufd',
    '# selftest, its TAP output prefixed with @@P on the console.',
    'cd /peer',
    // the dirty-tracking fixture's *_huge variants map up to 128 MiB of MAP_HUGETLB memory
    `echo ${PEER_HUGEPAGES} > /proc/sys/vm/nr_hugepages`,
    'echo "@@P hugepages $(cat /proc/sys/vm/nr_hugepages)"',
    ...PEER_PROGRAMS.flatMap((p) => [
      `echo "@@P begin ${p}"`,
      `t0=$(date +%s)`,
      // rc of the program, not of the loop: written to a file by a subshell
      `( timeout -s KILL ${timeoutSec} ./${p} ${quoted} 2>&1; echo $? > /tmp/peer-rc ) | while IFS= read -r l; do echo "@@P $l"; done`,
      `echo "@@P seconds ${p} $(( $(date +%s) - t0 ))"`,
      `echo "@@P end ${p} rc=$(cat /tmp/peer-rc 2>/dev/null || echo 255)"`,
    ]),
    '',
  ].join('\n');
}

export interface PeerRun {
  readonly log: string;
  readonly logPath: string;
  /** wall-clock seconds of the QEMU run (boot, set-up, selftest, power-off) */
  readonly seconds: number;
  readonly failure: string | null;
}

/**
 * Boot the iommufd kernel with the selftest in its initramfs and no pinlab cases. By default
 * without the emulated Intel IOMMU: with it, 6.12 hands the selftest's mock devices to the
 * Intel driver (__iommu_probe_device: one driver is assumed to serve every device without a
 * fwspec), which does not take them, so IOMMU_TEST_OP_MOCK_DOMAIN fails with -EINVAL
 * (iommufd_device_bind: no IOMMU_CAP_CACHE_COHERENCY) and every mock-domain test with it.
 */
export function runPeerGuest(
  k: KernelImage, st: BuiltSelftest, args: readonly string[], timeoutSec: number, say: (s: string) => void, intelIommu = false,
): PeerRun {
  const dir = join(workDir(), `${k.release}-peer`);
  mkdirSync(dir, { recursive: true });
  const base = buildBaseInitramfs(k);
  const stage = join(dir, 'peer');
  rmSync(stage, { recursive: true, force: true });
  mkdirSync(stage, { recursive: true });
  for (const p of PEER_PROGRAMS) {
    copyFileSync(st.programs[p], join(stage, p));
    chmodSync(join(stage, p), 0o755);
  }
  // the harness kills a test after its own 30 s; the program as a whole gets what is left of the run
  writeFileSync(join(stage, 'run.sh'), runScript(args, Math.max(60, timeoutSec - 60)));
  chmodSync(join(stage, 'run.sh'), 0o755);
  const rd = buildRunInitramfs(base, '', join(dir, 'run.cpio'), stage);
  say(`booting ${k.release} with the peer suite (${PEER_PROGRAMS.join(', ')}${args.length > 0 ? ` ${args.join(' ')}` : ''}) ...`);
  const r = boot({ vmlinuz: k.vmlinuz, initrd: rd, dir, timeoutSec, iommu: intelIommu });
  say(`  ${k.release} peer suite: ${r.seconds.toFixed(1)} s${r.timedOut ? ' (TIMED OUT)' : ''}`);
  let failure: string | null = null;
  if (!reachedDriver(r.log)) failure = `the guest did not reach its driver (${/Kernel panic[^\n]*/.exec(r.log)?.[0] ?? 'no driver output'})`;
  else if (r.timedOut) failure = `QEMU run exceeded ${timeoutSec} s`;
  if (!existsSync(join(dir, 'console.log'))) throw new HarnessError('no console log');
  return { log: r.log, logPath: join(dir, 'console.log'), seconds: r.seconds, failure };
}
