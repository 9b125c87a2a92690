// Step 1b of the harness: build the iommufd judge. Debian's 6.12 image is built without
// CONFIG_IOMMUFD, so the harness builds a small guest kernel from Debian's own
// `linux-source-6.12` package: `make tinyconfig` plus the fragment below (everything the guest
// needs built in, no modules), `make -j2 bzImage`, cached under conformance/work/kbuild/ keyed
// by the source package version and a hash of the configuration inputs. The kernel serves
// /dev/vfio/vfio by iommufd's compat container (IOMMUFD_VFIO_CONTAINER needs !VFIO_CONTAINER,
// so it has no type1): Debian's kernels stay the type1 judges.
//
// `tsx src/conformance/kernel-build.ts` builds (or finds) it on its own and prints the path.
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { HarnessError, run, runOk, workDir } from './host.js';
import { isInstalled } from './install.js';

/** Debian's kernel source package and what building it needs. */
export const SOURCE_PACKAGE = 'linux-source-6.12';
export const BUILD_PACKAGES = [
  SOURCE_PACKAGE, 'make', 'gcc', 'libc6-dev', 'bc', 'bison', 'flex', 'libelf-dev', 'libssl-dev', 'xz-utils', 'cpio',
] as const;

/** The configuration the build starts from (`make <BASE_CONFIG>`). */
export const BASE_CONFIG = 'tinyconfig';

/**
 * What the guest needs on top of tinyconfig. Every `=y` line must survive `make olddefconfig`
 * (a dropped one means an unmet dependency: the build stops and names it).
 */
export const CONFIG_FRAGMENT = `
# machine and console
CONFIG_64BIT=y
CONFIG_SMP=y
CONFIG_X86_LOCAL_APIC=y
CONFIG_X86_IO_APIC=y
CONFIG_X86_X2APIC=y
CONFIG_ACPI=y
CONFIG_PCI=y
CONFIG_PCI_MSI=y
CONFIG_PCI_MMCONFIG=y
CONFIG_PRINTK=y
CONFIG_EARLY_PRINTK=y
CONFIG_BUG=y
CONFIG_TTY=y
CONFIG_SERIAL_8250=y
CONFIG_SERIAL_8250_CONSOLE=y
CONFIG_KERNEL_GZIP=y
# user space: busybox /init from a gzip initramfs, the static driver
CONFIG_BLK_DEV_INITRD=y
CONFIG_RD_GZIP=y
CONFIG_BINFMT_ELF=y
CONFIG_BINFMT_SCRIPT=y
CONFIG_MULTIUSER=y
CONFIG_FUTEX=y
CONFIG_POSIX_TIMERS=y
CONFIG_ADVISE_SYSCALLS=y
CONFIG_MEMFD_CREATE=y
CONFIG_EVENTFD=y
CONFIG_FILE_LOCKING=y
CONFIG_IO_URING=y
CONFIG_PROC_FS=y
CONFIG_PROC_SYSCTL=y
CONFIG_PROC_PAGE_MONITOR=y
CONFIG_SYSFS=y
CONFIG_DEVTMPFS=y
CONFIG_TMPFS=y
CONFIG_SHMEM=y
# memory: THP, hugetlb, migration (movablecore)
CONFIG_TRANSPARENT_HUGEPAGE=y
CONFIG_TRANSPARENT_HUGEPAGE_ALWAYS=y
CONFIG_HUGETLBFS=y
CONFIG_MIGRATION=y
CONFIG_COMPACTION=y
# the IOMMU, VFIO on iommufd, iommufd's own selftest hooks
CONFIG_IOMMU_SUPPORT=y
CONFIG_IRQ_REMAP=y
CONFIG_INTEL_IOMMU=y
CONFIG_VFIO=y
# CONFIG_VFIO_CONTAINER is not set
CONFIG_VFIO_PCI=y
CONFIG_VFIO_DEVICE_CDEV=y
CONFIG_IOMMUFD=y
CONFIG_IOMMUFD_VFIO_CONTAINER=y
CONFIG_DEBUG_KERNEL=y
CONFIG_FAULT_INJECTION=y
CONFIG_RUNTIME_TESTING_MENU=y
CONFIG_IOMMUFD_TEST=y
`;

