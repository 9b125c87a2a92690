/*
 * pinlab peer suite: compatibility shim for building the iommufd selftest of Debian's
 * linux-source-6.12 (6.12.118-1~deb12u1) against that same tree's uapi headers.
 *
 * That tree's tools/testing/selftests/iommu/ was updated by stable backports to a version that
 * uses three additions its kernel does not have: the IOMMU_GET_HW_INFO input type
 * (IOMMU_HW_INFO_FLAG_INPUT_TYPE, IOMMU_HW_INFO_TYPE_DEFAULT, the in_data_type name of the
 * out_data_type field) and the PASID-capable mock device (MOCK_FLAGS_DEVICE_PASID,
 * MOCK_PASID_WIDTH). Without them the selftest does not compile. The values below are the
 * upstream ones (include/uapi/linux/iommufd.h and drivers/iommu/iommufd/iommufd_test.h of
 * later releases: in_data_type shares its storage with out_data_type), so the selftest sends
 * the 6.12.118 kernel exactly what the newer kernel would be sent, and the kernel answers as
 * 6.12.118 does: the tests of those features fail on it, and the peer report says why.
 * Forced in with `gcc -include`; nothing else of the selftest is changed.
 */
#ifndef PINLAB_IOMMUFD_COMPAT_H
#define PINLAB_IOMMUFD_COMPAT_H
#define IOMMU_HW_INFO_TYPE_DEFAULT 0
#define IOMMU_HW_INFO_FLAG_INPUT_TYPE (1 << 0)
#define in_data_type out_data_type
#define MOCK_FLAGS_DEVICE_PASID (1 << 2)
#define MOCK_PASID_WIDTH 20
#endif
