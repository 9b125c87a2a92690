/*
 * pinlab-guest: the in-guest test driver of pinlab's differential conformance harness.
 *
 * Written for pinlab (not derived from kernel or selftest code). It reads a case list
 * produced by src/conformance/translate.ts (docs/conformance.md, "Guest op language"),
 * runs every case in a fresh child process, and prints one line per observation on
 * stdout (the serial console):
 *
 *   @@R <case> <step> <op> ret=<n> [key=value ...]   an observation (ret < 0: -errno)
 *   @@S <case> <step> <op> <reason>                   a set-up failure (never a result)
 *   @@C <case> begin | @@C <case> end status=<n>      case boundaries
 *   @@E key=value                                      environment facts
 *
 * A line of a case is `<op> <as> <arg>...`: <as> names a slot that keeps the result
 * ("-" for none); an argument is an integer (decimal, 0x hex, negative), `$slot`,
 * `$slot+N`, `$slot-N`, or a word. Raw syscalls only (no liburing).
 *
 * Build: gcc -static -O1 -o pinlab-guest pinlab-guest.c
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/capability.h>
#include <linux/io_uring.h>
#include <linux/magic.h>
#include <linux/vfio.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef STATX_ATTR_DAX
#define STATX_ATTR_DAX 0x00200000
#endif
#ifndef HUGETLBFS_MAGIC
#define HUGETLBFS_MAGIC 0x958458f6
#endif

#define PAGE 4096UL
#define MAXTOK 48
#define MAXSLOT 128
#define MAXLINES 512
/* IOVA used for the harness's own transfers (filling / reading the edu buffer). Below the
 * edu's 28-bit DMA mask; cases must not use it (translate.ts checks). */
#define SCRATCH_IOVA 0xfff0000ULL
#define EDU_LEN_MAX 2048

static const char *g_case = "-";
static int g_step;
static const char *g_op = "-";

/* ---------------------------------------------------------------- output */
static void out(const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	int n = snprintf(buf, sizeof buf, "@@R %s %d %s ", g_case, g_step, g_op);
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof buf - n, fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof buf - 2)
		n = sizeof buf - 2;
	buf[n++] = '\n';
	buf[n] = 0;
	fputs(buf, stdout);
	fflush(stdout);
}

static int setupfail(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	printf("@@S %s %d %s %s\n", g_case, g_step, g_op, buf);
	fflush(stdout);
	return -1;
}

/* ---------------------------------------------------------------- slots and arguments */
struct slot {
	char name[48];
	long long v;
};
static struct slot slots[MAXSLOT];
static int nslots;

static void slot_set(const char *name, long long v)
{
	if (!strcmp(name, "-"))
		return;
	for (int i = 0; i < nslots; i++)
		if (!strcmp(slots[i].name, name)) {
			slots[i].v = v;
			return;
		}
	if (nslots < MAXSLOT) {
		snprintf(slots[nslots].name, sizeof slots[nslots].name, "%s", name);
		slots[nslots++].v = v;
	}
}

static int slot_get(const char *name, long long *v)
{
	for (int i = 0; i < nslots; i++)
		if (!strcmp(slots[i].name, name)) {
			*v = slots[i].v;
			return 0;
		}
	return -1;
}

static int arg_err;

/* Integer argument: literal, $slot, $slot+N, $slot-N (u64 literals wrap into long long). */
static long long A(const char *s)
{
	if (s[0] == '$') {
		char name[64];
		const char *p = s + 1;
		size_t k = strcspn(p, "+-");
		snprintf(name, sizeof name, "%.*s", (int)k, p);
		long long v;
		if (slot_get(name, &v) < 0) {
			arg_err = 1;
			setupfail("undefined-slot-%s", name);
			return 0;
		}
		p += k;
		while (*p == '+' || *p == '-') {
			int neg = *p == '-';
			char *end;
			unsigned long long d = strtoull(p + 1, &end, 0);
			v = neg ? (long long)((unsigned long long)v - d) : (long long)((unsigned long long)v + d);
			p = end;
		}
		return v;
	}
	if (s[0] == '-')
		return strtoll(s, NULL, 0);
	return (long long)strtoull(s, NULL, 0);
}

/* ---------------------------------------------------------------- file systems */
static long long dax_attr(const char *path)
{
	struct statx stx;
	memset(&stx, 0, sizeof stx);
	if (syscall(SYS_statx, AT_FDCWD, path, 0, STATX_BASIC_STATS, &stx) < 0)
		return -errno;
	if (!(stx.stx_attributes_mask & STATX_ATTR_DAX))
		return 0;
	return (stx.stx_attributes & STATX_ATTR_DAX) ? 1 : 0;
}

static long fs_magic(const char *path)
{
	struct statfs sf;
	if (statfs(path, &sf) < 0)
		return -errno;
	return (long)(unsigned int)sf.f_type;
}

/* fscheck <dir> ext4|fsdax|tmpfs|hugetlbfs: the directory really is that kind (set-up). */
static int op_fscheck(char **t, int n)
{
	if (n < 4)
		return setupfail("usage");
	const char *dir = t[2], *kind = t[3];
	long m = fs_magic(dir);
	if (!strcmp(kind, "ext4") || !strcmp(kind, "fsdax")) {
		if (m != EXT4_SUPER_MAGIC)
			return setupfail("%s-is-not-ext4(magic=%#lx)", dir, m);
		char probe[256];
		snprintf(probe, sizeof probe, "%s/.pinlab-probe", dir);
		int fd = open(probe, O_RDWR | O_CREAT, 0600);
		if (fd < 0)
			return setupfail("probe-create-errno=%d", errno);
		close(fd);
		long long d = dax_attr(probe);
		if (d != (!strcmp(kind, "fsdax") ? 1 : 0))
			return setupfail("%s-statx-dax=%lld", dir, d);
	} else if (!strcmp(kind, "tmpfs")) {
		if (m != TMPFS_MAGIC)
			return setupfail("%s-is-not-tmpfs(magic=%#lx)", dir, m);
	} else if (!strcmp(kind, "hugetlbfs")) {
		if (m != (long)HUGETLBFS_MAGIC)
			return setupfail("%s-is-not-hugetlbfs(magic=%#lx)", dir, m);
	} else {
		return setupfail("unknown-fs-kind-%s", kind);
	}
	out("ret=0");
	return 0;
}

