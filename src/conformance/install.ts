// Step 1 of the harness: make sure the Debian packages it needs are installed, and find
// the two kernels (Debian 6.1 from linux-image-amd64, the newest 6.12 from bookworm-security).
import { existsSync, readdirSync } from 'node:fs';
import { HarnessError, run, runOk } from './host.js';

/** The packages the harness needs besides the kernels. */
export const BASE_PACKAGES = [
  'qemu-system-x86', 'busybox-static', 'ndctl', 'e2fsprogs', 'cpio', 'kmod', 'gcc', 'libc6-dev', 'xz-utils',
] as const;

/** Which pinlab profile each real kernel series is compared against. */
export type KernelSeries = '6.1' | '6.12' | '6.12+iommufd';
export const PROFILE_OF: Record<KernelSeries, 'v6.1' | 'v6.12' | 'v6.12+iommufd'> = { '6.1': 'v6.1', '6.12': 'v6.12', '6.12+iommufd': 'v6.12+iommufd' };
/** The Debian package versions the profiles stand for (README, Profiles). */
export const PROFILE_STANDS_FOR: Record<KernelSeries, string> = { '6.1': '6.1.192', '6.12': '6.12.117', '6.12+iommufd': '6.12.118' };

export interface KernelImage {
  series: KernelSeries;
  /** `uname -r`, e.g. 6.1.0-56-amd64 */
  release: string;
  /** Debian package and its version, e.g. linux-image-6.1.0-56-amd64 6.1.192-2 (the built kernel: linux-source-6.12) */
  pkg: string;
  pkgVersion: string;
  vmlinuz: string;
  /** '' for a kernel built here with everything built in (no modules to load). */
  modulesDir: string;
}

export function isInstalled(pkg: string): boolean {
  const r = run('dpkg-query', ['-W', '-f=${Status}', pkg]);
  return r.status === 0 && r.stdout.includes('install ok installed');
}

/** Compare Debian-style dotted numeric versions (6.12.117 > 6.12.99). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.+~-]/).map((x) => Number.parseInt(x, 10));
  const pb = b.split(/[.+~-]/).map((x) => Number.parseInt(x, 10));
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const x = Number.isNaN(pa[i] ?? 0) ? 0 : (pa[i] ?? 0);
    const y = Number.isNaN(pb[i] ?? 0) ? 0 : (pb[i] ?? 0);
    if (x !== y) return x - y;
  }
  return 0;
}

/** Pick the newest `linux-image-6.12.N+deb12-amd64` among apt-cache search output lines. */
export function newest612(searchOutput: string): string | null {
  const names = searchOutput.split('\n')
    .map((l) => l.split(' ')[0] ?? '')
    .filter((n) => /^linux-image-6\.12\.\d+\+deb12-amd64$/.test(n));
  names.sort((a, b) => compareVersions(a.slice('linux-image-'.length), b.slice('linux-image-'.length)));
  return names.at(-1) ?? null;
}

function aptInstall(pkgs: string[], log: (s: string) => void): void {
  if (pkgs.length === 0) return;
  log(`installing: ${pkgs.join(' ')}`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  let r = run('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) {
    runOk('apt-get', ['update'], { env });
    r = run('apt-get', ['install', '-y', '--no-install-recommends', ...pkgs], { env });
    if (r.status !== 0) throw new HarnessError(`apt-get install ${pkgs.join(' ')} failed: ${r.stderr.slice(-2000)}`);
  }
}

/** Install the packages the harness needs besides any kernel (for a run of the built kernel alone). */
export function ensureBasePackages(log: (s: string) => void, allowInstall = true): void {
  const missing: string[] = BASE_PACKAGES.filter((p) => !isInstalled(p));
  if (missing.length === 0) return;
  if (!allowInstall) throw new HarnessError(`missing packages (run without --no-install): ${missing.join(' ')}`);
  aptInstall(missing, log);
}

/** Install what is missing (apt-get) and return the two kernels. */
export function ensureInstalled(log: (s: string) => void, allowInstall = true): KernelImage[] {
  const missing: string[] = BASE_PACKAGES.filter((p) => !isInstalled(p));
  if (!isInstalled('linux-image-amd64')) missing.push('linux-image-amd64');
  if (!installed612()) {
    let search = run('apt-cache', ['search', '--names-only', '^linux-image-6\\.12\\.[0-9]+\\+deb12-amd64$']).stdout;
    if (!newest612(search)) {
      runOk('apt-get', ['update']);
      search = run('apt-cache', ['search', '--names-only', '^linux-image-6\\.12\\.[0-9]+\\+deb12-amd64$']).stdout;
    }
    const n = newest612(search);
    if (!n) throw new HarnessError('no linux-image-6.12.*+deb12-amd64 package found (is bookworm-security in the apt sources?)');
    missing.push(n);
  }
  if (missing.length > 0) {
    if (!allowInstall) throw new HarnessError(`missing packages (run without --no-install): ${missing.join(' ')}`);
    aptInstall(missing, log);
  }
  return findKernels();
}

function installed612(): boolean {
  return findKernelsRaw().some((k) => k.series === '6.12');
}

function findKernelsRaw(): KernelImage[] {
  const out: KernelImage[] = [];
  if (!existsSync('/boot')) return out;
  for (const f of readdirSync('/boot')) {
    const m = /^vmlinuz-((6\.1|6\.12)\.[^-]*(?:-[^-]+)*-amd64)$/.exec(f);
    if (!m) continue;
    const release = m[1] as string;
    const series: KernelSeries = release.startsWith('6.12.') ? '6.12' : release.startsWith('6.1.') ? '6.1' : ('' as KernelSeries);
    if (series === ('' as KernelSeries) || release.includes('cloud') || release.includes('rt-')) continue;
    const pkg = `linux-image-${release}`;
    const v = run('dpkg-query', ['-W', '-f=${Version}', pkg]);
    if (!existsSync(`/lib/modules/${release}`)) continue;
    out.push({ series, release, pkg, pkgVersion: v.status === 0 ? v.stdout.trim() : 'unknown', vmlinuz: `/boot/${f}`, modulesDir: `/lib/modules/${release}` });
  }
  return out;
}

/** The newest installed kernel of each series. */
export function findKernels(): KernelImage[] {
  const best = new Map<KernelSeries, KernelImage>();
  for (const k of findKernelsRaw()) {
    const cur = best.get(k.series);
    if (!cur || compareVersions(k.pkgVersion, cur.pkgVersion) > 0) best.set(k.series, k);
  }
  return (['6.1', '6.12'] as const).flatMap((s) => (best.has(s) ? [best.get(s) as KernelImage] : []));
}
