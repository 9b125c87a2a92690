#!/bin/busybox sh
# pinlab conformance guest /init (busybox sh). Sets up the devices and file systems the
# cases need, prints one "@@E key=value" line per set-up fact (what was achieved, not what
# was intended), runs the test driver over /cases.txt and powers off.
/bin/busybox --install -s /bin
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev
mount -t tmpfs tmpfs /tmp
mkdir -p /run /mnt/ext4 /mnt/dax /mnt/huge /etc /tmp/pinlab
ln -sf /proc/mounts /etc/mtab
echo "@@E kernel=$(uname -r)"
echo "@@E cmdline=$(cat /proc/cmdline)"

# Kernel modules, in dependency order (modprobe --show-depends on the host).
while read -r m args; do
  [ -n "$m" ] || continue
  insmod "/lib/modules/$m" $args 2>/dev/null || {
    # already built in or loaded is fine; anything else is recorded
    name=$(basename "$m" .ko); name=$(echo "$name" | tr - _)
    [ -d "/sys/module/$name" ] || echo "@@E insmod-failed=$m"
  }
done < /modules.order

# edu -> vfio-pci
edu=none
for d in /sys/bus/pci/devices/*; do
  if [ "$(cat $d/vendor)" = 0x1234 ] && [ "$(cat $d/device)" = 0x11e8 ]; then edu=$(basename $d); fi
done
if [ "$edu" != none ]; then
  echo vfio-pci > /sys/bus/pci/devices/$edu/driver_override
  echo $edu > /sys/bus/pci/drivers_probe 2>/dev/null
  drv=$(basename "$(readlink /sys/bus/pci/devices/$edu/driver)" 2>/dev/null)
  grp=$(basename "$(readlink /sys/bus/pci/devices/$edu/iommu_group)" 2>/dev/null)
  echo "@@E edu-bdf=$edu edu-driver=${drv:-none} edu-group=${grp:-none}"
else
  echo "@@E edu-bdf=none"
fi
ls /dev/vfio/ >/dev/null 2>&1 && echo "@@E vfio-dev=$(ls /dev/vfio | tr '\n' ,)"

# NVDIMMs: region of the first becomes fs-DAX, the second device-DAX.
sleep 1
ndctl create-namespace -f -e namespace0.0 -m fsdax -M mem >/tmp/nd0 2>&1 || echo "@@E ndctl-fsdax-failed=$(tr '\n' ' ' </tmp/nd0)"
ndctl create-namespace -f -e namespace1.0 -m devdax -M mem >/tmp/nd1 2>&1 || echo "@@E ndctl-devdax-failed=$(tr '\n' ' ' </tmp/nd1)"
if [ -b /dev/pmem0 ]; then
  mkfs.ext4 -q -F -b 4096 /dev/pmem0 >/tmp/mk0 2>&1 && mount -t ext4 -o dax /dev/pmem0 /mnt/dax 2>/tmp/mt0 || echo "@@E fsdax-mount-failed=$(cat /tmp/mk0 /tmp/mt0 | tr '\n' ' ')"
fi
for x in /dev/dax*; do [ -c "$x" ] && ln -sf "$x" /dev/pinlab-devdax && echo "@@E devdax-dev=$x" && break; done

# Plain ext4 on a RAM disk (brd).
if [ -b /dev/ram0 ]; then
  mkfs.ext4 -q -F -b 4096 /dev/ram0 >/tmp/mk1 2>&1 && mount -t ext4 /dev/ram0 /mnt/ext4 2>/tmp/mt1 || echo "@@E ext4-mount-failed=$(cat /tmp/mk1 /tmp/mt1 | tr '\n' ' ')"
fi
grep -E ' /mnt/(dax|ext4) ' /proc/mounts | while read -r dev mnt fs opts rest; do echo "@@E mount=$mnt fs=$fs opts=$opts"; done

echo 16 > /proc/sys/vm/nr_hugepages
mount -t hugetlbfs none /mnt/huge || echo "@@E hugetlbfs-mount-failed"

echo "@@E nr_hugepages=$(cat /proc/sys/vm/nr_hugepages)"
echo "@@E thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled)"
echo "@@E thp_use_zero_page=$(cat /sys/kernel/mm/transparent_hugepage/use_zero_page)"
echo "@@E dma_entry_limit=$(cat /sys/module/vfio_iommu_type1/parameters/dma_entry_limit 2>/dev/null)"
awk '/^Node/{z=$4} /spanned/{s=$2} /start_pfn/{printf "@@E zone=%s start_pfn=%s spanned=%s\n", z, $2, s}' /proc/zoneinfo

echo "@@E driver-start"
/pinlab-guest /cases.txt
echo "@@E driver-exit=$?"
# The peer suite (npm run conformance -- --peer-selftest): the kernel's own selftest, when present.
[ -x /peer/run.sh ] && /peer/run.sh
poweroff -f
