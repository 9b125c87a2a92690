/* ---------------------------------------------------------------- iommufd: compat IOAS, extra bytes
 * Included by pinlab-guest.c after op_iommufd() and its helpers (icmd, put32, put16, get32,
 * iommufd_out, IOMMUFD_IO); op_iommufd_ext() answers the ops below and returns 1 for any other op.
 *
 *   iommu-vfio-ioas <as> <fd> <op> <ioas_id> <reserved> <size> <trailing>
 *                        IOMMU_VFIO_IOAS (struct iommu_vfio_ioas: u32 size, u32 ioas_id, u16 op,
 *                        u16 __reserved; 12 bytes): ret, ioas_id as the kernel left it.
 *                        trailing != 0 puts a non-zero byte at offset 12 (size must be larger).
 *   iommu-ext <as> <fd> <nr> <size> <struct_size> <field>
 *                        command <nr> with a zeroed struct of <size> bytes whose u32 at offset 4
 *                        is <field> and whose first byte after the kernel's <struct_size>-byte
 *                        struct is 1 (the selftest's cmd_ex_fail "future area is non-zero"):
 *                        ret only. A size not larger than struct_size is a set-up failure.
 */
#define IOMMU_VFIO_IOAS_NR 0x88

static int op_iommufd_ext(const char *op, char **t, int n)
{
	const char *as = n > 1 ? t[1] : "-";
	long long r;
	if (!strcmp(op, "iommu-vfio-ioas")) {
		if (n < 8) return setupfail("usage");
		uint32_t size = (uint32_t)A(t[6]);
		if (size > sizeof ibuf) return setupfail("size");
		if (A(t[7]) && size <= 12) return setupfail("trailing-needs-size-above-12");
		icmd(size);
		put32(4, (uint32_t)A(t[4]));
		put16(8, (uint16_t)A(t[3]));
		put16(10, (uint16_t)A(t[5]));
		if (A(t[7])) ibuf[12] = 1;
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_VFIO_IOAS_NR), ibuf));
		return iommufd_out(as, r, "ioas_id", get32(4), NULL, 0);
	}
	if (!strcmp(op, "iommu-ext")) {
		if (n < 7) return setupfail("usage");
		uint32_t size = (uint32_t)A(t[4]);
		uint32_t ssz = (uint32_t)A(t[5]);
		if (size > sizeof ibuf) return setupfail("size");
		if (size <= ssz) return setupfail("trailing-needs-size-above-struct");
		icmd(size);
		put32(4, (uint32_t)A(t[6]));
		ibuf[ssz] = 1;
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO((unsigned)A(t[3])), ibuf));
		return iommufd_out(as, r, NULL, 0, NULL, 0);
	}
	return 1; /* not one of these ops */
}
