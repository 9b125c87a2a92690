/**
 * iommufd (src/linux/drivers/iommu/iommufd/, profile v6.12+iommufd): the ioctl checks, lazy
 * pinning, accounting modes and their limit, one pin for two domains, access pins and the
 * unmap notifier; and a fast-check fuzz of every new ioctl's struct (no JS exception, only
 * kernel errors), as the bad-input acceptance asks.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { KThread } from '../../../../src/sched/index.js';
import type { Kctx } from '../../../../src/linux/kctx.js';
import { PAGE_SIZE } from '../../../../src/linux/include/linux/mm_types.js';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { CAP_IPC_LOCK, RLIMIT_MEMLOCK } from '../../../../src/linux/include/linux/sched.js';
import { E2BIG, EBADFD, EBUSY, EFAULT, EINVAL, ENOENT, ENOMEM, ENOTTY, EOPNOTSUPP, EOVERFLOW } from '../../../../src/linux/include/uapi/linux/errno.js';
import {
  IOMMU_DESTROY, IOMMU_IOAS_ALLOC, IOMMU_IOAS_ALLOW_IOVAS, IOMMU_IOAS_COPY, IOMMU_IOAS_IOVA_RANGES, IOMMU_IOAS_MAP, IOMMU_IOAS_MAP_FIXED_IOVA,
  IOMMU_IOAS_MAP_READABLE, IOMMU_IOAS_MAP_WRITEABLE, IOMMU_IOAS_UNMAP, IOMMU_OPTION, IOMMU_VFIO_IOAS, VFIO_DEVICE_ATTACH_IOMMUFD_PT,
  VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_DETACH_IOMMUFD_PT,
} from '../../../../src/linux/include/uapi/linux/iommufd.js';
import { sys_open } from '../../../../src/linux/syscalls.js';
import { iommufd_init } from '../../../../src/linux/drivers/iommu/iommufd/main.js';
import { io_uring_user } from '../../../../src/linux/io_uring/io_uring.js';
import { iommu_iova_to_phys } from '../../../../src/linux/drivers/iommu/iommu.js';
import { anon_vma, ioctl, machine, pci_device, prefault, run1, task } from './support.js';

const P = 'v6.12+iommufd';
const VA = 0x10000000;
const RW = IOMMU_IOAS_MAP_READABLE | IOMMU_IOAS_MAP_WRITEABLE;
const FIXED = IOMMU_IOAS_MAP_FIXED_IOVA | RW;

function* alloc(k: Kctx, fd: number): KThread<number> {
  const cmd = { size: 12, flags: 0, out_ioas_id: 0 };
  const r = yield* ioctl(k, fd, IOMMU_IOAS_ALLOC, cmd);
  return r < 0 ? r : cmd.out_ioas_id;
}
function* map(k: Kctx, fd: number, ioas: number, va: number, len: number, iova: bigint, flags = FIXED): KThread<number> {
  return yield* ioctl(k, fd, IOMMU_IOAS_MAP, { size: 40, flags, ioas_id: ioas, __reserved: 0, user_va: BigInt(va), length: BigInt(len), iova });
}
function* unmap(k: Kctx, fd: number, ioas: number, iova: bigint, len: bigint): KThread<{ r: number; length: bigint }> {
  const cmd = { size: 24, ioas_id: ioas, iova, length: len };
  const r = yield* ioctl(k, fd, IOMMU_IOAS_UNMAP, cmd);
  return { r, length: cmd.length };
}
/** Open the first device's cdev, bind it to fd and attach it to pt; the cdev fd. */
function* attach(k: Kctx, fd: number, pt: number, cdev = '/dev/vfio/devices/vfio0'): KThread<{ dev: number; bind: number; attach: number }> {
  const dev = yield* sys_open(k, cdev, O_RDWR);
  const bind = yield* ioctl(k, dev, VFIO_DEVICE_BIND_IOMMUFD, { argsz: 16, flags: 0, iommufd: fd, out_devid: 0 });
  const a = yield* ioctl(k, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, { argsz: 12, flags: 0, pt_id: pt });
  return { dev, bind, attach: a };
}

function setup(opts: { caps?: number[]; memlock?: number; pages?: number } = {}): { m: ReturnType<typeof machine>; t: ReturnType<typeof task> } {
  const m = machine(P);
  const t = task(m, opts.caps ? { caps: opts.caps } : {});
  if (opts.memlock !== undefined) t.rlim[RLIMIT_MEMLOCK] = { rlim_cur: opts.memlock, rlim_max: opts.memlock };
  return { m, t };
}

