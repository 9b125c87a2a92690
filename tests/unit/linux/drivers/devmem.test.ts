/**
 * /dev/mem (src/linux/drivers/char/mem.ts): devmem_is_allowed's x86 answers per physical
 * range, mmap_mem's -EPERM, and generic_access_phys as the ->access that /proc/self/mem falls
 * back to when GUP refuses the VM_IO | VM_PFNMAP mapping (reads copy contiguously from the
 * first frame, a write through a read-only PTE is refused, an anonymous COW copy is RAM that
 * ioremap refuses with a WARN).
 */
import { describe, expect, it } from 'vitest';
import { MiB, machine, runAs, task } from '../mm/harness.js';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { MAP_ANONYMOUS, MAP_PRIVATE, MAP_SHARED, PROT_READ, PROT_WRITE } from '../../../../src/linux/include/uapi/asm-generic/mman.js';
import { EIO, EPERM } from '../../../../src/linux/include/uapi/linux/errno.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { CAP_SYS_RAWIO } from '../../../../src/linux/include/linux/sched.js';
import { sys_mmap, sys_open } from '../../../../src/linux/syscalls.js';
import { user_load, user_store } from '../../../../src/linux/mm/uaccess.js';
import { ksys_pread64, ksys_pwrite64 } from '../../../../src/linux/fs/read_write.js';
import { devmem_init, devmem_is_allowed } from '../../../../src/linux/drivers/char/mem.js';

const RW = PROT_READ | PROT_WRITE;

