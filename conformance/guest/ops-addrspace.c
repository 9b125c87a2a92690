/*
 * Address-space changes under a pin (issue 12 item 4): guest operations the main
 * dispatcher does not have. Included by pinlab-guest.c after its helpers (A, slot_set,
 * out, RET); op_addrspace returns 1 when the op is not one of its own.
 *
 *   mremap <as> <addr> <old_len> <new_len> <flags> <new_addr>
 *       raw mremap(2): ret=<new address> or ret=-errno; the address is kept as slot <as>.
 */
#include <sys/syscall.h>

static int op_addrspace(const char *op, char **t, int n)
{
	const char *as = n > 1 ? t[1] : "-";
	long long r;
	if (!strcmp(op, "mremap")) {
		if (n < 7)
			return setupfail("usage(5-args)");
		long v = syscall(SYS_mremap, (unsigned long)A(t[2]), (unsigned long)A(t[3]), (unsigned long)A(t[4]),
				 (unsigned long)A(t[5]), (unsigned long)A(t[6]));
		if (arg_err)
			return -1;
		r = v == -1 ? -(long long)errno : (long long)(unsigned long)v;
		slot_set(as, r);
		out("ret=%lld", r);
		return 0;
	}
	return 1;
}