/** The `=y` options of a fragment. */
export function requiredOptions(fragment: string): string[] {
  return fragment.split('\n').flatMap((l) => {
    const m = /^(CONFIG_[A-Z0-9_]+)=y\s*$/.exec(l.trim());
    return m ? [m[1] as string] : [];
  });
}

/** The options of a fragment that must be off (`# CONFIG_X is not set`). */
export function forbiddenOptions(fragment: string): string[] {
  return fragment.split('\n').flatMap((l) => {
    const m = /^# (CONFIG_[A-Z0-9_]+) is not set\s*$/.exec(l.trim());
    return m ? [m[1] as string] : [];
  });
}

/** Which required options a resolved .config lacks, and which forbidden ones it has. */
export function configProblems(dotConfig: string, fragment: string): string[] {
  const set = new Set(dotConfig.split('\n').flatMap((l) => {
    const m = /^(CONFIG_[A-Z0-9_]+)=y$/.exec(l.trim());
    return m ? [m[1] as string] : [];
  }));
  return [
    ...requiredOptions(fragment).filter((o) => !set.has(o)).map((o) => `${o} is not =y`),
    ...forbiddenOptions(fragment).filter((o) => set.has(o)).map((o) => `${o} is set`),
  ];
}

/** The cache key: source package version + base config + fragment. */
export function buildKey(sourceVersion: string, fragment = CONFIG_FRAGMENT): string {
  const h = createHash('sha256').update(`${sourceVersion}\n${BASE_CONFIG}\n${fragment}`).digest('hex').slice(0, 12);
  return `${sourceVersion.replace(/[^A-Za-z0-9.+~-]/g, '_')}-${h}`;
}

export interface BuiltKernel {
  /** e.g. 6.12.57+iommufd */
  readonly release: string;
  readonly sourcePackage: string;
  readonly sourceVersion: string;
  readonly bzImage: string;
  readonly key: string;
  /** wall-clock seconds of the build that produced it (from its record; null if unknown) */
  readonly buildSeconds: number | null;
  /** true when this call found it cached */
  readonly cached: boolean;
}

