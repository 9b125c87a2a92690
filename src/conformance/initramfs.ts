// Step 2 of the harness: build the guest's initramfs for one kernel — busybox, the kernel
// modules (in modprobe --show-depends order, decompressed), ndctl and mkfs.ext4 with their
// shared libraries, the static test driver and /init. The case list is appended per run
// as a second (uncompressed) cpio archive holding /cases.txt.
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { guestDir, HarnessError, run, runOk, sh, which, workDir } from './host.js';
import type { KernelImage } from './install.js';

/** Modules the guest needs (their dependencies are resolved with modprobe --show-depends). */
export const GUEST_MODULES = [
  'libnvdimm', 'vfio_iommu_type1', 'vfio-pci', 'nfit', 'libnvdimm', 'nd_pmem', 'dax_pmem', 'device_dax',
  'crc32c_generic', 'ext4', 'brd',
] as const;

/** Module parameters applied at insmod time. */
export const MODULE_PARAMS: Record<string, string> = {
  brd: 'rd_nr=1 rd_size=131072',
};

/** Parse `modprobe --show-depends` output into module paths (insmod lines only, in order). */
export function parseShowDepends(out: string): string[] {
  const paths: string[] = [];
  for (const line of out.split('\n')) {
    const m = /^insmod (\S+)/.exec(line.trim());
    if (m) paths.push(m[1] as string);
  }
  return paths;
}

/** Dependency-ordered, de-duplicated module list for a kernel. */
export function moduleList(k: KernelImage): string[] {
  const seen = new Set<string>();
  const order: string[] = [];
  for (const m of GUEST_MODULES) {
    const r = run('modprobe', ['-S', k.release, '--ignore-install', '--show-depends', m]);
    if (r.status !== 0) {
      // built-in modules print "builtin X"; a truly missing one is a set-up fact the guest reports
      if (!/builtin/.test(r.stdout + r.stderr)) throw new HarnessError(`modprobe --show-depends ${m} for ${k.release}: ${r.stderr.trim()}`);
      continue;
    }
    for (const p of parseShowDepends(r.stdout)) {
      if (!seen.has(p)) {
        seen.add(p);
        order.push(p);
      }
    }
  }
  return order;
}

/** Shared libraries of a dynamic executable, from ldd (absolute paths). */
export function parseLdd(out: string): string[] {
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    const arrow = /=>\s+(\/\S+)/.exec(line);
    if (arrow) libs.push(arrow[1] as string);
    else {
      const bare = /^\s*(\/\S+)\s+\(/.exec(line);
      if (bare) libs.push(bare[1] as string);
    }
  }
  return libs;
}

/** Compile the static guest driver (cached by source mtime). */
export function buildDriver(): string {
  const src = join(guestDir(), 'pinlab-guest.c');
  const out = join(workDir(), 'pinlab-guest');
  mkdirSync(workDir(), { recursive: true });
  // The driver includes its sibling ops-*.c files: the newest of them all decides.
  const newest = Math.max(...readdirSync(guestDir()).filter((f) => f.endsWith('.c')).map((f) => statSync(join(guestDir(), f)).mtimeMs));
  if (existsSync(out) && statSync(out).mtimeMs > newest) return out;
  if (!which('gcc')) throw new HarnessError('gcc not found');
  runOk('gcc', ['-static', '-O1', '-Wall', '-o', out, src]);
  return out;
}

function copyWithDirs(src: string, dst: string): void {
  mkdirSync(dirname(dst), { recursive: true });
  copyFileSync(src, dst);
}

/**
 * Build (or reuse) conformance/work/<release>/base.cpio.gz for kernel `k`.
 * Returns its path. Rebuilt when the driver or /init changed.
 */
export function buildBaseInitramfs(k: KernelImage): string {
  const dir = join(workDir(), k.release);
  const root = join(dir, 'root');
  const img = join(dir, 'base.cpio.gz');
  const driver = buildDriver();
  const init = join(guestDir(), 'init.sh');
  const order: string[] = [];
  // A kernel built with everything needed built in has no modules to load.
  const mods = k.modulesDir === '' ? [] : moduleList(k);
  for (const p of mods) {
    const name = basename(p).replace(/\.xz$/, '').replace(/\.zst$/, '');
    const mod = name.replace(/\.ko$/, '');
    order.push(`${name}${MODULE_PARAMS[mod] ? ' ' + MODULE_PARAMS[mod] : ''}`);
  }
  const orderText = order.join('\n') + '\n';
  const orderFile = join(root, 'modules.order');
  if (existsSync(img) && existsSync(orderFile) && readFileSync(orderFile, 'utf8') === orderText) {
    const t = statSync(img).mtimeMs;
    if (t > statSync(driver).mtimeMs && t > statSync(init).mtimeMs) return img;
  }
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'proc', 'sys', 'dev', 'tmp', 'mnt', 'lib/modules', 'lib64', 'etc', 'run']) {
    mkdirSync(join(root, d), { recursive: true });
  }
  copyWithDirs('/bin/busybox', join(root, 'bin/busybox'));
  // dynamic tools with their libraries
  for (const tool of ['/usr/bin/ndctl', '/sbin/mkfs.ext4']) {
    const real = existsSync(tool) ? tool : (which(basename(tool)) ?? '');
    if (!real) throw new HarnessError(`${tool} not installed`);
    copyWithDirs(real, join(root, 'usr/sbin', basename(tool)));
    for (const lib of parseLdd(runOk('ldd', [real]))) copyWithDirs(lib, join(root, lib));
  }
  // kernel modules, decompressed, and their load order
  for (const p of mods) {
    const name = basename(p).replace(/\.xz$/, '').replace(/\.zst$/, '');
    const dst = join(root, 'lib/modules', name);
    if (p.endsWith('.xz')) sh(`xz -dc '${p}' > '${dst}'`);
    else if (p.endsWith('.zst')) sh(`zstd -dc '${p}' > '${dst}'`);
    else copyFileSync(p, dst);
  }
  writeFileSync(orderFile, orderText);
  copyFileSync(driver, join(root, 'pinlab-guest'));
  chmodSync(join(root, 'pinlab-guest'), 0o755);
  copyFileSync(init, join(root, 'init'));
  chmodSync(join(root, 'init'), 0o755);
  writeFileSync(join(root, 'cases.txt'), '');
  sh(`cd '${root}' && find . -print0 | cpio --null -o -H newc --quiet | gzip -1 > '${img}'`);
  return img;
}

/**
 * Write the per-run initramfs: the base archive followed by a cpio holding /cases.txt (and,
 * for the peer suite, the directory `peerDir` as /peer: see src/conformance/peer-selftest.ts).
 */
export function buildRunInitramfs(base: string, casesText: string, out: string, peerDir?: string): string {
  const tmp = `${out}.d`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  writeFileSync(join(tmp, 'cases.txt'), casesText);
  if (peerDir !== undefined) sh(`cp -r '${peerDir}' '${tmp}/peer'`);
  sh(`cd '${tmp}' && find . -mindepth 1 | sed 's|^\\./||' | cpio -o -H newc --quiet > '${out}.cases'`);
  // The kernel only looks for a following archive at a 4-byte aligned offset: pad with zeros.
  const b = readFileSync(base);
  const pad = Buffer.alloc((512 - (b.length % 512)) % 512);
  writeFileSync(out, Buffer.concat([b, pad, readFileSync(`${out}.cases`)]));
  rmSync(tmp, { recursive: true, force: true });
  rmSync(`${out}.cases`, { force: true });
  return out;
}
