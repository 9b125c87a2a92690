/**
 * The mm entry points VFIO calls, re-exported from their kernel homes in the memory
 * model: get_task_mm() and mmput() (kernel/fork.c → src/linux/kernel/fork.ts) and
 * fixup_user_fault() (mm/gup.c → src/linux/mm/gup.ts). VFIO imports them through this
 * module so that its call sites read as in drivers/vfio/vfio_iommu_type1.c.
 */
export { get_task_mm, mmput } from '../../kernel/fork.js';
export { fixup_user_fault } from '../../mm/gup.js';