/* mkfile - <path> <size>: create and write (so every page is cached / every block allocated). */
static int op_mkfile(char **t, int n)
{
	if (n < 4)
		return setupfail("usage");
	int fd = open(t[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
	if (fd < 0)
		return setupfail("open-%s-errno=%d", t[2], errno);
	long long size = A(t[3]);
	static char zero[PAGE];
	for (long long off = 0; off < size; off += PAGE) {
		size_t l = size - off < (long long)PAGE ? (size_t)(size - off) : PAGE;
		if (pwrite(fd, zero, l, off) != (ssize_t)l)
			return setupfail("write-errno=%d", errno);
	}
	if (ftruncate(fd, size) < 0 || fsync(fd) < 0)
		return setupfail("truncate/fsync-errno=%d", errno);
	close(fd);
	out("ret=0");
	return 0;
}

/* ---------------------------------------------------------------- /proc */
static long status_kb(pid_t pid, const char *key)
{
	char p[64], line[256];
	if (pid)
		snprintf(p, sizeof p, "/proc/%d/status", (int)pid);
	else
		snprintf(p, sizeof p, "/proc/self/status");
	FILE *f = fopen(p, "r");
	long v = -1;
	size_t kl = strlen(key);
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (!strncmp(line, key, kl) && line[kl] == ':') {
			v = strtol(line + kl + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

static const char *zone_of(unsigned long long pfn)
{
	/* zoneinfo lists, per zone, "spanned N" before "start_pfn: S"; pick the zone spanning pfn */
	static char zname[32];
	FILE *f = fopen("/proc/zoneinfo", "r");
	char line[256], cur[32] = "";
	unsigned long long spanned = 0, v;
	if (!f)
		return "?";
	snprintf(zname, sizeof zname, "none");
	while (fgets(line, sizeof line, f)) {
		char z[32];
		if (sscanf(line, "Node %*d, zone %31s", z) == 1) {
			snprintf(cur, sizeof cur, "%s", z);
			spanned = 0;
		} else if (sscanf(line, " spanned %llu", &v) == 1) {
			spanned = v;
		} else if (sscanf(line, " start_pfn: %llu", &v) == 1) {
			if (spanned && pfn >= v && pfn < v + spanned) {
				snprintf(zname, sizeof zname, "%s", cur);
				break;
			}
		}
	}
	fclose(f);
	return zname;
}

/* pfn of the page mapped at addr in pid (0 = self): >= 0, -1 not present, < -1 error */
static long long pagemap_pfn(pid_t pid, uint64_t addr)
{
	char p[64];
	if (pid)
		snprintf(p, sizeof p, "/proc/%d/pagemap", (int)pid);
	else
		snprintf(p, sizeof p, "/proc/self/pagemap");
	int fd = open(p, O_RDONLY);
	uint64_t e;
	if (fd < 0)
		return -2;
	ssize_t r = pread(fd, &e, 8, (off_t)(addr / PAGE) * 8);
	close(fd);
	if (r != 8)
		return -2;
	if (!(e & (1ULL << 63)))
		return -1;
	return (long long)(e & ((1ULL << 55) - 1));
}

/* ---------------------------------------------------------------- user-space load/store */
static sigjmp_buf fault_jmp;
static volatile int fault_armed;

static void on_fault(int sig)
{
	(void)sig;
	if (fault_armed)
		siglongjmp(fault_jmp, 1);
	_exit(99);
}

static void install_fault_handler(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_NODEFER;
	sigaction(SIGSEGV, &sa, NULL);
	sigaction(SIGBUS, &sa, NULL);
}

/* memset(addr, byte, len) in user space: 0, or -EFAULT on SIGSEGV/SIGBUS */
static long user_store(uint64_t addr, size_t len, int byte)
{
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -EFAULT;
	}
	fault_armed = 1;
	volatile uint8_t *p = (volatile uint8_t *)(uintptr_t)addr;
	for (size_t i = 0; i < len; i++)
		p[i] = (uint8_t)byte;
	fault_armed = 0;
	return 0;
}

/* the byte at addr: 0..255, or -EFAULT */
static long user_load(uint64_t addr)
{
	if (sigsetjmp(fault_jmp, 1)) {
		fault_armed = 0;
		return -EFAULT;
	}
	fault_armed = 1;
	long v = *(volatile uint8_t *)(uintptr_t)addr;
	fault_armed = 0;
	return v;
}

/* ---------------------------------------------------------------- VFIO + edu */
static char edu_bdf[64];
static int edu_group = -1;
static int edu_container = -1; /* the container fd the device's group was attached to */
static int edu_dev = -1;
static volatile uint32_t *bar0;

static int find_edu(void)
{
	DIR *d = opendir("/sys/bus/pci/devices");
	struct dirent *de;
	int rc = -1;
	if (!d)
		return -1;
	while ((de = readdir(d))) {
		char p[300], v[32] = "", dv[32] = "";
		FILE *f;
		if (de->d_name[0] == '.')
			continue;
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%.200s/vendor", de->d_name);
		if ((f = fopen(p, "r"))) {
			if (!fgets(v, sizeof v, f))
				v[0] = 0;
			fclose(f);
		}
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%.200s/device", de->d_name);
		if ((f = fopen(p, "r"))) {
			if (!fgets(dv, sizeof dv, f))
				dv[0] = 0;
			fclose(f);
		}
		if (strncmp(v, "0x1234", 6) || strncmp(dv, "0x11e8", 6))
			continue;
		char tgt[300];
		snprintf(edu_bdf, sizeof edu_bdf, "%.60s", de->d_name);
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%.200s/iommu_group", de->d_name);
		ssize_t k = readlink(p, tgt, sizeof tgt - 1);
		if (k > 0) {
			tgt[k] = 0;
			char *s = strrchr(tgt, '/');
			edu_group = atoi(s ? s + 1 : tgt);
		}
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%.200s/driver", de->d_name);
		k = readlink(p, tgt, sizeof tgt - 1);
		rc = -2;
		if (k > 0) {
			tgt[k] = 0;
			const char *s = strrchr(tgt, '/');
			rc = strcmp(s ? s + 1 : tgt, "vfio-pci") ? -3 : 0;
		}
		break;
	}
	closedir(d);
	return rc;
}

/* Paths: "@edu-group" stands for /dev/vfio/<the edu's real group>. */
static const char *real_path(const char *p, char *buf, size_t n)
{
	if (!strcmp(p, "@edu-group")) {
		snprintf(buf, n, "/dev/vfio/%d", edu_group);
		return buf;
	}
	return p;
}

/* edu-attach - <groupfd> <containerfd>: device fd, BAR0 mapping, bus mastering (set-up). */
static int op_edu_attach(char **t, int n)
{
	if (n < 4)
		return setupfail("usage");
	int g = (int)A(t[2]);
	edu_container = (int)A(t[3]);
	edu_dev = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, edu_bdf);
	if (edu_dev < 0)
		return setupfail("get-device-fd-errno=%d", errno);
	struct vfio_region_info ri = { .argsz = sizeof ri, .index = VFIO_PCI_BAR0_REGION_INDEX };
	if (ioctl(edu_dev, VFIO_DEVICE_GET_REGION_INFO, &ri) < 0 || !(ri.flags & VFIO_REGION_INFO_FLAG_MMAP))
		return setupfail("bar0-info-errno=%d", errno);
	void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, edu_dev, (off_t)ri.offset);
	if (m == MAP_FAILED)
		return setupfail("bar0-mmap-errno=%d", errno);
	bar0 = m;
	struct vfio_region_info ci = { .argsz = sizeof ci, .index = VFIO_PCI_CONFIG_REGION_INDEX };
	uint16_t cmd = 0;
	if (ioctl(edu_dev, VFIO_DEVICE_GET_REGION_INFO, &ci) < 0 || pread(edu_dev, &cmd, 2, (off_t)ci.offset + 4) != 2)
		return setupfail("config-read-errno=%d", errno);
	cmd |= 0x6; /* memory space + bus master */
	if (pwrite(edu_dev, &cmd, 2, (off_t)ci.offset + 4) != 2)
		return setupfail("config-write-errno=%d", errno);
	if ((bar0[0] & 0xff) != 0xed)
		return setupfail("edu-ident=%#x", bar0[0]);
	out("ret=0");
	return 0;
}

/* One edu transfer (BAR0: 0x80 src, 0x88 dst, 0x90 count, 0x98 command; buffer at 0x40000). */
static int edu_dma(uint64_t src, uint64_t dst, uint32_t cnt, int to_ram)
{
	bar0[0x80 / 4] = (uint32_t)src;
	bar0[0x88 / 4] = (uint32_t)dst;
	bar0[0x90 / 4] = cnt;
	bar0[0x98 / 4] = 1u | (to_ram ? 2u : 0u);
	for (int i = 0; i < 20000; i++) {
		if (!(bar0[0x98 / 4] & 1))
			return 0;
		usleep(500);
	}
	return -ETIMEDOUT;
}

/* DMAR faults reported by the guest kernel since the last call (read from /dev/kmsg). */
static int kmsg_fd = -1;

static void kmsg_open(void)
{
	kmsg_fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK);
	if (kmsg_fd >= 0)
		lseek(kmsg_fd, 0, SEEK_END);
}

/* Interrupts taken by the DMAR fault handler so far (/proc/interrupts lines naming DMAR). */
static long long dmar_irqs(void)
{
	FILE *f = fopen("/proc/interrupts", "r");
	char line[1024];
	long long total = 0;
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f)) {
		if (!strstr(line, "DMAR"))
			continue;
		char *p = strchr(line, ':');
		if (!p)
			continue;
		p++;
		for (;;) {
			char *end;
			long long v = strtoll(p, &end, 10);
			if (end == p)
				break;
			total += v;
			p = end;
		}
	}
	fclose(f);
	return total;
}