describe('iommufd on v6.12+iommufd', () => {
  it('/dev/iommu exists only with CONFIG_IOMMUFD', () => {
    const m = machine('v6.12');
    const t = task(m);
    expect(run1(m, t, function* (k) {
      iommufd_init(k);
      return yield* sys_open(k, '/dev/iommu', O_RDWR);
    })).toBe(-ENOENT);
  });

  it('checks the size header (short -EINVAL, a non-zero tail -E2BIG, zero tail fine), unknown numbers -ENOTTY, flags and reserved fields', () => {
    const { m, t } = setup();
    const out = run1(m, t, function* (k) {
      iommufd_init(k);
      const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
      const r = (cmd: number, arg: unknown): KThread<number> => ioctl(k, fd, cmd, arg);
      return {
        short: yield* r(IOMMU_IOAS_ALLOC, { size: 8, flags: 0, out_ioas_id: 0 }),
        tail: yield* r(IOMMU_IOAS_ALLOC, { size: 16, flags: 0, out_ioas_id: 0, trailing: true }),
        zero: yield* r(IOMMU_IOAS_ALLOC, { size: 16, flags: 0, out_ioas_id: 0 }),
        flags: yield* r(IOMMU_IOAS_ALLOC, { size: 12, flags: 2, out_ioas_id: 0 }),
        nullarg: yield* r(IOMMU_IOAS_ALLOC, null),
        unknown: yield* r((0x3b << 8) | 0x9f, { size: 64 }),
        vfio_ioas: yield* r(IOMMU_VFIO_IOAS, { size: 12, ioas_id: 0, op: 0, __reserved: 0 }),
        reserved: yield* r(IOMMU_IOAS_MAP, { size: 40, flags: FIXED, ioas_id: 1, __reserved: 1, user_va: 0n, length: 4096n, iova: 0n }),
        wrap: yield* r(IOMMU_IOAS_MAP, { size: 40, flags: FIXED, ioas_id: 1, __reserved: 0, user_va: BigInt(VA), length: 4096n, iova: (1n << 64n) - 1n }),
      };
    });
    expect(out).toEqual({ short: -EINVAL, tail: -E2BIG, zero: 0, flags: -EOPNOTSUPP, nullarg: -EFAULT, unknown: -ENOTTY, vfio_ioas: -19, reserved: -EOPNOTSUPP, wrap: -EOVERFLOW });
  });

  it('maps lazily: pins (user->locked_vm, pinned_vm; not mm->locked_vm) only when a device attaches, unpins on unmap of whole areas', () => {
    const { m, t } = setup({ caps: [], memlock: 64 * 1024 });
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 8 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      iommufd_init(k);
      pci_device(k);
      yield* prefault(k, mm, vma, VA, 8 * PAGE_SIZE);
      const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
      const ioas = yield* alloc(k, fd);
      const mp = yield* map(k, fd, ioas, VA, 8 * PAGE_SIZE, 0x100000n);
      const before = mm.pinned_vm;
      const a = yield* attach(k, fd, ioas);
      const after = { pinned: mm.pinned_vm, locked: mm.locked_vm, user: io_uring_user(k, t.cred.uid)?.locked_vm ?? null };
      const cut = yield* unmap(k, fd, ioas, 0x101000n, BigInt(PAGE_SIZE));
      const all = yield* unmap(k, fd, ioas, 0n, 1n << 24n);
      return { mp, before, a, after, cut: cut.r, all, end: { pinned: mm.pinned_vm, user: io_uring_user(k, t.cred.uid)?.locked_vm ?? null } };
    });
    expect(out).toEqual({
      mp: 0, before: 0, a: { dev: expect.any(Number), bind: 0, attach: 0 }, after: { pinned: 8, locked: 0, user: 8 },
      cut: -ENOENT, all: { r: 0, length: BigInt(8 * PAGE_SIZE) }, end: { pinned: 0, user: 0 },
    });
  });

  it('checks RLIMIT_MEMLOCK after pinning and unwinds (-ENOMEM, nothing left pinned); CAP_IPC_LOCK charges nothing', () => {
    for (const [caps, want] of [[[], -ENOMEM], [[CAP_IPC_LOCK], 0]] as const) {
      const { m, t } = setup({ caps: [...caps], memlock: 16 * 1024 });
      const mm = t.mm!;
      const vma = anon_vma(m, mm, VA, 8 * PAGE_SIZE);
      const out = run1(m, t, function* (k) {
        iommufd_init(k);
        pci_device(k);
        yield* prefault(k, mm, vma, VA, 8 * PAGE_SIZE);
        const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
        const ioas = yield* alloc(k, fd);
        yield* attach(k, fd, ioas);
        const r = yield* map(k, fd, ioas, VA, 8 * PAGE_SIZE, 0x100000n);
        return { r, pinned: mm.pinned_vm, locked: mm.locked_vm };
      });
      expect({ r: out.r, pinned: out.pinned, locked: out.locked }).toEqual({ r: want, pinned: want === 0 ? 8 : 0, locked: 0 });
    }
  });

  it('IOAS_COPY into an IOAS with another device maps the same pfns with one pin; DESTROY of a used IOAS is -EBUSY', () => {
    const { m, t } = setup();
    const mm = t.mm!;
    const vma = anon_vma(m, mm, VA, 4 * PAGE_SIZE);
    const out = run1(m, t, function* (k) {
      iommufd_init(k);
      const d0 = pci_device(k, '0000:00:04.0');
      const d1 = pci_device(k, '0000:00:05.0');
      yield* prefault(k, mm, vma, VA, 4 * PAGE_SIZE);
      const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
      const a = yield* alloc(k, fd);
      const b = yield* alloc(k, fd);
      yield* attach(k, fd, a, '/dev/vfio/devices/vfio0');
      yield* attach(k, fd, b, '/dev/vfio/devices/vfio1');
      yield* map(k, fd, a, VA, 4 * PAGE_SIZE, 0x100000n);
      const copy = yield* ioctl(k, fd, IOMMU_IOAS_COPY, { size: 40, flags: FIXED, dst_ioas_id: b, src_ioas_id: a, length: BigInt(4 * PAGE_SIZE), dst_iova: 0x800000n, src_iova: 0x100000n });
      const dom0 = d0.dev.iommu_group!.domain!;
      const dom1 = d1.dev.iommu_group!.domain!;
      const p0 = iommu_iova_to_phys(dom0, 0x102000);
      const same = dom0 !== dom1 && p0 !== 0 && p0 === iommu_iova_to_phys(dom1, 0x802000);
      const destroy = yield* ioctl(k, fd, IOMMU_DESTROY, { size: 8, id: a });
      return { copy, same, pinned: mm.pinned_vm, destroy };
    });
    expect(out).toEqual({ copy: 0, same: true, pinned: 4, destroy: -EBUSY });
  });

  it('device cdev: every ioctl but BIND is -EINVAL before it; a non-iommufd fd is -EBADFD', () => {
    const { m, t } = setup();
    const out = run1(m, t, function* (k) {
      iommufd_init(k);
      pci_device(k);
      const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
      const dev = yield* sys_open(k, '/dev/vfio/devices/vfio0', O_RDWR);
      return {
        early: yield* ioctl(k, dev, VFIO_DEVICE_DETACH_IOMMUFD_PT, { argsz: 8, flags: 0 }),
        notfd: yield* ioctl(k, dev, VFIO_DEVICE_BIND_IOMMUFD, { argsz: 16, flags: 0, iommufd: dev, out_devid: 0 }),
        bind: yield* ioctl(k, dev, VFIO_DEVICE_BIND_IOMMUFD, { argsz: 16, flags: 0, iommufd: fd, out_devid: 0 }),
        noobj: yield* ioctl(k, dev, VFIO_DEVICE_ATTACH_IOMMUFD_PT, { argsz: 12, flags: 0, pt_id: 77 }),
      };
    });
    expect(out).toEqual({ early: -EINVAL, notfd: -EBADFD, bind: 0, noobj: -ENOENT });
  });
});