function aptGet(pkgs: readonly string[], log: (s: string) => void): void {
  const missing = pkgs.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  log(`installing: ${missing.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  runOk('apt-get', ['update'], { env });
  const r = run('apt-get', ['install', '-y', '--no-install-recommends', ...missing], { env });
  if (r.status !== 0) throw new HarnessError(`apt-get install ${missing.join(' ')} failed: ${r.stderr.slice(-2000)}`);
}

/**
 * Where built kernels are cached: $PINLAB_KBUILD_DIR when set (.ci/run keeps it outside the
 * clone, so a machine builds the judge once and later runs reuse it), else
 * conformance/work/kbuild. A cached image is used only when its key (source version + config
 * hash) matches; otherwise it is built again.
 */
export function kbuildDir(): string {
  const dir = process.env.PINLAB_KBUILD_DIR;
  return dir !== undefined && dir !== '' ? dir : join(workDir(), 'kbuild');
}

/** Unpack /usr/src/linux-source-6.12.tar.xz once per source version; returns the tree. */
export function unpack(version: string, log: (s: string) => void): string {
  const base = join(kbuildDir(), `src-${version.replace(/[^A-Za-z0-9.+~-]/g, '_')}`);
  const done = join(base, '.unpacked');
  const tar = readdirSync('/usr/src').find((f) => /^linux-source-6\.12\.tar\.(xz|bz2|gz)$/.test(f));
  if (tar === undefined) throw new HarnessError(`${SOURCE_PACKAGE} is installed but /usr/src has no linux-source-6.12.tar.*`);
  if (!existsSync(done)) {
    log(`unpacking /usr/src/${tar} ...`);
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    runOk('tar', ['-C', base, '-xf', join('/usr/src', tar)]);
    writeFileSync(done, `${version}\n`);
  }
  const tree = readdirSync(base).find((f) => f.startsWith('linux-source-'));
  if (tree === undefined) throw new HarnessError(`no linux-source-* directory in ${base}`);
  return join(base, tree);
}

/** Run make in the tree at the lowest CPU priority (the build shares the machine). */
function make(tree: string, args: readonly string[]): void {
  runOk('nice', ['-n', '19', 'make', '-C', tree, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Build (or find cached) the 6.12 guest kernel with iommufd. */
export function ensureIommufdKernel(log: (s: string) => void, allowInstall = true): BuiltKernel {
  if (!isInstalled(SOURCE_PACKAGE) || BUILD_PACKAGES.some((p) => !isInstalled(p))) {
    if (!allowInstall) throw new HarnessError(`missing packages (run without --no-install): ${BUILD_PACKAGES.filter((p) => !isInstalled(p)).join(' ')}`);
    aptGet(BUILD_PACKAGES, log);
  }
  const version = runOk('dpkg-query', ['-W', '-f=${Version}', SOURCE_PACKAGE]).trim();
  const key = buildKey(version);
  const out = join(kbuildDir(), key);
  const image = join(out, 'bzImage');
  const record = join(out, 'build.json');
  const release = `${version.split('-')[0] ?? version}+iommufd`;
  if (existsSync(image) && existsSync(record)) {
    const r = JSON.parse(readFileSync(record, 'utf8')) as { seconds?: number };
    return { release, sourcePackage: SOURCE_PACKAGE, sourceVersion: version, bzImage: image, key, buildSeconds: r.seconds ?? null, cached: true };
  }
  const tree = unpack(version, log);
  const t0 = process.hrtime.bigint();
  log(`configuring ${SOURCE_PACKAGE} ${version}: ${BASE_CONFIG} + ${requiredOptions(CONFIG_FRAGMENT).length} options ...`);
  make(tree, [BASE_CONFIG]);
  const frag = join(tree, 'pinlab-iommufd.config');
  writeFileSync(frag, CONFIG_FRAGMENT);
  runOk('bash', ['-c', `cd '${tree}' && scripts/kconfig/merge_config.sh -m .config pinlab-iommufd.config`], { stdio: ['ignore', 'pipe', 'pipe'] });
  make(tree, ['olddefconfig']);
  const problems = configProblems(readFileSync(join(tree, '.config'), 'utf8'), CONFIG_FRAGMENT);
  if (problems.length > 0) throw new HarnessError(`kernel config: ${problems.join('; ')}`);
  log(`building bzImage (make -j2, nice 19) ...`);
  make(tree, ['-j2', 'bzImage']);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  mkdirSync(out, { recursive: true });
  copyFileSync(join(tree, 'arch', 'x86', 'boot', 'bzImage'), image);
  copyFileSync(join(tree, '.config'), join(out, 'config'));
  writeFileSync(record, `${JSON.stringify({ sourcePackage: SOURCE_PACKAGE, sourceVersion: version, baseConfig: BASE_CONFIG, seconds: Math.round(seconds) }, null, 2)}\n`);
  log(`built ${image} in ${seconds.toFixed(0)} s`);
  return { release, sourcePackage: SOURCE_PACKAGE, sourceVersion: version, bzImage: image, key, buildSeconds: Math.round(seconds), cached: false };
}

const invokedDirectly = process.argv[1] !== undefined && /conformance[/\\]kernel-build\.[jt]s$/.test(process.argv[1]);
if (invokedDirectly) {
  try {
    const k = ensureIommufdKernel((s) => process.stderr.write(`${s}\n`), !process.argv.includes('--no-install'));
    process.stdout.write(`${JSON.stringify(k)}\n`);
  } catch (e) {
    if (!(e instanceof HarnessError)) throw e;
    process.stderr.write(`kernel-build: ${e.message}\n`);
    process.exitCode = 3;
  }
}