static long long irq_mark;

/* Reset the fault detectors (kmsg position, DMAR interrupt count). */
static int kmsg_faults(void);
static void faults_mark(void)
{
	kmsg_faults();
	irq_mark = dmar_irqs();
}

/* Faults since faults_mark(): DMAR fault records in the kernel log, or DMAR fault interrupts. */
static int faults_since(int *irqs)
{
	int k = kmsg_faults();
	long long i = dmar_irqs();
	*irqs = (int)(i - irq_mark);
	return k > *irqs ? k : *irqs;
}

/* The next kernel log record (NUL-terminated, in rec), skipping overwritten ones: 1, or 0 when none is left. */
static int kmsg_next(char *rec, size_t n)
{
	for (;;) {
		ssize_t r = read(kmsg_fd, rec, n - 1);
		if (r < 0) {
			if (errno == EPIPE)
				continue;
			return 0;
		}
		rec[r] = 0;
		return 1;
	}
}

static int kmsg_faults(void)
{
	char rec[2048];
	int faults = 0;
	if (kmsg_fd < 0)
		return -1;
	while (kmsg_next(rec, sizeof rec))
		if (strstr(rec, "DMAR") && (strstr(rec, "fault") || strstr(rec, "Fault")))
			faults++;
	return faults;
}

/* Fill the edu buffer with `byte` (or read it back) through a scratch page mapped at SCRATCH_IOVA. */
static int scratch_xfer(int byte, uint32_t len, int to_ram, int *readback)
{
	uint8_t *s = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (s == MAP_FAILED)
		return setupfail("scratch-mmap-errno=%d", errno);
	memset(s, to_ram ? 0x00 : byte, PAGE);
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m, .flags = 3, .vaddr = (uintptr_t)s, .iova = SCRATCH_IOVA, .size = PAGE };
	if (ioctl(edu_container, VFIO_IOMMU_MAP_DMA, &m) < 0) {
		munmap(s, PAGE);
		return setupfail("scratch-map-dma-errno=%d", errno);
	}
	int r = to_ram ? edu_dma(0x40000, SCRATCH_IOVA, len, 1) : edu_dma(SCRATCH_IOVA, 0x40000, len, 0);
	if (readback)
		*readback = s[0];
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u, .iova = SCRATCH_IOVA, .size = PAGE };
	if (ioctl(edu_container, VFIO_IOMMU_UNMAP_DMA, &u) < 0 || u.size != PAGE)
		return setupfail("scratch-unmap-errno=%d", errno);
	munmap(s, PAGE);
	if (r)
		return setupfail("scratch-dma-timeout");
	return 0;
}

/* dma-write - <iova> <len> <byte>: the device writes `byte` x len at iova. 0 or -EFAULT (DMAR fault). */
static int op_dma_write(char **t, int n)
{
	if (n < 5 || !bar0)
		return setupfail("no-edu(attach-first)");
	uint64_t iova = (uint64_t)A(t[2]);
	uint64_t len = (uint64_t)A(t[3]);
	int byte = (int)A(t[4]);
	if (iova + len > (1ULL << 28) || (iova < SCRATCH_IOVA + PAGE && iova + len > SCRATCH_IOVA))
		return setupfail("iova-outside-edu-window");
	if (scratch_xfer(byte, EDU_LEN_MAX, 0, NULL))
		return -1;
	faults_mark();
	int r = 0;
	for (uint64_t off = 0; off < len && !r; off += EDU_LEN_MAX) {
		uint32_t l = (uint32_t)(len - off < EDU_LEN_MAX ? len - off : EDU_LEN_MAX);
		r = edu_dma(0x40000, iova + off, l, 1);
	}
	if (r)
		return setupfail("edu-dma-timeout");
	usleep(20000);
	int irqs, f = faults_since(&irqs);
	out("ret=%d faults=%d irqs=%d", f > 0 ? -EFAULT : 0, f, irqs);
	return 0;
}

