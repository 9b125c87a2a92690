/**
 * Registry entries for drivers/vfio/: the type1 IOMMU backend and the container/group layer.
 *
 * The seed pair (3567813eae5e 'vfio-longterm-via-gup') lives in seed.ts. Every id here
 * was seen in a Fixes: tag, a commit list or a stable backport note (see the summary of
 * each entry); the trees read are 5.4.1, 5.6.4, Debian 6.1.192 and Debian 6.12.117
 * (docs/kernel-map.md). A change that landed between 5.6 and 6.1 is
 * listed under v6.1 (Debian 6.1.192 also carries several 6.3 fixes as stable backports);
 * a change between 6.1 and 6.12 under v6.12.
 */
import type { PatchInfo, ReleaseAdds } from './types.js';

export const vfioPatches = {
  'vfio-pin-user-pages': {
    subject: 'vfio, mm: pin_user_pages (FOLL_PIN) and put_user_page() conversion',
    commit: '19fed0dae94d',
    author: 'John Hubbard',
    release: 'v5.6',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'neutral',
    summary:
      'vaddr_get_pfn() pins with pin_user_pages_remote() (FOLL_PIN) instead of get_user_pages_remote(), and ' +
      'put_pfn() releases with unpin_user_pages_dirty_lock(page, 1, prot & IOMMU_WRITE) instead of ' +
      'SetPageDirty() + put_page(). In 5.6 pin_user_pages_remote() is an alias of get_user_pages_remote(), ' +
      'so the observable change comes with the GUP FOLL_PIN accounting of later releases. Upstream it sits on ' +
      'top of 3567813eae5e; the model reads it only in put_pfn() and in the 5.6 body of vaddr_get_pfn(), so an ' +
      'ablation without the seed pair stays meaningful.',
    scenarios: ['vfio/map-dma-anon'],
  },
  'vfio-pfnmap-fault': {
    subject: 'vfio/type1: Support faulting PFNMAP vmas',
    commit: '41311242221e',
    author: 'Alex Williamson',
    release: 'v5.8',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'changes-verdict',
    summary:
      'The VM_PFNMAP fallback of vaddr_get_pfn() no longer computes the pfn linearly from vm_pgoff: ' +
      'follow_fault_pfn() reads the PTE, faults it in with fixup_user_fault() if absent (retrying the VMA ' +
      'lookup when the lock was dropped), refuses a device-writable mapping through a read-only PTE (-EFAULT), ' +
      'and a pfn that is neither invalid nor reserved is -EFAULT instead of keeping the GUP error.',
    scenarios: ['vfio/map-bar-readonly'],
  },
  'vfio-dirty-tracking': {
    subject: 'vfio iommu: Implementation of ioctl for dirty pages tracking',
    commit: 'd6a4c185660c',
    author: 'Kirti Wankhede',
    release: 'v5.8',
    files: ['drivers/vfio/vfio_iommu_type1.c', 'include/uapi/linux/vfio.h'],
    effect: 'changes-verdict',
    summary:
      'VFIO_IOMMU_DIRTY_PAGES (START/STOP/GET_BITMAP, v2 only), per-mapping dirty bitmaps at the minimum IOMMU ' +
      'page size, VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP, and the MIGRATION capability of GET_INFO (same series). ' +
      'Externally pinned iovas are marked dirty; a group without pinned-page dirty scope makes every mapped page dirty.',
    scenarios: ['vfio/dirty-pages', 'vfio/get-info-caps'],
  },
  'vfio-dma-avail-cap': {
    subject: 'vfio iommu: Add dma available capability',
    commit: '7d6e1329652e',
    author: 'Matthew Rosato',
    release: 'v5.10',
    files: ['drivers/vfio/vfio_iommu_type1.c', 'include/uapi/linux/vfio.h'],
    effect: 'changes-verdict',
    summary: 'VFIO_IOMMU_GET_INFO reports the remaining dma_entry_limit budget (capability id 3, dma_avail).',
    scenarios: ['vfio/get-info-caps'],
  },
  'vfio-batch-pinning': {
    subject: 'vfio/type1: Batch page pinning',
    commit: '4d83de6da265',
    author: 'Daniel Jordan',
    release: 'v5.12',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'neutral',
    summary:
      'vfio_pin_pages_remote() fills a struct vfio_batch of up to 512 pages per pin_user_pages_remote() call ' +
      '(vaddr_get_pfns(), returning a page count) and keeps pages left over after a discontiguity for the next ' +
      'chunk; capacity 1 with disable_hugepages. Same chunks, same accounting, fewer GUP calls. Includes the ' +
      'preparatory vaddr_get_pfns()/struct vfio_batch change of the same series (its id is not recorded here).',
    scenarios: ['vfio/map-dma-anon'],
  },
  'vfio-unmap-all': {
    subject: 'vfio/type1: implement unmap all',
    commit: 'c19650995374',
    author: 'Steve Sistare',
    release: 'v5.12',
    files: ['drivers/vfio/vfio_iommu_type1.c', 'include/uapi/linux/vfio.h'],
    effect: 'changes-verdict',
    summary:
      'VFIO_DMA_UNMAP_FLAG_ALL (iova and size must be 0) removes every mapping; CHECK_EXTENSION(VFIO_UNMAP_ALL) = 1. ' +
      'Before it the flag is an unknown bit (-EINVAL).',
    scenarios: ['vfio/unmap-all'],
  },
  'vfio-update-vaddr': {
    subject: 'vfio/type1: implement interfaces to update vaddr',
    commit: 'c3cbab24db38',
    author: 'Steve Sistare',
    release: 'v5.12',
    files: ['drivers/vfio/vfio_iommu_type1.c', 'include/uapi/linux/vfio.h'],
    effect: 'changes-verdict',
    summary:
      'VFIO_DMA_UNMAP_FLAG_VADDR marks mappings vaddr-invalid (pins and IOMMU entries stay); VFIO_DMA_MAP_FLAG_VADDR ' +
      'supplies the new vaddr for an identical iova/size (-ENOENT without a mapping, -EINVAL otherwise); ' +
      'MAP needs exactly one of {READ|WRITE, VADDR}. CHECK_EXTENSION(VFIO_UPDATE_VADDR) = 1.',
    scenarios: ['vfio/update-vaddr'],
  },
  'vfio-unpin-zero-page': {
    subject: 'vfio/type1: Unpin zero pages',
    commit: '873aefb376bb',
    author: 'Alex Williamson',
    release: 'v6.0',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-batch-pinning'],
    effect: 'changes-verdict',
    summary:
      'vaddr_get_pfns() unpins every zero page GUP returned right away (put_pfn() never would: the zero page is ' +
      'PageReserved), ending the one-reference-per-mapping leak of READ-only maps of untouched anonymous memory.',
    scenarios: ['vfio/zero-page-ref-leak'],
  },
  'vfio-dma-ownership': {
    subject: 'vfio: Set DMA ownership for VFIO devices',
    commit: '70693f470848',
    author: 'Lu Baolu',
    release: 'v5.19',
    files: ['drivers/vfio/vfio.c'],
    effect: 'changes-verdict',
    summary:
      'Group viability becomes DMA ownership: VFIO_GROUP_SET_CONTAINER claims the iommu group ' +
      '(iommu_group_claim_dma_owner(): -EPERM while a device of the group is bound to a kernel driver), instead ' +
      'of 5.4\'s late check in VFIO_GROUP_GET_DEVICE_FD (-EINVAL for a non-viable group). GET_STATUS reports ' +
      'VIABLE from the ownership state.',
    scenarios: ['vfio/group-kernel-driver'],
  },
  'vfio-main-rename': {
    subject: 'vfio: Move vfio.c to vfio_main.c',
    commit: '0f3e72b5c8cf',
    author: 'Jason Gunthorpe',
    release: 'v6.0',
    files: ['drivers/vfio/vfio.c', 'drivers/vfio/vfio_main.c'],
    effect: 'neutral',
    summary:
      'drivers/vfio/vfio.c is renamed vfio_main.c (so the module can gain more files). Same behaviour; only the ' +
      'file an errno reason or a WARN names changes (src/linux/drivers/vfio/sites.ts). Read: 5.15.24 has vfio.c, ' +
      'Debian 6.1.192 vfio_main.c. Id: the vfio tree head linux-next merged in July 2022 ("Merging vfio/next ' +
      '(0f3e72b5c8cf ...)"), pulled for v6.0 as a one-commit shared branch.',
    scenarios: [],
  },
  'vfio-container-c': {
    subject: 'vfio: Move container code into drivers/vfio/container.c',
    commit: 'cdc71fe4ecbf',
    author: 'Jason Gunthorpe',
    release: 'v6.1',
    files: ['drivers/vfio/vfio_main.c', 'drivers/vfio/container.c'],
    requires: ['vfio-main-rename'],
    effect: 'neutral',
    summary:
      'The container code (the /dev/vfio/vfio fops, VFIO_SET_IOMMU, attaching groups, and then vfio_pin_pages()) ' +
      'moves from vfio_main.c into container.c. Same behaviour; only the file an errno reason or a WARN names ' +
      'changes (sites.ts). Read: Debian 6.1.192 has container.c. Id: the vfio tree\'s v6.1 commit lists (the same ' +
      'id in each; posted 30 August 2022).',
    scenarios: [],
  },
  'vfio-group-ioctl-split': {
    subject: 'vfio: Follow the naming pattern for vfio_group_ioctl_unset_container()',
    commit: 'b3b43590fa27',
    author: 'Jason Gunthorpe',
    release: 'v6.1',
    files: ['drivers/vfio/vfio_main.c'],
    effect: 'neutral',
    summary:
      'The group ioctls are one function each, named vfio_group_ioctl_<ioctl>() (set_container, unset_container, ' +
      'get_device_fd, get_status); this commit completes the naming of the "vfio: Split the group ioctls" series ' +
      '(v2, 31 August 2022, v6.1), whose other steps fold VFIO_GROUP_SET_CONTAINER and VFIO_GROUP_GET_DEVICE_FD into ' +
      'their functions; the model switches the names on it alone (sites.ts vfio_group_ioctl_site). Read: 5.15.24 ' +
      'vfio_group_set_container() etc., Debian 6.1.192 vfio_group_ioctl_set_container() etc. Id: the vfio tree\'s ' +
      'v6.1 commit lists.',
    scenarios: [],
  },
  'vfio-exclude-mdev-update-vaddr': {
    subject: 'vfio/type1: exclude mdevs from VFIO_UPDATE_VADDR',
    commit: 'ef3a3f6a294b',
    author: 'Steve Sistare',
    release: 'v6.3',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-update-vaddr'],
    effect: 'changes-verdict',
    summary:
      'UNMAP_DMA|VADDR with an emulated (mdev) group attached is -EBUSY; CHECK_EXTENSION(VFIO_UPDATE_VADDR) is 1 only ' +
      'for a set container without emulated groups; vfio_pin_pages()/dma_rw() with any invalid vaddr WARN and fail ' +
      '-EBUSY. In Debian 6.1.192 via stable.',
    scenarios: ['vfio/update-vaddr-mdev'],
  },
  'vfio-cap-align': {
    subject: 'vfio: align capability structures',
    commit: 'a881b496941f',
    author: 'Stefan Hajnoczi',
    release: 'v6.6',
    files: ['drivers/vfio/vfio_main.c', 'include/uapi/linux/vfio.h', 'drivers/iommu/iommufd/vfio_compat.c'],
    effect: 'changes-verdict',
    summary:
      'vfio_info_cap_add() rounds every capability up to 8 bytes, so the next one in the chain is u64 aligned: ' +
      'the 12-byte DMA_AVAIL capability takes 16, and the argsz GET_INFO asks for grows (Debian 6.1.192: ' +
      '116 bytes for MIGRATION + DMA_AVAIL + two IOVA ranges; 6.12.117: 120, both seen on the real kernels). ' +
      'The same series pads the iommufd VFIO compat GET_INFO chain (iommufd_vfio_iommu_get_info: 6.5.3 has no ' +
      'padding, 6.6.9 has). Id from the vfio pull request for v6.6 and the torvalds/linux post-receive list of ' +
      '31 August 2023; the 6.1 and 6.12 vfio_info_cap_add() bodies were read.',
    scenarios: ['vfio/get-info-caps'],
  },
  'vfio-dma-mm-owner': {
    subject: 'vfio/type1: prevent underflow of locked_vm via exec()',
    commit: '046eca5018f8',
    author: 'Steve Sistare',
    release: 'v6.3',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'changes-verdict',
    summary:
      'struct vfio_dma records the mm of MAP_DMA (mmgrab) and vfio_lock_acct() charges and un-charges that mm, ' +
      'not dma->task->mm, so an exec() that replaced the mm no longer makes un-accounting hit the new mm. ' +
      'External pins use dma->mm (mmget_not_zero). In Debian 6.1.192 via stable. (The same-mm test of ' +
      'vfio_dma_do_unmap() went earlier, in v6.0: vfio-unmap-any-mm.)',
    scenarios: ['vfio/exec-then-close-accounting'],
  },
  'vfio-locked-vm-per-dma': {
    subject: 'vfio/type1: track locked_vm per dma',
    commit: '18e292705ba2',
    author: 'Steve Sistare',
    release: 'v6.3',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-dma-mm-owner'],
    effect: 'neutral',
    summary: 'vfio_lock_acct() keeps a per-mapping dma->locked_vm total of what it charged. In Debian 6.1.192 via stable.',
    scenarios: ['vfio/map-dma-anon'],
  },
  'vfio-restore-locked-vm': {
    subject: 'vfio/type1: restore locked_vm',
    commit: '90fdd158a695',
    author: 'Steve Sistare',
    release: 'v6.3',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-locked-vm-per-dma', 'vfio-update-vaddr'],
    effect: 'changes-verdict',
    summary:
      'MAP_DMA|VADDR from a different mm moves the mapping\'s dma->locked_vm charge to the caller\'s mm ' +
      '(vfio_change_dma_owner(): charge the new mm first, -ENOMEM if over its limit, then un-charge the old mm ' +
      'if it is still alive) and re-samples CAP_IPC_LOCK. In Debian 6.1.192 via stable.',
    scenarios: ['vfio/update-vaddr-new-mm'],
  },
  'vfio-no-vaddr-wait': {
    subject: 'vfio/type1: revert "block on invalid vaddr"',
    commit: 'da4f1c2e1c9c',
    author: 'Steve Sistare',
    release: 'v6.3',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-update-vaddr'],
    effect: 'changes-verdict',
    summary:
      'Paths that need a vaddr (external pin, dma_rw, replay on attach) no longer sleep until MAP_DMA|VADDR; they ' +
      'fail (-EBUSY) instead. Debian 6.1.192 behaves so (its pin/dma_rw/attach refuse with -EBUSY before the wait ' +
      'helpers, which are still compiled in but unreachable); the exact backport commit there is UNVERIFIED.',
    scenarios: ['vfio/update-vaddr-mdev'],
  },
  'vfio-revert-unpin-zero-page': {
    subject: 'Revert "vfio/type1: Unpin zero pages"',
    commit: '5b992412776c',
    author: 'Alex Williamson',
    release: 'v6.9',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-unpin-zero-page'],
    effect: 'neutral',
    summary:
      'Removes the zero-page unpin loop of vaddr_get_pfns(): since c8070b787519 GUP never takes a reference on the ' +
      'zero page, so there is nothing to drop (present in 6.12.117: the loop is absent).',
    scenarios: ['vfio/zero-page-ref-leak'],
  },
  'vfio-remove-type1-nesting': {
    subject: 'vfio: Remove VFIO_TYPE1_NESTING_IOMMU',
    commit: '35890f85573c',
    author: 'Jason Gunthorpe',
    release: 'v6.13',
    files: ['drivers/vfio/vfio_iommu_type1.c', 'include/uapi/linux/vfio.h'],
    effect: 'changes-verdict',
    summary:
      'The nesting container type is retired: type1\'s CHECK_EXTENSION(6) answers 0, so VFIO_SET_IOMMU with it ' +
      'finds no driver (drivers/vfio/container.c offers a type only to drivers whose CHECK_EXTENSION is > 0: ' +
      '-ENODEV); type1\'s open() keeps the number as __VFIO_RESERVED_TYPE1_NESTING_IOMMU meaning v2, which only a ' +
      'direct caller could reach. Before it (5.4.1 to 6.12.118) CHECK_EXTENSION answers 1 and the first ' +
      'group attach asks the new domain for nesting (5.6.4: iommu_domain_set_attr(DOMAIN_ATTR_NESTING), which ' +
      'Intel VT-d grants only on hardware with nested translation (-ENODEV otherwise) and AMD-Vi refuses; ' +
      '6.12.118: iommu_enable_nesting(), which only the Arm SMMU drivers implement, so -EINVAL on x86): MODEL: the ' +
      'model has no per-driver nesting capability, so that attach is `unsupported` there. Mainline: the ' +
      'torvalds/linux post-receive list of 21 November 2024 (iommufd pull for v6.13); 6.18.26 read.',
    scenarios: ['vfio/check-extension-nesting'],
  },
  'vfio-iova-overflow': {
    subject: 'vfio/type1: sanitize for overflow using check_*_overflow()',
    commit: '6012379ede6a',
    author: 'Alex Mastro',
    release: 'v6.18',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'changes-verdict',
    summary:
      'An iova (or vaddr) range that wraps past 2^64 is -EOVERFLOW instead of -EINVAL in VFIO_IOMMU_MAP_DMA, ' +
      'VFIO_IOMMU_UNMAP_DMA and the dirty-bitmap GET_BITMAP; MAP_DMA now tests size 0 (-EINVAL) and the wrap ' +
      'before the READ/WRITE-versus-VADDR flag check and before taking iommu->lock, and only alignment stays under ' +
      'the lock. Merged for v6.18-rc4 with its series (1196f1f897d4 "vfio/type1: move iova increment to ' +
      'unmap_unpin_*() caller", ef270ec44637 "vfio/type1: handle DMA map/unmap up to the addressable limit"), ' +
      'torvalds/linux post-receive list of 31 October 2025; read in 6.18.26 (vfio_dma_do_map, vfio_dma_do_unmap, ' +
      'vfio_iommu_type1_dirty_pages). The two follow-ups make a mapping that ends exactly at 2^64 - 1 work; the ' +
      'modelled IOMMU\'s aperture ends at 2^48 - 1, so no scenario can reach that, and nothing reads them.',
    scenarios: ['vfio/map-iova-wrap'],
  },
  'vfio-unmap-any-mm': {
    subject: 'vfio: remove useless judgement',
    commit: 'ffed0518d871',
    author: 'Li Zhe',
    release: 'v6.0',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'changes-verdict',
    summary:
      'vfio_dma_do_unmap() no longer stops at a mapping whose dma->task has another mm than the caller: any holder ' +
      'of the container fd (a forked child) unmaps. Listed in the vfio pull for v6.0-rc1 ("Remove requirement that ' +
      'only the same mm can unmap a previously mapped range"); the id is the one Steve Sistare quotes for it on ' +
      'the list and the one in a mainline commit list.',
    scenarios: ['vfio/unmap-by-forked-child'],
  },
  'vfio-pin-pages-device-open': {
    subject: 'vfio: Remove calls to vfio_group_add_container_user()',
    commit: 'eadd86f835c6',
    author: 'Jason Gunthorpe',
    release: 'v5.19',
    files: ['drivers/vfio/vfio.c'],
    effect: 'changes-verdict',
    summary:
      'vfio_pin_pages() (and vfio_unpin_pages(), vfio_dma_rw()) no longer takes a container user of the group for the ' +
      'call: it asserts that the vfio_device is open (vfio_assert_device_open(): WARN, -EINVAL) and uses the container ' +
      'the open device keeps. Before it (5.15.24 vfio_pin_pages) a pin through a device nobody had opened got its ' +
      'container user and failed in type1 instead (-EINVAL: no DMA-unmap notifier, which the vendor driver registers ' +
      'when its device is opened), without a WARN. Read in Debian 6.1.192 container.c (where the check moved). In ' +
      'the "VFIO updates for v5.19-rc1" pull; full id from a mainline commit list and a later Fixes: tag ' +
      '(Anthony DeRossi, vfio/pci open_count).',
    scenarios: [],
  },
  'vfio-pin-pages-struct-page': {
    subject: 'vfio: Replace phys_pfn with pages for vfio_pin_pages()',
    commit: '34a255e67615',
    author: 'Nicolin Chen',
    release: 'v6.0',
    files: ['drivers/vfio/vfio.c', 'drivers/vfio/vfio_iommu_type1.c', 'include/linux/vfio.h'],
    effect: 'changes-verdict',
    summary:
      'vfio_pin_pages() hands the vendor driver struct page pointers instead of pfns, so type1 refuses (-EINVAL) an ' +
      'external pin that resolves to a pfn without a struct page (vfio_iommu_type1_pin_pages). Id from the Fixes: tags ' +
      'of later fixes; in the vfio pull for v6.0-rc1.',
    folds: [
      { change: 'vfio_pin_pages() takes a starting IOVA instead of an array of user pfns ("vfio: Pass in starting IOVA to vfio_pin/unpin_pages API", Nicolin Chen, the same v6.0 series; id from the vfio tree\'s commit lists). MODEL: the model\'s call passes an IOVA on every release (5.4\'s array is taken as the run from it), so only the argument checks read with the entry change', commit: '44abdd1646e1', from: 'v6.0', by: 'v6.0' },
    ],
    scenarios: [],
  },
  'vfio-unpin-pages-void': {
    subject: 'vfio: Make vfio_unpin_pages() return void',
    commit: 'e8f90717ed3b',
    author: 'Nicolin Chen',
    release: 'v6.0',
    files: ['drivers/vfio/vfio.c', 'drivers/vfio/vfio_iommu_type1.c', 'include/linux/vfio.h'],
    effect: 'changes-verdict',
    summary:
      'vfio_unpin_pages() and the type1 unpin_pages op return nothing: a count out of range or a page without a ' +
      'mapping WARNs; before it they returned the number unpinned, -EINVAL or -EACCES. In the vfio pull for ' +
      'v6.0-rc1; the id is the one in the linux-next commit list of 26 July 2022, next to the rest of the series.',
    scenarios: [],
  },
  'vfio-group-fd-lifecycle': {
    subject: 'vfio: Simplify the life cycle of the group FD',
    commit: 'b76c0eed7486',
    author: 'Jason Gunthorpe',
    release: 'v5.19',
    files: ['drivers/vfio/vfio.c'],
    effect: 'neutral',
    summary:
      'open(2) of /dev/vfio/<group>: 5.4 refuses a second open (-EBUSY from the `opened` flag) and also an open while ' +
      'the group is still in a container from an earlier open whose device fds are alive (-EBUSY); from this ' +
      'patch the open runs under group_lock and checks only opened_file, because every device fd now holds a ' +
      'reference on the group file (vfio_device_assign_container), so the group release (which takes the group ' +
      'out of its container) waits for the last device fd. The errno seen by a program is the same (-EBUSY) in ' +
      'both designs; the model reads the patch in vfio_group_fops_open/_release and the device fd open/release.',
    scenarios: ['vfio/group-open-busy'],
  },
  'vfio-pin-pages-pfn-valid': {
    subject: 'vfio/type1: check pfn valid before converting to struct page',
    commit: '4752354af710',
    author: 'Yan Zhao',
    release: 'v6.4',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    requires: ['vfio-pin-pages-struct-page'],
    effect: 'changes-verdict',
    summary:
      'vfio_iommu_type1_pin_pages() refuses (-EINVAL, unwinding) an external pin whose pfn has no struct page ' +
      '(pfn_valid() false, e.g. a VM_PFNMAP mapping of MMIO) instead of handing the vendor driver pfn_to_page() of ' +
      'it. Fixes: 34a255e67615. In the mainline commit lists of May 2023 (v6.4-rc) and the 6.3.y stable queue; ' +
      'Debian 6.1.192 has it (read: the pfn_valid() test before vfio_add_to_pfn_list), 6.2.12 does not (read). ' +
      'MODEL: without it the bogus struct page pointer is a model limit (unsupported), not a value.',
    scenarios: [],
  },
  'vfio-type1-ioctl-refactor': {
    subject: 'vfio/type1: Refactor vfio_iommu_type1_ioctl()',
    commit: 'ccd59dce1a21',
    author: 'Liu Yi L',
    release: 'v5.9',
    files: ['drivers/vfio/vfio_iommu_type1.c'],
    effect: 'neutral',
    summary:
      'The GET_INFO, MAP_DMA, UNMAP_DMA and DIRTY_PAGES branches of vfio_iommu_type1_ioctl() move into ' +
      'vfio_iommu_type1_get_info(), _map_dma(), _unmap_dma() and _dirty_pages() (read: 5.8.1 has one ioctl ' +
      'function, 5.9.1 the helpers). Same checks in the same order; only the function an errno reason names ' +
      'changes. The id is the one the vfio/next merges of linux-next show for the v5.9 merge window.',
    scenarios: [],
  },
  'vfio-group-c': {
    subject: 'vfio: Move vfio group specific code into group.c',
    commit: '9eefba8002c2',
    author: 'Yi Liu',
    release: 'v6.2',
    files: ['drivers/vfio/group.c', 'drivers/vfio/vfio_main.c', 'drivers/vfio/container.c'],
    effect: 'neutral',
    summary:
      'The group code (open/release of /dev/vfio/<group>, the group ioctls) moves from vfio_main.c into group.c ' +
      '(read: Debian 6.1.192 has no group.c, 6.2.12 has). Same behaviour; only the file an errno reason or a WARN ' +
      'names changes (src/linux/drivers/vfio/sites.ts). Id from the Fixes: tag of a later group.c fix.',
    folds: [
      { change: 'vfio_pin_pages()/vfio_unpin_pages() move from container.c back to vfio_main.c ("vfio: Refactor dma APIs for emulated devices", 8da7a0e79f9b, the same series; read: container.c in 6.1.192, vfio_main.c in 6.12.118)', commit: '8da7a0e79f9b', from: 'v6.2', by: 'v6.2' },
    ],
    scenarios: [],
  },
  'vfio-group-iommufd': {
    subject: 'vfio-iommufd: Allow iommufd to be used in place of a container fd',
    commit: '2bbe2562ade7',
    author: 'Jason Gunthorpe',
    release: 'v6.2',
    files: ['drivers/vfio/vfio_main.c', 'drivers/vfio/iommufd.c', 'include/linux/iommufd.h'],
    effect: 'changes-verdict',
    summary:
      'VFIO_GROUP_SET_CONTAINER accepts an iommufd in place of a container: a file that is not a container is ' +
      'passed to iommufd_ctx_from_file(), and a file it does not recognise fails -EBADFD where 6.1 says -EINVAL, ' +
      'with or without CONFIG_IOMMUFD (judged on the real Debian 6.12 kernel). Read in 6.2.12 and Debian 6.12.118 group.c; ' +
      '6.1.192 has no iommufd path. The id is the one of the iommufd tree\'s for-next in the linux-next list of ' +
      'December 2022, merged for v6.2.',
    scenarios: ['vfio/set-container-not-container'],
  },
} as const satisfies Record<string, PatchInfo>;

/** Stable backports of this area per release tree (patches in by first release need no listing). */
export const vfioReleaseAdds: ReleaseAdds<keyof typeof vfioPatches> = {
  // Debian 6.1.192 carries Steve Sistare's 6.3 VFIO_UPDATE_VADDR / locked_vm fixes (read there).
  'v6.1': ['vfio-exclude-mdev-update-vaddr', 'vfio-dma-mm-owner', 'vfio-locked-vm-per-dma', 'vfio-restore-locked-vm', 'vfio-no-vaddr-wait', 'vfio-pin-pages-pfn-valid'],
  // 6.2.12 carries the same five Sistare fixes (read; v6.2 inherits them from v6.1) but not 4752354af710
  // (v6.2 drops it, releases.ts).
};
