/* ---------------------------------------------------------------- memory blocks
 * Memory offline/online through sysfs (drivers/base/memory.c): included by pinlab-guest.c
 * after its helpers (out, setupfail, slot_set, A, pagemap_pfn); op_hotplug() answers the
 * ops below and returns 1 for any other op.
 *
 *   memblock-of <as> <pid|0> <addr> [place]
 *                                          ret = memory block number of the frame mapped at
 *                                          addr (pfn * PAGE / block_size_bytes), -14 if none;
 *                                          `place` first moves addr's page out of a block that
 *                                          holds reserved pages (memblock_place)
 *   memblock-store <as> <block> <string> <alarm-seconds>
 *                                          ret = write(2) of <string> to
 *                                          /sys/devices/system/memory/memory<block>/state:
 *                                          the count or -errno (-ENOENT: no such block).
 *                                          alarm-seconds > 0 arms SIGALRM (a handler without
 *                                          SA_RESTART) around the write, so a write that
 *                                          would wait forever ends with -EINTR. A failed
 *                                          write adds why=<the kernel log's last record about
 *                                          it> (unmovable page dump, migration warning) when
 *                                          there is one. An `offline` of a block that
 *                                          holds a page /proc/kpageflags marks reserved is a
 *                                          set-up failure (no case can offline it).
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
	while (kmsg_next(rec, sizeof rec)) {
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

/* The first pfn of memory<block> that /proc/kpageflags marks KPF_RESERVED (bit 32), -1 if none,
 * < -1 if the file cannot be read. */
static long long memblock_reserved_pfn(long long block, long long bs)
{
	int fd = open("/proc/kpageflags", O_RDONLY);
	if (fd < 0)
		return -2;
	unsigned long long first = (unsigned long long)block * (unsigned long long)bs / PAGE, n = (unsigned long long)bs / PAGE;
	static uint64_t fl[4096];
	long long found = -1;
	for (unsigned long long done = 0; done < n && found < 0;) {
		size_t want = (n - done) < 4096 ? (size_t)(n - done) : 4096;
		ssize_t k = pread(fd, fl, want * 8, (off_t)((first + done) * 8));
		if (k <= 0) {
			found = -2;
			break;
		}
		for (ssize_t i = 0; i < k / 8; i++)
			if (fl[i] & (1ULL << 32)) {
				found = (long long)(first + done + (unsigned long long)i);
				break;
			}
		done += (unsigned long long)(k / 8);
	}
	close(fd);
	return found;
}

/* Set-up arrangement for `memblock-of ... place`: if the page at addr sits in a block that holds
 * reserved pages (which no case can offline; which blocks hold them differs from boot to boot),
 * back addr with a page of a ZONE_MOVABLE block that holds none instead: fault a scratch area,
 * pick such a page, copy addr's bytes into it and mremap it over addr. The case's view (its
 * data, one anonymous page at addr) is unchanged; only where the page sits is chosen.
 * 0 when addr is (now) in a clean block, -1 if no clean page was found. */
static int memblock_place(uint64_t addr, long long bs)
{
	long long pfn = pagemap_pfn(0, addr);
	if (pfn < 0)
		return 0; /* nothing mapped: nothing to place */
	long long blk = (long long)(((unsigned long long)pfn * PAGE) / (unsigned long long)bs);
	if (memblock_reserved_pfn(blk, bs) < 0)
		return 0;
	/* Fresh anonymous pages come off the free lists in order: scan a span of several 128 MiB blocks, so that
	 * a block holding reserved pages (or the case page's own block) cannot be all the scan sees. */
	const size_t len = 384UL << 20;
	char *scratch = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (scratch == MAP_FAILED)
		return -1;
	madvise(scratch, len, MADV_NOHUGEPAGE);
	int placed = -1;
	for (size_t off = 0; off < len && placed < 0; off += PAGE) {
		scratch[off] = 1;
		long long p = pagemap_pfn(0, (uint64_t)(uintptr_t)(scratch + off));
		if (p < 0 || strcmp(zone_of((unsigned long long)p), "Movable"))
			continue;
		long long b = (long long)(((unsigned long long)p * PAGE) / (unsigned long long)bs);
		if (b == blk || memblock_reserved_pfn(b, bs) >= 0)
			continue;
		memcpy(scratch + off, (void *)(uintptr_t)addr, PAGE);
		if (mremap(scratch + off, PAGE, PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, (void *)(uintptr_t)addr) != MAP_FAILED)
			placed = 0;
	}
	munmap(scratch, len); /* the page moved to addr is no longer part of the scratch area */
	return placed;
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
		if (n > 4 && !strcmp(t[4], "place") && memblock_place((uint64_t)A(t[3]), bs) < 0)
			return setupfail("no-page-in-a-movable-block-without-reserved-pages");
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
		/* A block holding pages the kernel reserved at boot (memblock) can never be offlined
		 * (has_unmovable_pages: -EBUSY) whatever the case does; which blocks hold them differs
		 * from boot to boot, so a case whose page landed in one cannot run: a set-up failure. */
		if (!strcmp(t[3], "offline")) {
			long long bs = memblock_size();
			long long rp = bs > 0 && block >= 0 ? memblock_reserved_pfn(block, bs) : -1;
			if (rp >= 0)
				return setupfail("memory%lld-holds-reserved-pfn-0x%llx", block, rp);
		}
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
