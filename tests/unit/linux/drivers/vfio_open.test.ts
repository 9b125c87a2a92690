/**
 * open(2) of the VFIO nodes: /dev/vfio/vfio (the "vfio" misc device, VFIO_MINOR) and
 * /dev/vfio/<group> (the group's char device), through sys_open → do_dentry_open →
 * misc_open / the group's fops — drivers/vfio/vfio.c (5.4.1), vfio_main.c + container.c
 * (Debian 6.1.192), group.c + container.c (6.12.117); b76c0eed7486 for the group file's
 * life cycle.
 */
import { describe, expect, it } from 'vitest';
import { O_RDONLY, O_RDWR, close_fd, fget, fput } from '../../../../src/linux/include/linux/fs.js';
import type { file } from '../../../../src/linux/include/linux/fs.js';
import { EBUSY, ENOENT } from '../../../../src/linux/include/uapi/linux/errno.js';
import {
  VFIO_API_VERSION, VFIO_GET_API_VERSION, VFIO_GROUP_GET_DEVICE_FD, VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU,
} from '../../../../src/linux/include/uapi/linux/vfio.js';
import { VFIO_MINOR, misc_register } from '../../../../src/linux/drivers/char/misc.js';
import { vfio_container_from_file, vfio_fops, vfio_init } from '../../../../src/linux/drivers/vfio/container.js';
import { vfio_subsys_of } from '../../../../src/linux/drivers/vfio/vfio.js';
import { sys_open } from '../../../../src/linux/syscalls.js';
import { PROFILES, ioctl, machine, pci_device, run, run1, task } from './support.js';

describe.each(PROFILES)('open(2) of /dev/vfio/* on %s', (profile) => {
  const fdLifecycle = profile === 'v6.1' || profile === 'v6.12';

  it('/dev/vfio/vfio is the vfio misc device: a new empty container per open, O_RDONLY included', () => {
    const m = machine(profile);
    const t = task(m);
    const out = run1(m, t, function* (k) {
      vfio_init(k);
      const ro = yield* sys_open(k, '/dev/vfio/vfio', O_RDONLY);
      const rw = yield* sys_open(k, '/dev/vfio/vfio', O_RDWR);
      const f1 = fget(k, ro) as file;
      const f2 = fget(k, rw) as file;
      const same = vfio_container_from_file(f1) === vfio_container_from_file(f2);
      const res = { ro, rw, fop: f1.f_op === vfio_fops, container: vfio_container_from_file(f1) !== null, same, api: yield* ioctl(k, ro, VFIO_GET_API_VERSION, 0) };
      yield* fput(k, f1);
      yield* fput(k, f2);
      return res;
    });
    expect(out).toEqual({ ro: 0, rw: 1, fop: true, container: true, same: false, api: VFIO_API_VERSION });
    expect(m.misc.get(VFIO_MINOR)?.name).toBe('vfio');
    expect((m.inodes.get('/dev/vfio/vfio')?.i_mode ?? 0) & 0o777).toBe(0o666);
  });

  it('misc_register of a taken minor is -EBUSY; vfio_init is idempotent', () => {
    const m = machine(profile);
    const out = run1(m, task(m), function* (k) {
      const first = vfio_init(k);
      const second = vfio_init(k);
      yield* ioctl(k, -1, 0, 0);
      return { first, second, clash: misc_register(k, { minor: VFIO_MINOR, name: 'other', fops: vfio_fops, nodename: null, mode: 0o600 }) };
    });
    expect(out).toEqual({ first: 0, second: 0, clash: -EBUSY });
    expect(m.inodes.has('/dev/other')).toBe(false);
  });

  it('a group opens once (-EBUSY for the second open); an unknown group has no node (-ENOENT) and gives its fd back', () => {
    const m = machine(profile);
    const out = run1(m, task(m), function* (k) {
      const vdev = pci_device(k);
      const g = yield* sys_open(k, `/dev/vfio/${vdev.group.id}`, O_RDWR);
      const again = yield* sys_open(k, `/dev/vfio/${vdev.group.id}`, O_RDONLY);
      const none = yield* sys_open(k, '/dev/vfio/4242', O_RDWR);
      const next = yield* sys_open(k, '/dev/vfio/vfio', O_RDWR);
      yield* close_fd(k, g);
      const reopen = yield* sys_open(k, `/dev/vfio/${vdev.group.id}`, O_RDONLY);
      return { g, again, none, next, reopen };
    });
    expect(out).toEqual({ g: 0, again: -EBUSY, none: -ENOENT, next: 1, reopen: 0 });
  });

  it('a device fd outliving its group fd keeps the group busy until it closes (5.4: container still set; b76c0eed7486: the device holds the group file)', () => {
    const m = machine(profile);
    const out = run1(m, task(m), function* (k) {
      const vdev = pci_device(k);
      const path = `/dev/vfio/${vdev.group.id}`;
      const c = yield* sys_open(k, '/dev/vfio/vfio', O_RDWR);
      const g = yield* sys_open(k, path, O_RDWR);
      yield* ioctl(k, g, VFIO_GROUP_SET_CONTAINER, c);
      yield* ioctl(k, c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
      const d = yield* ioctl(k, g, VFIO_GROUP_GET_DEVICE_FD, vdev.dev.name);
      const gf = fget(k, g) as file;
      const countWithDevice = gf.f_count - 1;
      yield* fput(k, gf);
      yield* close_fd(k, g);
      const grp = vfio_subsys_of(k).groups.get(vdev.group.id);
      const afterGroupClose = { opened: grp?.opened_file !== null, container: grp?.container !== null };
      const busy = yield* sys_open(k, path, O_RDWR);
      yield* close_fd(k, d);
      const afterDeviceClose = { opened: grp?.opened_file !== null, container: grp?.container !== null };
      const ok = yield* sys_open(k, path, O_RDWR);
      return { countWithDevice, afterGroupClose, busy, afterDeviceClose, ok };
    });
    expect(out.busy).toBe(-EBUSY);
    expect(out.ok).toBeGreaterThanOrEqual(0);
    expect(out.afterDeviceClose).toEqual({ opened: false, container: false });
    if (fdLifecycle) {
      // The device fd holds a reference on the group file: closing the group fd runs no release.
      expect(out.countWithDevice).toBe(2);
      expect(out.afterGroupClose).toEqual({ opened: true, container: true });
    } else {
      // 5.4: the release runs (opened cleared) but the device keeps the container set.
      expect(out.countWithDevice).toBe(1);
      expect(out.afterGroupClose).toEqual({ opened: false, container: true });
    }
  });

  it('two threads opening the same group: exactly one gets it', () => {
    const m = machine(profile);
    const t = task(m);
    let path = '';
    run1(m, t, function* (k) {
      path = `/dev/vfio/${pci_device(k).group.id}`;
      yield* ioctl(k, -1, 0, 0);
    });
    const { results } = run(m, [
      { task: t, body: (k) => sys_open(k, path, O_RDWR) },
      { task: t, body: (k) => sys_open(k, path, O_RDWR) },
    ]);
    expect([...results].sort()).toEqual([-EBUSY, 0].sort());
  });
});
