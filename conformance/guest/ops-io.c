/* Guest ops of page references that are not pins (issue #12 item 3): pipes and vmsplice,
 * read/write/pread/pwrite from and into user buffers, byte-range loads, and io_uring
 * READ_FIXED / WRITE_FIXED. Included by pinlab-guest.c (after its helpers); op_io()
 * returns 1 when `op` is not one of these.
 *
 *   loadr <as> <addr> <len>              the bytes there as runs: ret=0 runs=<off>+<len>:<byte>,...
 *   pipe2 <as> <flags>                   ret=0|-errno; slots <as>.rfd <as>.wfd
 *   vmsplice <as> <fd> <flags> <base> <len> [<base> <len> ...]
 *   read <as> <fd> <buf> <len>           read(2)
 *   write <as> <fd> <buf> <len>          write(2)
 *   pread <as> <fd> <buf> <len> <off>    pread(2)
 *   pwritebuf <as> <fd> <buf> <len> <off> pwrite(2) from a user buffer
 *   uring-rw <as> <ring> <opcode> <fd> <addr> <len> <off> <buf_index>
 *                                        one READ_FIXED/WRITE_FIXED SQE, submitted and waited for:
 *                                        ret = the CQE's res (io_uring_enter's own -errno if it fails)
 */

#define NEED_N(k)                                                \
	do {                                                     \
		if (n < (k))                                     \
			return setupfail("usage(%d-args)", (k) - 2); \
	} while (0)

/* Rings set up by uring-setup: the parameters the SQ/CQ mappings need (by ring fd). */
#define IO_MAX_RINGS 16
static struct {
	int fd;
	struct io_uring_params p;
} io_rings[IO_MAX_RINGS];
static int io_nrings;

static void io_ring_remember(int fd, const struct io_uring_params *p)
{
	if (fd < 0)
		return;
	for (int i = 0; i < io_nrings; i++)
		if (io_rings[i].fd == fd) {
			io_rings[i].p = *p;
			return;
		}
	if (io_nrings < IO_MAX_RINGS) {
		io_rings[io_nrings].fd = fd;
		io_rings[io_nrings++].p = *p;
	}
}

/* Copy [addr, addr+len) of our own memory into b: 0, or -EFAULT on SIGSEGV/SIGBUS. */
static long io_copy_in(uint64_t addr, size_t len, uint8_t *b)
{
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -EFAULT;
	}
	fault_armed = 1;
	volatile const uint8_t *p = (volatile const uint8_t *)(uintptr_t)addr;
	for (size_t i = 0; i < len; i++)
		b[i] = p[i];
	fault_armed = 0;
	return 0;
}

static int io_loadr(char **t, int n)
{
	NEED_N(4);
	uint64_t addr = (uint64_t)A(t[2]);
	size_t len = (size_t)A(t[3]);
	if (arg_err)
		return -1;
	if (len == 0 || len > (1u << 20))
		return setupfail("loadr-length=%zu", len);
	uint8_t *b = malloc(len);
	if (!b)
		return setupfail("loadr-malloc");
	long r = io_copy_in(addr, len, b);
	if (r < 0) {
		free(b);
		slot_set(t[1], r);
		out("ret=%ld", r);
		return 0;
	}
	char runs[900];
	size_t k = 0;
	int first = 1;
	for (size_t i = 0; i < len;) {
		size_t j = i;
		while (j < len && b[j] == b[i])
			j++;
		int w = snprintf(runs + k, sizeof runs - k, "%s%zu+%zu:%d", first ? "" : ",", i, j - i, b[i]);
		if (w < 0 || (size_t)w >= sizeof runs - k) {
			free(b);
			return setupfail("loadr-too-many-runs");
		}
		k += (size_t)w;
		first = 0;
		i = j;
	}
	free(b);
	slot_set(t[1], 0);
	out("ret=0 runs=%s", runs);
	return 0;
}