/* dma-read <as> <iova>: the device reads 64 bytes at iova; ret = first byte, or -EFAULT. */
static int op_dma_read(char **t, int n)
{
	if (n < 3 || !bar0)
		return setupfail("no-edu(attach-first)");
	uint64_t iova = (uint64_t)A(t[2]);
	if (iova + 64 > (1ULL << 28) || (iova < SCRATCH_IOVA + PAGE && iova + 64 > SCRATCH_IOVA))
		return setupfail("iova-outside-edu-window");
	if (scratch_xfer(0xee, 64, 0, NULL)) /* sentinel */
		return -1;
	faults_mark();
	if (edu_dma(iova, 0x40000, 64, 0))
		return setupfail("edu-dma-timeout");
	usleep(20000);
	int irqs, f = faults_since(&irqs);
	int b = -1;
	if (scratch_xfer(0, 64, 1, &b))
		return -1;
	long ret = f > 0 ? -EFAULT : b;
	slot_set(t[1], ret);
	out("ret=%ld faults=%d irqs=%d", ret, f, irqs);
	return 0;
}

/* ---------------------------------------------------------------- children (fork) */
static pid_t children[16];
static int nchildren;

static void reap_children(void)
{
	for (int i = 0; i < nchildren; i++) {
		kill(children[i], SIGKILL);
		waitpid(children[i], NULL, 0);
	}
	nchildren = 0;
}

/* ---------------------------------------------------------------- dispatcher */
#define RET(expr) ((expr) < 0 ? -(long long)errno : 0)

#include "ops-remote.c"
#include "ops-cmdline.c"

/* ---------------------------------------------------------------- iommufd
 * The iommufd uapi (include/uapi/linux/iommufd.h, 6.2+) and the VFIO device cdev ioctls
 * (6.6+) are newer than this build host's headers: the numbers and layouts are written
 * out here. Every command struct starts with u32 size; the driver passes a zeroed buffer
 * of the size the case asks for (at least the struct), so the kernel's size checks are
 * what is observed.
 */
#define IOMMUFD_IO(nr) _IO(';', (nr))
#define IOMMU_DESTROY_NR 0x80
#define IOMMU_IOAS_ALLOC_NR 0x81
#define IOMMU_IOAS_ALLOW_IOVAS_NR 0x82
#define IOMMU_IOAS_COPY_NR 0x83
#define IOMMU_IOAS_IOVA_RANGES_NR 0x84
#define IOMMU_IOAS_MAP_NR 0x85
#define IOMMU_IOAS_UNMAP_NR 0x86
#define IOMMU_OPTION_NR 0x87
#define VFIO_DEVICE_BIND_IOMMUFD_NR (VFIO_BASE + 18)
#define VFIO_DEVICE_ATTACH_IOMMUFD_PT_NR (VFIO_BASE + 19)
#define VFIO_DEVICE_DETACH_IOMMUFD_PT_NR (VFIO_BASE + 20)

static unsigned char ibuf[4096];

/* A zeroed command buffer: size (written into its first u32) is what the case asks for. */
static unsigned char *icmd(uint32_t size)
{
	memset(ibuf, 0, sizeof ibuf);
	memcpy(ibuf, &size, 4);
	return ibuf;
}
static void put32(unsigned off, uint32_t v) { memcpy(ibuf + off, &v, 4); }
static void put16(unsigned off, uint16_t v) { memcpy(ibuf + off, &v, 2); }
static void put64(unsigned off, uint64_t v) { memcpy(ibuf + off, &v, 8); }
static uint32_t get32(unsigned off) { uint32_t v; memcpy(&v, ibuf + off, 4); return v; }
static uint64_t get64(unsigned off) { uint64_t v; memcpy(&v, ibuf + off, 8); return v; }

/* The iommufd ops: out() their ret and fields, and keep the fields as slots <as>.<field>. */
static int iommufd_out(const char *as, long long r, const char *f1, unsigned long long v1, const char *f2, unsigned long long v2)
{
	char slot[64];
	if (arg_err)
		return -1;
	slot_set(as, r);
	if (f1) {
		snprintf(slot, sizeof slot, "%s.%s", as, f1);
		slot_set(slot, (long long)v1);
	}
	if (f2) {
		snprintf(slot, sizeof slot, "%s.%s", as, f2);
		slot_set(slot, (long long)v2);
	}
	if (f1 && f2)
		out("ret=%lld %s=%llu %s=%llu", r, f1, v1, f2, v2);
	else if (f1)
		out("ret=%lld %s=%llu", r, f1, v1);
	else
		out("ret=%lld", r);
	return 0;
}

