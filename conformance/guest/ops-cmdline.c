/*
 * pinlab guest driver: prctl(PR_SET_MM) and /proc/<pid>/cmdline (included by pinlab-guest.c
 * after its helpers).
 *
 *   prctl <as> <option> <arg2> <arg3> <arg4> <arg5>   prctl(2): 0 or -errno
 *   open-proc-cmdline <as> <pid|0> <flags>            open /proc/<pid>/cmdline (0: /proc/self/cmdline): fd or -errno
 *
 * The reads go through the generic `pread` (into the process's memory). op_cmdline() returns 1
 * when the op is not one of these, else what run_op returns.
 */
#include <sys/prctl.h>

static int op_cmdline(const char *op, char **t, int n)
{
	const char *as = t[1];
	long long r;
	if (!strcmp(op, "prctl")) {
		if (n < 7)
			return setupfail("usage");
		r = syscall(SYS_prctl, (int)A(t[2]), (unsigned long)A(t[3]), (unsigned long)A(t[4]),
			    (unsigned long)A(t[5]), (unsigned long)A(t[6]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "open-proc-cmdline")) {
		if (n < 4)
			return setupfail("usage");
		r = proc_open(A(t[2]), "cmdline", (int)A(t[3]));
	} else {
		return 1;
	}
	if (arg_err)
		return -1;
	slot_set(as, r);
	out("ret=%lld", r);
	return 0;
}
