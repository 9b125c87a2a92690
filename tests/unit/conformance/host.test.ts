import { describe, expect, it } from 'vitest';
import { compareVersions, newest612 } from '../../../src/conformance/install.js';
import { parseLdd, parseShowDepends } from '../../../src/conformance/initramfs.js';
import { kernelCmdline, qemuArgs, reachedDriver } from '../../../src/conformance/qemu.js';

describe('install helpers', () => {
  it('orders Debian kernel versions numerically', () => {
    expect(compareVersions('6.12.117', '6.12.99')).toBeGreaterThan(0);
    expect(compareVersions('6.1.192-2', '6.1.192-2')).toBe(0);
    expect(compareVersions('6.12.100+deb12', '6.12.117+deb12')).toBeLessThan(0);
  });
  it('picks the newest 6.12 image, ignoring cloud/rt flavours and meta packages', () => {
    const out = [
      'linux-image-6.12-amd64 - Linux for 64-bit PCs (meta-package)',
      'linux-image-6.12.99+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)',
      'linux-image-6.12.117+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)',
      'linux-image-6.12.117+deb12-cloud-amd64 - Linux 6.12 for x86-64 cloud (signed)',
      'linux-image-6.12.113+deb12-amd64 - Linux 6.12 for 64-bit PCs (signed)',
    ].join('\n');
    expect(newest612(out)).toBe('linux-image-6.12.117+deb12-amd64');
    expect(newest612('')).toBeNull();
  });
});

describe('initramfs helpers', () => {
  it('keeps only insmod lines of modprobe --show-depends, in order', () => {
    const out = 'install /usr/bin/ndctl load-keys ; /sbin/modprobe --ignore-install libnvdimm $CMDLINE_OPTS \ninsmod /lib/modules/x/a.ko.xz \ninsmod /lib/modules/x/b.ko \nbuiltin intel_iommu\n';
    expect(parseShowDepends(out)).toEqual(['/lib/modules/x/a.ko.xz', '/lib/modules/x/b.ko']);
  });
  it('finds the libraries and the loader in ldd output', () => {
    const out = '\tlinux-vdso.so.1 (0x00007f)\n\tlibndctl.so.6 => /lib/x86_64-linux-gnu/libndctl.so.6 (0x00007f)\n\t/lib64/ld-linux-x86-64.so.2 (0x00007f)\n';
    expect(parseLdd(out)).toEqual(['/lib/x86_64-linux-gnu/libndctl.so.6', '/lib64/ld-linux-x86-64.so.2']);
  });
});

describe('qemu machine', () => {
  const args = qemuArgs({ vmlinuz: '/boot/vmlinuz', initrd: '/tmp/rd', dir: '/w', timeoutSec: 60 }, '/w/console.log');
  const joined = args.join(' ');
  it('is the machine docs/conformance.md describes', () => {
    expect(joined).toContain('-machine q35,nvdimm=on -accel tcg -cpu max -smp 2 -m 2G,slots=4,maxmem=8G');
    expect(joined).toContain('-device intel-iommu,intremap=on,caching-mode=on');
    expect(joined).toContain('-serial file:/w/console.log');
    expect(args).toContain('-no-reboot');
    expect(joined).toContain('memory-backend-file,id=nvm0,share=on,mem-path=/w/nvdimm0.img,size=256M');
  });
  it('places the IOMMU before every PCI device', () => {
    const iommu = args.indexOf('intel-iommu,intremap=on,caching-mode=on');
    expect(iommu).toBeGreaterThan(0);
    expect(args.indexOf('edu')).toBeGreaterThan(iommu);
    expect(args.findIndex((a) => a.startsWith('nvdimm,'))).toBeGreaterThan(iommu);
  });
  it('boots with the IOMMU on (not passthrough) and a movable zone', () => {
    expect(kernelCmdline()).toContain('intel_iommu=on');
    expect(kernelCmdline()).not.toContain('iommu=pt');
    expect(kernelCmdline('512M')).toContain('movablecore=512M');
    expect(kernelCmdline()).toContain('no_timer_check');
  });
  it('tells a boot that reached the driver from one that did not (retried, never a result)', () => {
    expect(reachedDriver('[0.04] Kernel panic - not syncing: timer doesn\'t work through Interrupt-remapped IO-APIC')).toBe(false);
    expect(reachedDriver('@@E kernel=6.1\n@@E driver-start\n')).toBe(true);
  });
});