/* One SQE on ring `fd`, submitted and waited for: the CQE's res, or -errno of the set-up. */
static long long io_uring_one(int fd, int opcode, int tfd, uint64_t addr, uint32_t len, uint64_t off, uint16_t buf_index)
{
	struct io_uring_params *p = NULL;
	for (int i = 0; i < io_nrings; i++)
		if (io_rings[i].fd == fd)
			p = &io_rings[i].p;
	if (!p)
		return -EBADF;
	size_t sq_sz = p->sq_off.array + p->sq_entries * sizeof(uint32_t);
	size_t cq_sz = p->cq_off.cqes + p->cq_entries * sizeof(struct io_uring_cqe);
	uint8_t *sq = mmap(NULL, sq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQ_RING);
	if (sq == MAP_FAILED)
		return -1000 - errno;
	uint8_t *cq = mmap(NULL, cq_sz, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_CQ_RING);
	struct io_uring_sqe *sqes = mmap(NULL, p->sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, fd, IORING_OFF_SQES);
	if (cq == MAP_FAILED || sqes == MAP_FAILED)
		return -1000 - errno;
	uint32_t *sq_tail = (uint32_t *)(sq + p->sq_off.tail);
	uint32_t mask = *(uint32_t *)(sq + p->sq_off.ring_mask);
	uint32_t *array = (uint32_t *)(sq + p->sq_off.array);
	uint32_t tail = *sq_tail;
	uint32_t idx = tail & mask;
	struct io_uring_sqe *e = &sqes[idx];
	memset(e, 0, sizeof *e);
	e->opcode = (uint8_t)opcode;
	e->fd = tfd;
	e->addr = addr;
	e->len = len;
	e->off = off;
	e->buf_index = buf_index;
	e->user_data = 0x1234;
	array[idx] = idx;
	__atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
	long long r = syscall(SYS_io_uring_enter, fd, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0);
	if (r < 0) {
		r = -errno;
	} else {
		uint32_t *cq_head = (uint32_t *)(cq + p->cq_off.head);
		uint32_t cmask = *(uint32_t *)(cq + p->cq_off.ring_mask);
		struct io_uring_cqe *cqes = (struct io_uring_cqe *)(cq + p->cq_off.cqes);
		uint32_t head = *cq_head;
		if (head == __atomic_load_n((uint32_t *)(cq + p->cq_off.tail), __ATOMIC_ACQUIRE))
			r = -2000; /* no completion: a harness problem */
		else {
			r = cqes[head & cmask].res;
			__atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
		}
	}
	munmap(sqes, p->sq_entries * sizeof(struct io_uring_sqe));
	munmap(cq, cq_sz);
	munmap(sq, sq_sz);
	return r;
}

static int op_io(const char *op, char **t, int n)
{
	long long r;
	if (!strcmp(op, "loadr"))
		return io_loadr(t, n);
	if (!strcmp(op, "pipe2")) {
		NEED_N(3);
		/* A write to a pipe without readers is -EPIPE plus SIGPIPE: keep the driver alive. */
		signal(SIGPIPE, SIG_IGN);
		int fds[2] = { -1, -1 };
		r = RET(pipe2(fds, (int)A(t[2])));
		if (arg_err)
			return -1;
		char slot[64];
		snprintf(slot, sizeof slot, "%s.rfd", t[1]);
		slot_set(slot, fds[0]);
		snprintf(slot, sizeof slot, "%s.wfd", t[1]);
		slot_set(slot, fds[1]);
		slot_set(t[1], r);
		out("ret=%lld rfd=%d wfd=%d", r, fds[0], fds[1]);
		return 0;
	}
	if (!strcmp(op, "vmsplice")) {
		NEED_N(4);
		struct iovec iov[16];
		int k = 0;
		for (int i = 4; i + 1 < n && k < 16; i += 2, k++) {
			iov[k].iov_base = (void *)(uintptr_t)A(t[i]);
			iov[k].iov_len = (size_t)A(t[i + 1]);
		}
		r = syscall(SYS_vmsplice, (int)A(t[2]), iov, (unsigned long)k, (unsigned int)A(t[3]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "read")) {
		NEED_N(5);
		r = read((int)A(t[2]), (void *)(uintptr_t)A(t[3]), (size_t)A(t[4]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "write")) {
		NEED_N(5);
		r = write((int)A(t[2]), (const void *)(uintptr_t)A(t[3]), (size_t)A(t[4]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "pread")) {
		NEED_N(6);
		r = pread((int)A(t[2]), (void *)(uintptr_t)A(t[3]), (size_t)A(t[4]), (off_t)A(t[5]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "pwritebuf")) {
		NEED_N(6);
		r = pwrite((int)A(t[2]), (const void *)(uintptr_t)A(t[3]), (size_t)A(t[4]), (off_t)A(t[5]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "uring-rw")) {
		NEED_N(9);
		r = io_uring_one((int)A(t[2]), (int)A(t[3]), (int)A(t[4]), (uint64_t)A(t[5]), (uint32_t)A(t[6]), (uint64_t)A(t[7]), (uint16_t)A(t[8]));
		if (r <= -1000)
			return setupfail("uring-rw-harness=%lld", r);
	} else {
		return 1;
	}
	if (arg_err)
		return -1;
	slot_set(t[1], r);
	out("ret=%lld", r);
	return 0;
}