static int op_iommufd(const char *op, char **t, int n)
{
	const char *as = t[1];
	long long r;
	if (!strcmp(op, "iommu-ioas-alloc")) {
		/* iommu-ioas-alloc <as> <fd> <flags> <size> */
		if (n < 5) return setupfail("usage");
		icmd((uint32_t)A(t[4]));
		put32(4, (uint32_t)A(t[3]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_IOAS_ALLOC_NR), ibuf));
		return iommufd_out(as, r, "ioas_id", get32(8), NULL, 0);
	}
	if (!strcmp(op, "iommu-destroy")) {
		/* iommu-destroy <as> <fd> <id> <size> */
		if (n < 5) return setupfail("usage");
		icmd((uint32_t)A(t[4]));
		put32(4, (uint32_t)A(t[3]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_DESTROY_NR), ibuf));
		return iommufd_out(as, r, NULL, 0, NULL, 0);
	}
	if (!strcmp(op, "iommu-ioas-map")) {
		/* iommu-ioas-map <as> <fd> <ioas> <user_va> <length> <iova> <flags> <reserved> <size> */
		if (n < 10) return setupfail("usage");
		icmd((uint32_t)A(t[9]));
		put32(4, (uint32_t)A(t[7]));
		put32(8, (uint32_t)A(t[3]));
		put32(12, (uint32_t)A(t[8]));
		put64(16, (uint64_t)A(t[4]));
		put64(24, (uint64_t)A(t[5]));
		put64(32, (uint64_t)A(t[6]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_IOAS_MAP_NR), ibuf));
		return iommufd_out(as, r, "iova", get64(32), NULL, 0);
	}
	if (!strcmp(op, "iommu-ioas-copy")) {
		/* iommu-ioas-copy <as> <fd> <dst> <src> <length> <dst_iova> <src_iova> <flags> <size> */
		if (n < 10) return setupfail("usage");
		icmd((uint32_t)A(t[9]));
		put32(4, (uint32_t)A(t[8]));
		put32(8, (uint32_t)A(t[3]));
		put32(12, (uint32_t)A(t[4]));
		put64(16, (uint64_t)A(t[5]));
		put64(24, (uint64_t)A(t[6]));
		put64(32, (uint64_t)A(t[7]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_IOAS_COPY_NR), ibuf));
		return iommufd_out(as, r, "dst_iova", get64(24), NULL, 0);
	}
	if (!strcmp(op, "iommu-ioas-unmap")) {
		/* iommu-ioas-unmap <as> <fd> <ioas> <iova> <length> <size> */
		if (n < 7) return setupfail("usage");
		icmd((uint32_t)A(t[6]));
		put32(4, (uint32_t)A(t[3]));
		put64(8, (uint64_t)A(t[4]));
		put64(16, (uint64_t)A(t[5]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_IOAS_UNMAP_NR), ibuf));
		return iommufd_out(as, r, "length", get64(16), NULL, 0);
	}
	if (!strcmp(op, "iommu-iova-ranges")) {
		/* iommu-iova-ranges <as> <fd> <ioas> <num> <reserved> <size>: ranges=0xS-0xL,... */
		if (n < 7) return setupfail("usage");
		static uint64_t ranges[2 * 64];
		uint32_t num = (uint32_t)A(t[4]);
		if (num > 64) return setupfail("num_iovas>64");
		memset(ranges, 0, sizeof ranges);
		icmd((uint32_t)A(t[6]));
		put32(4, (uint32_t)A(t[3]));
		put32(8, num);
		put32(12, (uint32_t)A(t[5]));
		put64(16, (uint64_t)(uintptr_t)ranges);
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_IOAS_IOVA_RANGES_NR), ibuf));
		if (arg_err)
			return -1;
		uint32_t got = get32(8);
		char list[2048] = "";
		for (uint32_t i = 0; r == 0 && i < got && i < num; i++)
			snprintf(list + strlen(list), sizeof list - strlen(list), "%s0x%llx-0x%llx", list[0] ? "," : "",
				 (unsigned long long)ranges[2 * i], (unsigned long long)ranges[2 * i + 1]);
		char slot[64];
		slot_set(as, r);
		snprintf(slot, sizeof slot, "%s.num_iovas", as);
		slot_set(slot, got);
		out("ret=%lld num_iovas=%u out_iova_alignment=%llu ranges=%s", r, got, (unsigned long long)get64(24), list[0] ? list : "-");
		return 0;
	}
	if (!strcmp(op, "iommu-allow-iovas")) {
		/* iommu-allow-iovas <as> <fd> <ioas> <reserved> <size> [<start> <len>]... */
		if (n < 6) return setupfail("usage");
		static uint64_t ranges[2 * 16];
		uint32_t k = 0;
		for (int i = 6; i + 1 < n && k < 16; i += 2, k++) {
			ranges[2 * k] = (uint64_t)A(t[i]);
			ranges[2 * k + 1] = (uint64_t)A(t[i]) + (uint64_t)A(t[i + 1]) - 1;
		}
		icmd((uint32_t)A(t[5]));
		put32(4, (uint32_t)A(t[3]));
		put32(8, k);
		put32(12, (uint32_t)A(t[4]));
		put64(16, (uint64_t)(uintptr_t)ranges);
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_IOAS_ALLOW_IOVAS_NR), ibuf));
		return iommufd_out(as, r, NULL, 0, NULL, 0);
	}
	if (!strcmp(op, "iommu-option")) {
		/* iommu-option <as> <fd> <option_id> <op> <object_id> <val64> <reserved> <size> */
		if (n < 9) return setupfail("usage");
		icmd((uint32_t)A(t[8]));
		put32(4, (uint32_t)A(t[3]));
		put16(8, (uint16_t)A(t[4]));
		put16(10, (uint16_t)A(t[7]));
		put32(12, (uint32_t)A(t[5]));
		put64(16, (uint64_t)A(t[6]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO(IOMMU_OPTION_NR), ibuf));
		return iommufd_out(as, r, "val64", get64(16), NULL, 0);
	}
	if (!strcmp(op, "vfio-bind-iommufd")) {
		/* vfio-bind-iommufd <as> <devfd> <iommufd> <flags> <argsz> */
		if (n < 6) return setupfail("usage");
		icmd((uint32_t)A(t[5]));
		put32(4, (uint32_t)A(t[4]));
		put32(8, (uint32_t)(int32_t)A(t[3]));
		r = RET(ioctl((int)A(t[2]), _IO(VFIO_TYPE, VFIO_DEVICE_BIND_IOMMUFD_NR), ibuf));
		return iommufd_out(as, r, "devid", get32(12), NULL, 0);
	}
	if (!strcmp(op, "vfio-attach-pt")) {
		/* vfio-attach-pt <as> <devfd> <pt_id> <flags> <argsz> */
		if (n < 6) return setupfail("usage");
		icmd((uint32_t)A(t[5]));
		put32(4, (uint32_t)A(t[4]));
		put32(8, (uint32_t)A(t[3]));
		r = RET(ioctl((int)A(t[2]), _IO(VFIO_TYPE, VFIO_DEVICE_ATTACH_IOMMUFD_PT_NR), ibuf));
		return iommufd_out(as, r, "pt_id", get32(8), NULL, 0);
	}
	if (!strcmp(op, "iommu-raw")) {
		/* iommu-raw <as> <fd> <nr> <size>: a command this kernel may not have (a zeroed struct) */
		if (n < 5) return setupfail("usage");
		icmd((uint32_t)A(t[4]));
		r = RET(ioctl((int)A(t[2]), IOMMUFD_IO((unsigned)A(t[3])), ibuf));
		return iommufd_out(as, r, NULL, 0, NULL, 0);
	}
	if (!strcmp(op, "vfio-detach-pt")) {
		/* vfio-detach-pt <as> <devfd> <flags> <argsz> */
		if (n < 5) return setupfail("usage");
		icmd((uint32_t)A(t[4]));
		put32(4, (uint32_t)A(t[3]));
		r = RET(ioctl((int)A(t[2]), _IO(VFIO_TYPE, VFIO_DEVICE_DETACH_IOMMUFD_PT_NR), ibuf));
		return iommufd_out(as, r, NULL, 0, NULL, 0);
	}
	return 1; /* not an iommufd op */
}

#include "ops-addrspace.c"
#include "ops-hotplug.c"
#include "ops-io.c"
#include "ops-iommufd-ext.c"