// ---- fuzz ------------------------------------------------------------------------------------------

const u32 = fc.oneof(fc.constantFrom(0, 1, 2, 3, 8, 12, 16, 24, 32, 40, 48, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const u64 = fc.oneof(
  fc.constantFrom(0n, 1n, 4096n, 0x100000n, BigInt(VA), (1n << 63n), (1n << 64n) - 1n, (1n << 64n) - 4096n, 1n << 48n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
);
const ranges = fc.option(fc.array(fc.record({ start: u64, last: u64 }), { maxLength: 4 }), { nil: null });
const cmdArb = fc.oneof(
  fc.record({ cmd: fc.constant(IOMMU_IOAS_ALLOC), arg: fc.record({ size: u32, flags: u32, out_ioas_id: u32, trailing: fc.boolean() }) }),
  fc.record({ cmd: fc.constant(IOMMU_DESTROY), arg: fc.record({ size: u32, id: u32, trailing: fc.boolean() }) }),
  fc.record({ cmd: fc.constant(IOMMU_IOAS_MAP), arg: fc.record({ size: u32, flags: u32, ioas_id: fc.integer({ min: 0, max: 4 }), __reserved: u32, user_va: u64, length: u64, iova: u64 }) }),
  fc.record({ cmd: fc.constant(IOMMU_IOAS_COPY), arg: fc.record({ size: u32, flags: u32, dst_ioas_id: fc.integer({ min: 0, max: 4 }), src_ioas_id: fc.integer({ min: 0, max: 4 }), length: u64, dst_iova: u64, src_iova: u64 }) }),
  fc.record({ cmd: fc.constant(IOMMU_IOAS_UNMAP), arg: fc.record({ size: u32, ioas_id: fc.integer({ min: 0, max: 4 }), iova: u64, length: u64 }) }),
  fc.record({ cmd: fc.constant(IOMMU_IOAS_IOVA_RANGES), arg: fc.record({ size: u32, ioas_id: fc.integer({ min: 0, max: 4 }), num_iovas: fc.integer({ min: 0, max: 8 }), __reserved: u32, allowed_iovas: fc.option(fc.constant([]), { nil: null }), out_iova_alignment: u64 }) }),
  fc.record({ cmd: fc.constant(IOMMU_IOAS_ALLOW_IOVAS), arg: fc.record({ size: u32, ioas_id: fc.integer({ min: 0, max: 4 }), num_iovas: fc.integer({ min: 0, max: 6 }), __reserved: u32, allowed_iovas: ranges }) }),
  fc.record({ cmd: fc.constant(IOMMU_OPTION), arg: fc.record({ size: u32, option_id: u32, op: fc.integer({ min: 0, max: 3 }), __reserved: fc.integer({ min: 0, max: 1 }), object_id: fc.integer({ min: 0, max: 4 }), val64: u64 }) }),
  fc.record({ cmd: fc.constant(IOMMU_VFIO_IOAS), arg: fc.record({ size: u32, ioas_id: fc.integer({ min: 0, max: 4 }), op: fc.integer({ min: 0, max: 4 }), __reserved: fc.integer({ min: 0, max: 1 }), trailing: fc.boolean() }) }),
  fc.record({ cmd: fc.constantFrom(VFIO_DEVICE_BIND_IOMMUFD, VFIO_DEVICE_ATTACH_IOMMUFD_PT, VFIO_DEVICE_DETACH_IOMMUFD_PT), arg: fc.record({ argsz: u32, flags: fc.integer({ min: 0, max: 2 }), iommufd: fc.integer({ min: -2, max: 5 }), pt_id: fc.integer({ min: 0, max: 5 }), out_devid: fc.constant(0) }) }),
  fc.record({ cmd: fc.integer({ min: 0, max: 0xffff }), arg: fc.constant(null) }),
);

describe('fuzz: the iommufd ioctls with arbitrary structs', () => {
  it('never throw a JS exception; every result is 0 or a kernel errno', () => {
    fc.assert(fc.property(fc.array(cmdArb, { minLength: 1, maxLength: 12 }), (cmds) => {
      const { m, t } = setup({ caps: [], memlock: 64 * 1024 });
      const mm = t.mm!;
      const vma = anon_vma(m, mm, VA, 8 * PAGE_SIZE);
      const results = run1(m, t, function* (k) {
        iommufd_init(k);
        pci_device(k);
        yield* prefault(k, mm, vma, VA, 8 * PAGE_SIZE);
        const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
        const dev = yield* sys_open(k, '/dev/vfio/devices/vfio0', O_RDWR);
        yield* alloc(k, fd);
        const out: number[] = [];
        for (const { cmd, arg } of cmds) {
          const onDev = cmd === VFIO_DEVICE_BIND_IOMMUFD || cmd === VFIO_DEVICE_ATTACH_IOMMUFD_PT || cmd === VFIO_DEVICE_DETACH_IOMMUFD_PT;
          out.push(yield* ioctl(k, onDev ? dev : fd, cmd, arg === null ? null : { ...arg }));
        }
        return out;
      });
      for (const r of results) expect(Number.isInteger(r) && r <= 0 && r > -4096, `result ${r}`).toBe(true);
      expect(m.reports.filter((x) => x.kind === 'bug')).toEqual([]);
    }), { numRuns: 150, seed: 14 });
  });
});
