/* ---------------------------------------------------------------- memory blocks
 * Memory offline/online through sysfs (drivers/base/memory.c): included by pinlab-guest.c
 * after its helpers (out, setupfail, slot_set, A, pagemap_pfn); op_hotplug() answers the
 * ops below and returns 1 for any other op.
 *
 *   memblock-of <as> <pid|0> <addr>       ret = memory block number of the frame mapped at
 *                                          addr (pfn * PAGE / block_size_bytes), -14 if none
 *   memblock-store <as> <block> <string> <alarm-seconds>
 *                                          ret = write(2) of <string> to
 *                                          /sys/devices/system/memory/memory<block>/state:
 *                                          the count or -errno (-ENOENT: no such block).
 *                                          alarm-seconds > 0 arms SIGALRM (a handler without
 *                                          SA_RESTART) around the write, so a write that
 *                                          would wait forever ends with -EINTR. A failed
 *                                          write adds why=<the kernel log's last record about
 *                                          it> (unmovable page dump, migration warning) when
 *                                          there is one.
 *   memblock-state <as> <block>            ret = 0 or -errno; state=<state file>,
 *                                          zones=<valid_zones, comma-separated>
 */
#define MEMBLOCK_SYS "/sys/devices/system/memory"

static long long memblock_size(void)
{
	char buf[64];
	int fd = open(MEMBLOCK_SYS "/block_size_bytes", O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t k = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (k <= 0)
		return -5;
	buf[k] = 0;
	return (long long)strtoull(buf, NULL, 16);
}

/* Read a memoryN attribute into buf (trailing newline cut, spaces as commas): 0 or -errno. */
static int memblock_attr(long long block, const char *attr, char *buf, size_t len)
{
	char p[128];
	snprintf(p, sizeof p, MEMBLOCK_SYS "/memory%lld/%s", block, attr);
	int fd = open(p, O_RDONLY);
	if (fd < 0)
		return -errno;
	ssize_t k = read(fd, buf, len - 1);
	int e = errno;
	close(fd);
	if (k < 0)
		return -e;
	buf[k] = 0;
	for (char *c = buf; *c; c++) {
		if (*c == '\n')
			*c = 0;
		else if (*c == ' ')
			*c = ',';
	}
	return 0;
}

/* The kernel log records since the last call (kmsg_fd, opened by main): keep the last one that
 * says why an offline failed (offline_pages' pr_debug is off; has_unmovable_pages' REPORT_FAILURE
 * dump and do_migrate_range's warnings are not), spaces as '_', in out (empty if none). */
static void memblock_kmsg_reason(char *why, size_t n)
{
	char rec[1024];
	why[0] = 0;
	if (kmsg_fd < 0)
		return;
	for (;;) {
		ssize_t r = read(kmsg_fd, rec, sizeof rec - 1);
		if (r < 0) {
			if (errno == EPIPE)
				continue;
			break;
		}
		rec[r] = 0;
		char *msg = strchr(rec, ';');
		msg = msg ? msg + 1 : rec;
		if (!strstr(msg, "unmovable") && !strstr(msg, "offlin") && !strstr(msg, "isolat") && !strstr(msg, "migrating pfn") && !strstr(msg, "page:"))
			continue;
		snprintf(why, n, "%s", msg);
		for (char *c = why; *c; c++)
			if (*c == ' ' || *c == '\n' || *c == '\t')
				*c = '_';
	}
}

static void on_memblock_alarm(int sig)
{
	(void)sig;
}

static int op_hotplug(const char *op, char **t, int n)
{
	const char *as = t[1];
	if (!strcmp(op, "memblock-of")) {
		if (n < 4)
			return setupfail("usage");
		long long bs = memblock_size();
		if (bs <= 0)
			return setupfail("no-memory-block-size=%lld", bs);
		long long p = pagemap_pfn((pid_t)A(t[2]), (uint64_t)A(t[3]));
		if (arg_err)
			return -1;
		if (p < -1)
			return setupfail("pagemap-unreadable");
		long long r = p < 0 ? -14 : (long long)(((unsigned long long)p * PAGE) / (unsigned long long)bs);
		slot_set(as, r);
		out("ret=%lld", r);
		return 0;
	}
	if (!strcmp(op, "memblock-store")) {
		if (n < 5)
			return setupfail("usage");
		long long block = A(t[2]);
		long long secs = n > 4 ? A(t[4]) : 0;
		if (arg_err)
			return -1;
		char p[128];
		snprintf(p, sizeof p, MEMBLOCK_SYS "/memory%lld/state", block);
		long long r;
		char why[512] = "";
		int fd = open(p, O_WRONLY);
		if (fd < 0) {
			r = -errno;
		} else {
			struct sigaction sa, old;
			memset(&sa, 0, sizeof sa);
			sa.sa_handler = on_memblock_alarm; /* no SA_RESTART: the write returns -EINTR */
			sigemptyset(&sa.sa_mask);
			if (secs > 0) {
				sigaction(SIGALRM, &sa, &old);
				alarm((unsigned)secs);
			}
			memblock_kmsg_reason(why, sizeof why); /* drop older records */
			ssize_t k = write(fd, t[3], strlen(t[3]));
			r = k < 0 ? -errno : (long long)k;
			if (r < 0)
				memblock_kmsg_reason(why, sizeof why);
			if (secs > 0) {
				alarm(60); /* the case's own time limit again (main) */
				sigaction(SIGALRM, &old, NULL);
			}
			close(fd);
		}
		slot_set(as, r);
		if (r < 0 && fd >= 0 && why[0])
			out("ret=%lld why=%s", r, why);
		else
			out("ret=%lld", r);
		return 0;
	}
	if (!strcmp(op, "memblock-state")) {
		if (n < 3)
			return setupfail("usage");
		long long block = A(t[2]);
		if (arg_err)
			return -1;
		char st[64], zs[128];
		int r = memblock_attr(block, "state", st, sizeof st);
		if (r == 0)
			r = memblock_attr(block, "valid_zones", zs, sizeof zs);
		slot_set(as, r);
		if (r < 0)
			out("ret=%d", r);
		else
			out("ret=0 state=%s zones=%s", st, zs);
		return 0;
	}
	return 1;
}