static int run_op(char **t, int n)
{
	const char *op = t[0];
	const char *as = n > 1 ? t[1] : "-";
	long long r;
	arg_err = 0;
#define NEED(k)                                                  \
	do {                                                     \
		if (n < (k))                                     \
			return setupfail("usage(%d-args)", (k) - 2); \
	} while (0)

	/* ---- set-up operations (a failure is a set-up failure) */
	if (!strcmp(op, "fscheck"))
		return op_fscheck(t, n);
	if (!strcmp(op, "mkfile"))
		return op_mkfile(t, n);
	if (!strcmp(op, "edu-attach"))
		return op_edu_attach(t, n);
	if (!strcmp(op, "dma-entry-limit")) {
		NEED(3);
		const char *p = "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit";
		FILE *f = fopen(p, "r+");
		if (!f)
			return setupfail("no-dma_entry_limit-param");
		fprintf(f, "%lld\n", A(t[2]));
		if (fclose(f))
			return setupfail("write-param-errno=%d", errno);
		out("ret=0");
		return 0;
	}
	if (!strcmp(op, "expect-ok")) {
		/* expect-ok <slot>: a set-up step's result must be >= 0 */
		NEED(3);
		long long v = A(t[2]);
		if (arg_err)
			return -1;
		if (v < 0)
			return setupfail("setup-step-%s-failed=%lld", t[2], v);
		return 0;
	}

	{
		int k = op_addrspace(op, t, n);
		if (k != 1)
			return k;
	}

	{
		int k = op_io(op, t, n);
		if (k != 1)
			return k;
	}

	if (!strncmp(op, "iommu-", 6) || !strcmp(op, "vfio-bind-iommufd") || !strcmp(op, "vfio-attach-pt") || !strcmp(op, "vfio-detach-pt")) {
		NEED(3);
		int k = op_iommufd(op, t, n);
		if (k != 1)
			return k;
	}

	{
		int k = op_iommufd_ext(op, t, n);
		if (k != 1)
			return k;
	}

	{
		int k = op_remote(op, t, n);
		if (k != 1)
			return k;
	}

	{
		int k = op_cmdline(op, t, n);
		if (k != 1)
			return k;
	}

	if (!strncmp(op, "memblock-", 9)) {
		int k = op_hotplug(op, t, n);
		if (k != 1)
			return k;
	}

	/* ---- syscalls */
	if (!strcmp(op, "open")) {
		NEED(4);
		char pb[64];
		r = open(real_path(t[2], pb, sizeof pb), (int)A(t[3]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "close")) {
		NEED(3);
		r = RET(close((int)A(t[2])));
	} else if (!strcmp(op, "mmap")) {
		NEED(8);
		void *p = mmap((void *)(uintptr_t)A(t[2]), (size_t)A(t[3]), (int)A(t[4]), (int)A(t[5]), (int)A(t[6]), (off_t)A(t[7]));
		r = p == MAP_FAILED ? -errno : (long long)(uintptr_t)p;
	} else if (!strcmp(op, "munmap")) {
		NEED(4);
		r = RET(munmap((void *)(uintptr_t)A(t[2]), (size_t)A(t[3])));
	} else if (!strcmp(op, "mprotect")) {
		NEED(5);
		r = RET(mprotect((void *)(uintptr_t)A(t[2]), (size_t)A(t[3]), (int)A(t[4])));
	} else if (!strcmp(op, "madvise")) {
		NEED(5);
		r = RET(madvise((void *)(uintptr_t)A(t[2]), (size_t)A(t[3]), (int)A(t[4])));
	} else if (!strcmp(op, "mlock")) {
		NEED(4);
		r = RET(mlock((void *)(uintptr_t)A(t[2]), (size_t)A(t[3])));
	} else if (!strcmp(op, "munlock")) {
		NEED(4);
		r = RET(munlock((void *)(uintptr_t)A(t[2]), (size_t)A(t[3])));
	} else if (!strcmp(op, "memfd")) {
		NEED(4);
		r = syscall(SYS_memfd_create, t[2], (unsigned int)A(t[3]));
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "ftruncate")) {
		NEED(4);
		r = RET(ftruncate((int)A(t[2]), (off_t)A(t[3])));
	} else if (!strcmp(op, "fallocate")) {
		NEED(6);
		r = RET(fallocate((int)A(t[2]), (int)A(t[3]), (off_t)A(t[4]), (off_t)A(t[5])));
	} else if (!strcmp(op, "pwrite")) {
		/* pwrite <as> <fd> <off> <len> <byte> */
		NEED(6);
		size_t len = (size_t)A(t[4]);
		uint8_t *b = malloc(len ? len : 1);
		memset(b, (int)A(t[5]), len);
		r = pwrite((int)A(t[2]), b, len, (off_t)A(t[3]));
		r = r < 0 ? -errno : r;
		free(b);
	} else if (!strcmp(op, "store")) {
		NEED(5);
		r = user_store((uint64_t)A(t[2]), (size_t)A(t[3]), (int)A(t[4]));
	} else if (!strcmp(op, "touch")) {
		/* touch - <addr> <len> <write>: fault every page in (write: store the byte read back) */
		NEED(5);
		uint64_t addr = (uint64_t)A(t[2]);
		uint64_t len = (uint64_t)A(t[3]);
		int wr = (int)A(t[4]);
		r = 0;
		for (uint64_t off = 0; off < len && r == 0; off += PAGE) {
			long b = user_load(addr + off);
			r = b < 0 ? b : wr ? user_store(addr + off, 1, (int)b) : 0;
		}
		if (arg_err)
			return -1;
		if (r < 0)
			return setupfail("populate-fault=%lld", r);
	} else if (!strcmp(op, "load")) {
		/* load <as> <pid|0> <addr>: the byte there (another process: process_vm_readv) */
		NEED(4);
		pid_t pid = (pid_t)A(t[2]);
		uint64_t addr = (uint64_t)A(t[3]);
		if (pid == 0) {
			r = user_load(addr);
		} else {
			uint8_t b;
			struct iovec l = { &b, 1 }, rm = { (void *)(uintptr_t)addr, 1 };
			r = syscall(SYS_process_vm_readv, pid, &l, 1, &rm, 1, 0);
			r = r < 0 ? -errno : b;
		}
	} else if (!strcmp(op, "fork")) {
		NEED(2);
		pid_t c = fork();
		if (c == 0) {
			/* the child stays alive, idle, until the case ends */
			for (;;)
				pause();
		}
		if (c > 0 && nchildren < 16)
			children[nchildren++] = c;
		r = c < 0 ? -errno : c;
	} else if (!strcmp(op, "setrlimit")) {
		NEED(5);
		struct rlimit rl = { .rlim_cur = (rlim_t)A(t[3]), .rlim_max = (rlim_t)A(t[4]) };
		r = RET(setrlimit((int)A(t[2]), &rl));
	} else if (!strcmp(op, "capdrop")) {
		/* capdrop - <mask of capability bits 0..31> */
		NEED(3);
		unsigned int mask = (unsigned int)A(t[2]);
		struct __user_cap_header_struct h = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
		struct __user_cap_data_struct d[2];
		if (syscall(SYS_capget, &h, d) < 0)
			return setupfail("capget-errno=%d", errno);
		d[0].effective &= ~mask;
		d[0].permitted &= ~mask;
		d[0].inheritable &= ~mask;
		r = syscall(SYS_capset, &h, d) < 0 ? -errno : 0;
	} else if (!strcmp(op, "vfio-ioctl0")) {
		/* vfio-ioctl0 <as> <fd> get-api|check-ext|set-iommu [arg] */
		NEED(4);
		unsigned long req = !strcmp(t[3], "get-api") ? VFIO_GET_API_VERSION
			: !strcmp(t[3], "check-ext") ? VFIO_CHECK_EXTENSION : VFIO_SET_IOMMU;
		r = ioctl((int)A(t[2]), req, n > 4 ? (unsigned long)A(t[4]) : 0UL);
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "vfio-set-container")) {
		NEED(4);
		int c = (int)A(t[3]);
		r = RET(ioctl((int)A(t[2]), VFIO_GROUP_SET_CONTAINER, &c));
	} else if (!strcmp(op, "vfio-get-device-fd")) {
		NEED(3);
		r = ioctl((int)A(t[2]), VFIO_GROUP_GET_DEVICE_FD, edu_bdf);
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "vfio-get-info")) {
		NEED(3);
		struct vfio_iommu_type1_info in = { .argsz = sizeof in };
		r = RET(ioctl((int)A(t[2]), VFIO_IOMMU_GET_INFO, &in));
		if (arg_err)
			return -1;
		slot_set(as, r);
		out("ret=%lld flags=%u iova_pgsizes=%#llx", r, in.flags, (unsigned long long)in.iova_pgsizes);
		return 0;
	} else if (!strcmp(op, "vfio-get-info-caps")) {
		/* vfio-get-info-caps <as> <fd> <argsz>: the struct plus a buffer of argsz bytes; prints the
		 * argsz the kernel asks for, the capability ids of the chain (if copied) and DMA_AVAIL. */
		NEED(4);
		long long want = A(t[3]);
		if (arg_err)
			return -1;
		size_t len = want < (long long)sizeof(struct vfio_iommu_type1_info) ? sizeof(struct vfio_iommu_type1_info) : (size_t)want;
		struct vfio_iommu_type1_info *in = calloc(1, len);
		if (!in)
			return setupfail("calloc");
		in->argsz = (uint32_t)want;
		r = RET(ioctl((int)A(t[2]), VFIO_IOMMU_GET_INFO, in));
		char caps[256] = "";
		long long avail = -1;
		int has_avail = 0;
		if (r == 0 && (in->flags & VFIO_IOMMU_INFO_CAPS) && in->cap_offset && in->argsz <= len) {
			uint32_t off = in->cap_offset;
			for (int k = 0; off && off + sizeof(struct vfio_info_cap_header) <= in->argsz && k < 16; k++) {
				struct vfio_info_cap_header *h = (void *)((char *)in + off);
				const char *nm = h->id == VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE ? "IOVA_RANGE"
					: h->id == VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION ? "MIGRATION"
					: h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL ? "DMA_AVAIL" : "OTHER";
				if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL) {
					avail = ((struct vfio_iommu_type1_info_dma_avail *)h)->avail;
					has_avail = 1;
				}
				snprintf(caps + strlen(caps), sizeof caps - strlen(caps), "%s%s", caps[0] ? "," : "", nm);
				off = h->next;
			}
		}
		slot_set(as, r);
		if (has_avail)
			out("ret=%lld argsz=%u caps=%s dma_avail=%lld", r, in->argsz, caps[0] ? caps : "-", avail);
		else
			out("ret=%lld argsz=%u caps=%s", r, in->argsz, caps[0] ? caps : "-");
		free(in);
		return 0;
	} else if (!strcmp(op, "vfio-dirty")) {
		/* vfio-dirty <as> <fd> <flags> <iova> <size> <pgsize> <argsz>: VFIO_IOMMU_DIRTY_PAGES; for
		 * GET_BITMAP a bitmap of exactly size/pgsize bits (whole u64s); prints the set bits. */
		NEED(8);
		unsigned long long size = (unsigned long long)A(t[5]), pgsize = (unsigned long long)A(t[6]);
		if (arg_err)
			return -1;
		unsigned long long nbits = pgsize ? size / pgsize : 0;
		if (nbits > (1ULL << 24))
			return setupfail("bitmap-too-large");
		size_t bytes = (size_t)((nbits + 63) / 64) * 8;
		uint64_t *bm = calloc(1, bytes ? bytes : 8);
		struct {
			struct vfio_iommu_type1_dirty_bitmap h;
			struct vfio_iommu_type1_dirty_bitmap_get g;
		} req;
		if (!bm)
			return setupfail("calloc");
		memset(&req, 0, sizeof req);
		req.h.argsz = (uint32_t)A(t[7]);
		req.h.flags = (uint32_t)A(t[3]);
		req.g.iova = (uint64_t)A(t[4]);
		req.g.size = size;
		req.g.bitmap.pgsize = pgsize;
		req.g.bitmap.size = bytes;
		req.g.bitmap.data = (__u64 *)bm;
		r = RET(ioctl((int)A(t[2]), VFIO_IOMMU_DIRTY_PAGES, &req));
		char list[512] = "";
		if (r == 0 && (req.h.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP)) {
			for (unsigned long long i = 0; i < nbits && strlen(list) < sizeof list - 24; i++)
				if (bm[i / 64] & (1ULL << (i % 64)))
					snprintf(list + strlen(list), sizeof list - strlen(list), "%s%llu", list[0] ? "," : "", i);
		}
		free(bm);
		slot_set(as, r);
		out("ret=%lld dirty=%s", r, list[0] ? list : "-");
		return 0;
	} else if (!strcmp(op, "vfio-map")) {
		/* vfio-map <as> <fd> <vaddr> <iova> <size> <flags> <argsz> */
		NEED(8);
		struct vfio_iommu_type1_dma_map m = {
			.argsz = (uint32_t)A(t[7]), .flags = (uint32_t)A(t[6]),
			.vaddr = (uint64_t)A(t[3]), .iova = (uint64_t)A(t[4]), .size = (uint64_t)A(t[5]),
		};
		r = RET(ioctl((int)A(t[2]), VFIO_IOMMU_MAP_DMA, &m));
	} else if (!strcmp(op, "vfio-unmap")) {
		/* vfio-unmap <as> <fd> <iova> <size> <flags> <argsz> */
		NEED(7);
		struct vfio_iommu_type1_dma_unmap u = {
			.argsz = (uint32_t)A(t[6]), .flags = (uint32_t)A(t[5]), .iova = (uint64_t)A(t[3]), .size = (uint64_t)A(t[4]),
		};
		r = RET(ioctl((int)A(t[2]), VFIO_IOMMU_UNMAP_DMA, &u));
		if (arg_err)
			return -1;
		slot_set(as, r);
		out("ret=%lld size=%llu", r, (unsigned long long)u.size);
		return 0;
	} else if (!strcmp(op, "uring-setup")) {
		NEED(3);
		struct io_uring_params p;
		memset(&p, 0, sizeof p);
		r = syscall(SYS_io_uring_setup, (unsigned int)A(t[2]), &p);
		r = r < 0 ? -errno : r;
		io_ring_remember((int)r, &p);
	} else if (!strcmp(op, "uring-register")) {
		/* uring-register <as> <ring> <base> <len> [<base> <len> ...] */
		NEED(3);
		struct iovec iov[16];
		int k = 0;
		for (int i = 3; i + 1 < n && k < 16; i += 2, k++) {
			iov[k].iov_base = (void *)(uintptr_t)A(t[i]);
			iov[k].iov_len = (size_t)A(t[i + 1]);
		}
		r = syscall(SYS_io_uring_register, (int)A(t[2]), IORING_REGISTER_BUFFERS, iov, k);
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "uring-unregister")) {
		NEED(3);
		r = syscall(SYS_io_uring_register, (int)A(t[2]), IORING_UNREGISTER_BUFFERS, NULL, 0);
		r = r < 0 ? -errno : r;
	} else if (!strcmp(op, "dma-write")) {
		return op_dma_write(t, n);
	} else if (!strcmp(op, "dma-read")) {
		return op_dma_read(t, n);

	/* ---- probes */
	} else if (!strcmp(op, "frame")) {
		/* frame <as> <pid|0> <addr>: pfn (or -1 if nothing mapped) and its zone */
		NEED(4);
		long long p = pagemap_pfn((pid_t)A(t[2]), (uint64_t)A(t[3]));
		if (arg_err)
			return -1;
		if (p < -1)
			return setupfail("pagemap-unreadable");
		slot_set(as, p);
		if (p < 0)
			out("ret=-1 zone=null");
		else
			out("ret=%lld zone=%s", p, zone_of((unsigned long long)p));
		return 0;
	} else if (!strcmp(op, "locked-vm") || !strcmp(op, "pinned-vm")) {
		/* locked-vm <as> <pid|0>: VmLck in pages; pinned-vm: VmPin in pages */
		NEED(3);
		pid_t pid = (pid_t)A(t[2]);
		long l = status_kb(pid, "VmLck"), pn = status_kb(pid, "VmPin");
		if (arg_err)
			return -1;
		if (l < 0 || pn < 0)
			return setupfail("proc-status-unreadable");
		long v = !strcmp(op, "locked-vm") ? l / 4 : pn / 4;
		slot_set(as, v);
		out("ret=%ld locked_vm=%ld pinned_vm=%ld", v, l / 4, pn / 4);
		return 0;
	} else if (!strcmp(op, "file-size")) {
		NEED(3);
		struct stat st;
		r = stat(t[2], &st) < 0 ? -errno : (long long)st.st_size;
	} else {
		return setupfail("unknown-op");
	}
	if (arg_err)
		return -1;
	slot_set(as, r);
	out("ret=%lld", r);
	return 0;
}

