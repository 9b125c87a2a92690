/**
 * iommufd_fops_ioctl() per release: which command numbers the ioctl table has (issue 14).
 * A number the release's table lacks is -ENOTTY (past the end: the VFIO compat ioctls do not
 * know it; inside: a hole, -ENOIOCTLCMD); a command the release has but the model does not
 * implement answers `unsupported` (-ENOSYS and a report), never an errno the kernel would not give.
 * Tables read: 6.2.12 and 6.5.3 end at IOMMU_VFIO_IOAS (0x88), 6.6.9 at IOMMU_GET_HW_INFO (0x8a),
 * 6.8.0 and 6.9.0 at IOMMU_HWPT_INVALIDATE (0x8d), 6.11.11 and Debian 6.12.118 at
 * IOMMU_FAULT_QUEUE_ALLOC (0x8e), 6.14.0 at IOMMU_IOAS_CHANGE_PROCESS (0x92), 6.17.0 and 6.18.26 at
 * IOMMU_HW_QUEUE_ALLOC (0x94); the numbers are the uapi enum's of the same trees.
 */
import { describe, expect, it } from 'vitest';
import { O_RDWR } from '../../../../src/linux/include/linux/fs.js';
import { ENOSYS, ENOTTY } from '../../../../src/linux/include/uapi/linux/errno.js';
import { IOMMUFD_TYPE } from '../../../../src/linux/include/uapi/linux/iommufd.js';
import { sys_open } from '../../../../src/linux/syscalls.js';
import { iommufd_init } from '../../../../src/linux/drivers/iommu/iommufd/main.js';
import { ioctl, machine, run1, task } from './support.js';

/** The unmodelled command numbers 0x89 (IOMMU_HWPT_ALLOC) to 0x8e (IOMMU_FAULT_QUEUE_ALLOC), 0x93 and 0x94 (6.15, 6.17). */
const NRS = [0x89, 0x8a, 0x8b, 0x8c, 0x8d, 0x8e, 0x93, 0x94];

/** Each number's answer on `profile`: the errno, or 'unsupported' (-ENOSYS with an unsupported report). */
function answers(profile: string): Record<string, number | 'unsupported'> {
  const m = machine(profile);
  const t = task(m);
  return run1(m, t, function* (k) {
    iommufd_init(k);
    const fd = yield* sys_open(k, '/dev/iommu', O_RDWR);
    expect(fd).toBeGreaterThanOrEqual(0);
    const out: Record<string, number | 'unsupported'> = {};
    for (const nr of NRS) {
      const before = k.m.reports.filter((r) => r.kind === 'unsupported').length;
      const r = yield* ioctl(k, fd, (IOMMUFD_TYPE << 8) | nr, { size: 64 });
      const unsupported = k.m.reports.filter((x) => x.kind === 'unsupported').length > before;
      if (unsupported) expect(r).toBe(-ENOSYS);
      out[`0x${nr.toString(16)}`] = unsupported ? 'unsupported' : r;
    }
    return out;
  });
}

const T = -ENOTTY;
const U = 'unsupported';

describe('iommufd command numbers per release', () => {
  it.each(['v6.2+iommufd', 'v6.5+iommufd'])('%s: the table ends at IOMMU_VFIO_IOAS, so 0x89-0x8e are -ENOTTY', (p) => {
    expect(answers(p)).toEqual({ '0x89': T, '0x8a': T, '0x8b': T, '0x8c': T, '0x8d': T, '0x8e': T, '0x93': T, '0x94': T });
  });

  it('v6.6+iommufd: IOMMU_HWPT_ALLOC and IOMMU_GET_HW_INFO exist (not modelled); 0x8b-0x8e are -ENOTTY', () => {
    expect(answers('v6.6+iommufd')).toEqual({ '0x89': U, '0x8a': U, '0x8b': T, '0x8c': T, '0x8d': T, '0x8e': T, '0x93': T, '0x94': T });
  });

  it('v6.12+iommufd: 0x89-0x8e exist (not modelled); the 6.15 and 6.17 commands are -ENOTTY', () => {
    expect(answers('v6.12+iommufd')).toEqual({ '0x89': U, '0x8a': U, '0x8b': U, '0x8c': U, '0x8d': U, '0x8e': U, '0x93': T, '0x94': T });
  });

  it('v6.18+iommufd: all of them exist (not modelled)', () => {
    expect(answers('v6.18+iommufd')).toEqual({ '0x89': U, '0x8a': U, '0x8b': U, '0x8c': U, '0x8d': U, '0x8e': U, '0x93': U, '0x94': U });
  });

  it('6.18 without IOMMU_HW_QUEUE_ALLOC ends its table at 0x93', () => {
    expect(answers('v6.18+iommufd-iommufd-hw-queue-alloc')).toEqual({ '0x89': U, '0x8a': U, '0x8b': U, '0x8c': U, '0x8d': U, '0x8e': U, '0x93': U, '0x94': T });
  });

  it('each command follows its own patch: 6.12 without the 6.8 and 6.11 commands ends at 0x8c', () => {
    expect(answers('v6.12+iommufd-iommufd-hwpt-invalidate-iommufd-fault-queue-alloc')).toEqual({ '0x89': U, '0x8a': U, '0x8b': U, '0x8c': U, '0x8d': T, '0x8e': T, '0x93': T, '0x94': T });
  });

  it('a hole in the table is -ENOTTY too: 6.12 without IOMMU_HWPT_ALLOC', () => {
    expect(answers('v6.12+iommufd-iommufd-hwpt-alloc')).toEqual({ '0x89': T, '0x8a': U, '0x8b': U, '0x8c': U, '0x8d': U, '0x8e': U, '0x93': T, '0x94': T });
  });
});
