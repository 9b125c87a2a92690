/*
 * pinlab guest driver: remote memory access (included by pinlab-guest.c after its helpers).
 *
 *   open-proc-mem <as> <pid|0> <flags>          open /proc/<pid>/mem (0: /proc/self/mem): fd or -errno
 *   remote-pread <as> <fd> <off> <len>          pread(2): ret=<bytes|-errno> byte=<first byte read>
 *   ptrace <as> <request> <pid|0> <addr> <data> <byte>
 *                                               other requests get <data>; PTRACE_ATTACH / PTRACE_INTERRUPT
 *                                               wait for the stop (waitpid); PEEK*: ret=<first byte of the
 *                                               word|-errno>; POKE*: the word filled with <byte>: 0 or -errno
 *   pvm <as> <write> <pid|0> <flags> <nl> <base len>... <nr> <base len>...
 *                                               process_vm_readv (write 0) / process_vm_writev (1)
 *
 * op_remote() returns 1 when the op is not one of these, else what run_op returns.
 */
#include <sys/ptrace.h>

#define REMOTE_MAX_IOV 16

static pid_t remote_pid(long long v)
{
	return v == 0 ? getpid() : (pid_t)v;
}

/* open /proc/<pid>/<name> (pid 0: /proc/self/<name>): fd or -errno (also ops-cmdline.c). */
static long long proc_open(long long pid, const char *name, int flags)
{
	char p[64];
	if (pid == 0)
		snprintf(p, sizeof p, "/proc/self/%s", name);
	else
		snprintf(p, sizeof p, "/proc/%lld/%s", pid, name);
	int fd = open(p, flags);
	return fd < 0 ? -errno : fd;
}

static int op_remote(const char *op, char **t, int n)
{
	const char *as = t[1];
	long long r;
	unsigned long long b1 = 0;
	int with_byte = 0;
	if (!strcmp(op, "open-proc-mem")) {
		if (n < 4)
			return setupfail("usage");
		r = proc_open(A(t[2]), "mem", (int)A(t[3]));
	} else if (!strcmp(op, "remote-pread")) {
		if (n < 5)
			return setupfail("usage");
		size_t len = (size_t)A(t[4]);
		uint8_t *b = malloc(len ? len : 1);
		if (!b)
			return setupfail("malloc");
		b[0] = 0;
		r = pread((int)A(t[2]), b, len, (off_t)A(t[3]));
		r = r < 0 ? -errno : r;
		with_byte = r > 0;
		b1 = b[0];
		free(b);
	} else if (!strcmp(op, "ptrace")) {
		if (n < 7)
			return setupfail("usage");
		long req = (long)A(t[2]);
		pid_t pid = remote_pid(A(t[3]));
		uint64_t addr = (uint64_t)A(t[4]);
		unsigned long data = (unsigned long)A(t[5]);
		int byte = (int)A(t[6]);
		if (req == PTRACE_PEEKDATA || req == PTRACE_PEEKTEXT) {
			unsigned long word = 0;
			r = syscall(SYS_ptrace, req, pid, addr, &word);
			r = r < 0 ? -errno : (long long)(word & 0xff);
		} else if (req == PTRACE_POKEDATA || req == PTRACE_POKETEXT) {
			unsigned long word;
			memset(&word, byte, sizeof word);
			r = RET(syscall(SYS_ptrace, req, pid, addr, word));
		} else {
			r = RET(syscall(SYS_ptrace, req, pid, addr, data));
			if (r == 0 && (req == PTRACE_ATTACH || req == PTRACE_INTERRUPT)) {
				int st;
				if (waitpid(pid, &st, __WALL) < 0)
					return setupfail("waitpid-errno=%d", errno);
				if (!WIFSTOPPED(st))
					return setupfail("tracee-not-stopped");
			}
		}
	} else if (!strcmp(op, "pvm")) {
		if (n < 7)
			return setupfail("usage");
		int write = (int)A(t[2]);
		pid_t pid = remote_pid(A(t[3]));
		unsigned long flags = (unsigned long)A(t[4]);
		struct iovec l[REMOTE_MAX_IOV], rv[REMOTE_MAX_IOV];
		int i = 5;
		long nl = (long)A(t[i++]);
		if (nl < 0 || nl > REMOTE_MAX_IOV || i + 2 * nl >= n)
			return setupfail("usage-local");
		for (long j = 0; j < nl; j++, i += 2)
			l[j] = (struct iovec){ (void *)(uintptr_t)A(t[i]), (size_t)A(t[i + 1]) };
		long nr = (long)A(t[i++]);
		if (nr < 0 || nr > REMOTE_MAX_IOV || i + 2 * nr > n)
			return setupfail("usage-remote");
		for (long j = 0; j < nr; j++, i += 2)
			rv[j] = (struct iovec){ (void *)(uintptr_t)A(t[i]), (size_t)A(t[i + 1]) };
		r = syscall(write ? SYS_process_vm_writev : SYS_process_vm_readv, pid, l, nl, rv, nr, flags);
		r = r < 0 ? -errno : r;
	} else {
		return 1;
	}
	if (arg_err)
		return -1;
	slot_set(as, r);
	if (with_byte)
		out("ret=%lld byte=%llu", r, b1);
	else
		out("ret=%lld", r);
	return 0;
}