static int tokenize(char *line, char **t)
{
	int n = 0;
	for (char *s = strtok(line, " \t\r\n"); s && n < MAXTOK; s = strtok(NULL, " \t\r\n"))
		t[n++] = s;
	return n;
}

/* Run the lines of one case in this (child) process. A set-up failure ends the case. */
static int run_case(char **lines, int nl)
{
	install_fault_handler();
	kmsg_open();
	for (int i = 0; i < nl; i++) {
		char buf[1024], *t[MAXTOK];
		snprintf(buf, sizeof buf, "%s", lines[i]);
		int n = tokenize(buf, t);
		if (!n || t[0][0] == '#')
			continue;
		g_step = i;
		g_op = t[0];
		if (!strcmp(t[0], "exit"))
			return 0;
		if (run_op(t, n) < 0)
			return 1;
	}
	return 0;
}

static int write_sysctl(const char *path, int v)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	fprintf(f, "%d\n", v);
	return fclose(f) ? -1 : 0;
}

#define DMA_LIMIT_PARAM "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"
static int dma_limit_boot = -1;

static int read_int(const char *path)
{
	FILE *f = fopen(path, "r");
	int v = -1;
	if (!f)
		return -1;
	if (fscanf(f, "%d", &v) != 1)
		v = -1;
	fclose(f);
	return v;
}