describe('/dev/mem: devmem_is_allowed, mmap_mem, generic_access_phys (drivers/char/mem.c, mm/memory.c)', () => {
  it('allows BIOS RAM and the ROM window below 1 MiB and holes, refuses System RAM above 1 MiB and a pmem namespace', () => {
    const m = machine('v6.1', { dma32: 16 * MiB, normal: 64 * MiB, pmem: [{ name: 'pmem0', size: 2 * MiB, mode: 'fsdax' }] });
    const t = task(m, { comm: 'root', uid: 0, caps: [CAP_SYS_RAWIO] });
    const pmem = m.mem.regions.find((r) => r.name === 'pmem0')?.start_pfn as number;
    const r = runAs(m, t, function* (k) {
      yield* [];
      return [0x10, 0xf0, 0x100, 0xfff, 0x1000, pmem, 2 ** 36].map((p) => devmem_is_allowed(k, p));
    });
    expect(r).toEqual([2, 1, 0, 0, 0, 0, 1]);
  });

  for (const profile of ['v5.4', 'v6.1', 'v6.12'] as const) {
    it(`${profile}: /proc/self/mem reads a /dev/mem mapping through ->access, past its end too; a write through a read-only PTE is -EIO; a COW copy is refused`, () => {
      const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB });
      const t = task(m, { comm: 'root', uid: 0, caps: [CAP_SYS_RAWIO] });
      const r = runAs(m, t, function* (k) {
        devmem_init(k);
        const fd = yield* sys_open(k, '/dev/mem', O_RDWR);
        const ram = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 16 * MiB);
        const rom = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0xf0000);
        const priv = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE, fd, 0x10000);
        const dst = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        const pm = yield* sys_open(k, '/proc/self/mem', O_RDWR);
        const rd = yield* ksys_pread64(k, pm, { addr: dst }, 200, rom + PAGE_SIZE - 100);
        const seen = yield* user_load(k, dst, 4);
        const wr = yield* ksys_pwrite64(k, pm, { tag: 'W' }, 8, rom);
        const cow = yield* user_store(k, priv, 8, 'C');
        const rdcow = yield* ksys_pread64(k, pm, { addr: dst }, 8, priv);
        return { ram, rd, seen, wr, cow, rdcow, warned: m.reports.some((v) => v.kind === 'warn' && v.site === 'arch/x86/mm/ioremap.c:__ioremap_caller') };
      });
      expect(r).toEqual({ ram: -EPERM, rd: 200, seen: 'phys', wr: -EIO, cow: 0, rdcow: -EIO, warned: true });
    });
  }

  // f1d4d47c5851 (v5.13): before it only [0, 64 KiB) of the low RAM is PageReserved, and
  // __ioremap_caller refuses the rest (WARN, NULL): generic_access_phys -ENOMEM, /proc/self/mem -EIO.
  for (const [profile, want] of [['v5.4', { wr: -EIO, warned: true }], ['v5.12', { wr: -EIO, warned: true }], ['v5.15', { wr: 8, warned: false }], ['v6.1', { wr: 8, warned: false }], ['v5.4+x86-reserve-low-1m', { wr: 8, warned: false }]] as const) {
    it(`${profile}: /proc/self/mem writes BIOS RAM at 64 KiB through a shared /dev/mem mapping: ${want.wr}`, () => {
      const m = machine(profile, { dma32: 16 * MiB, normal: 64 * MiB });
      const t = task(m, { comm: 'root', uid: 0, caps: [CAP_SYS_RAWIO] });
      const r = runAs(m, t, function* (k) {
        devmem_init(k);
        const fd = yield* sys_open(k, '/dev/mem', O_RDWR);
        const low = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_SHARED, fd, 0x10000);
        const pm = yield* sys_open(k, '/proc/self/mem', O_RDWR);
        const wr = yield* ksys_pwrite64(k, pm, { tag: 'W' }, 8, low + 8);
        return { wr, warned: m.reports.some((v) => v.kind === 'warn' && v.site === 'arch/x86/mm/ioremap.c:__ioremap_caller') };
      });
      expect(r).toEqual(want);
    });
  }

  it('v5.4: where the trampoline and the EBDA sit below 640 KiB is not modelled: unsupported', () => {
    const m = machine('v5.4', { dma32: 16 * MiB, normal: 64 * MiB });
    const t = task(m, { comm: 'root', uid: 0, caps: [CAP_SYS_RAWIO] });
    const r = runAs(m, t, function* (k) {
      devmem_init(k);
      const fd = yield* sys_open(k, '/dev/mem', O_RDWR);
      const top = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 0x90000);
      const dst = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      const pm = yield* sys_open(k, '/proc/self/mem', O_RDWR);
      yield* ksys_pread64(k, pm, { addr: dst }, 8, top);
      return m.reports.some((v) => v.kind === 'unsupported' && v.site === 'arch/x86/mm/ioremap.c:__ioremap_caller');
    });
    expect(r).toBe(true);
  });

  it('read(2) and write(2) of /dev/mem (read_mem / write_mem) are not modelled: unsupported, not -EINVAL', () => {
    const m = machine('v6.12', { normal: 64 * MiB });
    const t = task(m, { comm: 'root', uid: 0, caps: [CAP_SYS_RAWIO] });
    const r = runAs(m, t, function* (k) {
      devmem_init(k);
      const fd = yield* sys_open(k, '/dev/mem', O_RDWR);
      const dst = yield* sys_mmap(k, 0, PAGE_SIZE, RW, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
      yield* ksys_pread64(k, fd, { addr: dst }, 16, 0xf0000);
      yield* ksys_pwrite64(k, fd, { tag: 'W' }, 16, 0xf0000);
      return m.reports.filter((v) => v.kind === 'unsupported').map((v) => v.site);
    });
    expect(r).toEqual(['fs/read_write.c:vfs_read', 'fs/read_write.c:vfs_write']);
  });

  it('mmap above 64 GiB and past the machine\'s memory depends on x86_phys_bits (valid_mmap_phys_addr_range): unsupported; a hole at 32 GiB maps', () => {
    const m = machine('v6.12', { normal: 64 * MiB });
    const t = task(m, { comm: 'root', uid: 0, caps: [CAP_SYS_RAWIO] });
    const r = runAs(m, t, function* (k) {
      devmem_init(k);
      const fd = yield* sys_open(k, '/dev/mem', O_RDWR);
      const hole = yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 32 * 1024 * MiB);
      yield* sys_mmap(k, 0, PAGE_SIZE, PROT_READ, MAP_SHARED, fd, 2 ** 52);
      return { hole: hole > 0, unsupported: m.reports.filter((v) => v.kind === 'unsupported').map((v) => v.site) };
    });
    expect(r).toEqual({ hole: true, unsupported: ['arch/x86/mm/mmap.c:valid_mmap_phys_addr_range'] });
  });

  it('open without CAP_SYS_RAWIO is -EPERM', () => {
    const m = machine('v6.12', { normal: 64 * MiB });
    const t = task(m, { comm: 'user', uid: 1000, caps: [] });
    const r = runAs(m, t, function* (k) {
      devmem_init(k);
      return yield* sys_open(k, '/dev/mem', O_RDWR);
    });
    expect(r).toBe(-EPERM);
  });
});