/* Free and re-reserve the 2 MiB hugetlb pool; returns the number of pages obtained. */
static int reset_hugetlb_pool(int pages)
{
	const char *p = "/proc/sys/vm/nr_hugepages";
	int got = -1;
	if (write_sysctl(p, 0) < 0 || write_sysctl(p, pages) < 0)
		return -1;
	FILE *f = fopen(p, "r");
	if (f) {
		if (fscanf(f, "%d", &got) != 1)
			got = -1;
		fclose(f);
	}
	return got;
}

static void env_facts(void)
{
	int e = find_edu();
	printf("@@E driver-edu=%s bound=%s group=%d\n", edu_bdf[0] ? edu_bdf : "none", e == 0 ? "vfio-pci" : "no", edu_group);
	fflush(stdout);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: pinlab-guest CASEFILE\n");
		return 2;
	}
	FILE *f = fopen(argv[1], "r");
	if (!f) {
		perror("case file");
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	env_facts();
	dma_limit_boot = read_int(DMA_LIMIT_PARAM);
	static char *lines[MAXLINES];
	char name[128] = "", line[1024];
	int nl = 0, in_case = 0;
	while (fgets(line, sizeof line, f)) {
		char *t[MAXTOK], tmp[1024];
		snprintf(tmp, sizeof tmp, "%s", line);
		int n = tokenize(tmp, t);
		if (n >= 2 && !strcmp(t[0], "case")) {
			snprintf(name, sizeof name, "%s", t[1]);
			nl = 0;
			in_case = 1;
		} else if (n >= 1 && !strcmp(t[0], "end") && in_case) {
			/* Every case starts from the same hugetlb pool: earlier cases' long-term pins may
			 * have moved pool pages out of ZONE_MOVABLE, so free the pool and reserve it again. */
			int got = reset_hugetlb_pool(16);
			if (got != 16)
				printf("@@E hugetlb-pool-reset=%d\n", got);
			printf("@@C %s begin\n", name);
			fflush(stdout);
			pid_t c = fork();
			if (c == 0) {
				g_case = name;
				/* a case that hangs is killed (SIGALRM) and reported as not finished */
				alarm(60);
				int rc = run_case(lines, nl);
				alarm(0);
				reap_children();
				fflush(stdout);
				_exit(rc);
			}
			int st = 0;
			waitpid(c, &st, 0);
			/* the parent restores the module parameter, also after a killed case */
			if (dma_limit_boot >= 0 && read_int(DMA_LIMIT_PARAM) != dma_limit_boot)
				write_sysctl(DMA_LIMIT_PARAM, dma_limit_boot);
			printf("@@C %s end status=%d\n", name, WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st));
			fflush(stdout);
			for (int i = 0; i < nl; i++)
				free(lines[i]);
			nl = 0;
			in_case = 0;
		} else if (in_case && n >= 1 && nl < MAXLINES) {
			lines[nl++] = strdup(line);
		}
	}
	printf("@@C all done\n");
	fflush(stdout);
	return 0;
}
