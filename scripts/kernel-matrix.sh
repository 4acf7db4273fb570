#!/usr/bin/env bash
# The kernel matrix: Debian's own kernels (the 6.1 that Debian 12 runs, and
# 6.12) booted under qemu with the static streamtrace and workloads in an
# initramfs; the guest runs tests/kernels/init.sh, which prints its results
# on the serial console, and tests/kernels/check.py asserts on them here.
#
# Kernels: the newest linux-image-6.1.0-*-cloud-amd64 and
# linux-image-6.12.*-cloud-amd64 that apt-cache knows, fetched with
# `apt-get download` into $BUILD/kernels (cached: a second run needs no
# network). KERNELS="pkg ..." picks others. qemu runs under TCG (software
# emulation; QEMU_ACCEL=kvm where KVM works): KVM is present on the
# development machine but does not work, and TCG boots a cloud kernel in
# about 3 s. Each guest is bounded by BOOT_TIMEOUT seconds (default 360);
# both kernels together take about 3 to 4 minutes (one host thread runs
# both vCPUs, see ACCEL below).
# usage: scripts/kernel-matrix.sh   (make check-kernels builds what it needs first)
set -u
ROOT=$(cd "$(dirname "$0")/.." && pwd)
BUILD=${BUILD:-build}
case $BUILD in /*) ;; *) BUILD=$ROOT/$BUILD ;; esac
STATIC=$BUILD/static
CACHE=$BUILD/kernels
BOOT_TIMEOUT=${BOOT_TIMEOUT:-360}
QEMU=${QEMU:-qemu-system-x86_64}
# QEMU_ACCEL=kvm where KVM works (not on the development machine, where it is
# present but fails); the tolerances in tests/kernels/check.py are TCG's
# thread=single: one host thread runs both vCPUs in turn. With a thread per
# vCPU (MTTCG), a jump label patched on one vCPU (text_poke_bp, as when a
# tracepoint's last program is detached) was still executed as the
# temporary int3 on the other after the patch had finished: "Oops: int3" in
# do_exit and a dead guest (seen twice in three boots of 6.12 on a loaded
# host; CI's death in mm1fb was at the same moment, streamtrace's exit)
ACCEL=${QEMU_ACCEL:-tcg,thread=single}

die() {
	echo "kernel-matrix: $*" >&2
	exit 1
}

for f in "$STATIC/streamtrace" "$STATIC/tests/sysload" "$STATIC/tests/qbench" "$STATIC/tests/bpfprog"; do
	[ -x "$f" ] || die "missing $f (make static first)"
done
command -v "$QEMU" >/dev/null || die "no $QEMU (scripts/install-deps.sh installs qemu-system-x86)"
[ -x /bin/busybox ] || die "no /bin/busybox (scripts/install-deps.sh installs busybox-static)"
command -v cpio >/dev/null || die "no cpio"
# busybox must be the static one: the guest has no libc
file -L /bin/busybox 2>/dev/null | grep -q 'dynamically linked' && die "/bin/busybox is not static (install busybox-static)"
mkdir -p "$CACHE"

# The newest package of a kernel series: the cloud meta-package's
# dependency, else the highest version apt-cache lists by name.
newest() { # newest META NAME_REGEX
	local p
	p=$(apt-cache depends "$1" 2>/dev/null | awk '$1 == "Depends:" && $2 ~ /^linux-image-/ {print $2; exit}')
	[ -n "$p" ] || p=$(apt-cache search --names-only "$2" 2>/dev/null | awk '{print $1}' | sort -V | tail -1)
	echo "$p"
}
# cached PATTERN: the newest kernel of a series already downloaded (offline)
cached() {
	local d
	for d in "$CACHE"/$1; do
		[ -s "$d/vmlinuz" ] && basename "$d"
	done | sort -V | tail -1
}
resolve() {
	k61=$(newest linux-image-cloud-amd64 '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$')
	case $k61 in linux-image-6.1.*) ;; *) k61=$(newest none '^linux-image-6\.1\.0-[0-9]+-cloud-amd64$') ;; esac
	k612=$(newest linux-image-6.12-cloud-amd64 '^linux-image-6\.12\.[0-9]+\+deb12-cloud-amd64$')
}
if [ -z "${KERNELS:-}" ]; then
	resolve
	# apt's lists may be empty (a fresh container): fetch them once
	if { [ -z "$k61" ] || [ -z "$k612" ]; } && [ "$(id -u)" = 0 ]; then
		apt-get update -qq >/dev/null 2>&1
		resolve
	fi
	# offline: the newest of each series downloaded before
	[ -n "$k61" ] || k61=$(cached 'linux-image-6.1.0-*-cloud-amd64')
	[ -n "$k612" ] || k612=$(cached 'linux-image-6.12.*-cloud-amd64')
	[ -n "$k61" ] && [ -n "$k612" ] ||
		die "apt-cache knows no linux-image-6.1.0-*-cloud-amd64 or 6.12 cloud kernel (Debian 12 with bookworm-updates/security in sources.list)"
	KERNELS="$k61 $k612"
fi

# fetch PKG: the kernel image of PKG into $CACHE/PKG/vmlinuz (cached)
fetch() {
	local pkg=$1 dir=$CACHE/$1 deb
	[ -s "$dir/vmlinuz" ] && return 0
	deb=$(ls "$CACHE/${pkg}"_*.deb 2>/dev/null | head -1)
	if [ -z "$deb" ]; then
		(cd "$CACHE" && apt-get download "$pkg" >/dev/null 2>"$CACHE/$pkg.apt.err") ||
			{ echo "kernel-matrix: apt-get download $pkg: $(tail -1 "$CACHE/$pkg.apt.err")" >&2; return 1; }
		deb=$(ls "$CACHE/${pkg}"_*.deb | head -1)
	fi
	rm -rf "$dir.x" && mkdir -p "$dir.x" && dpkg-deb -x "$deb" "$dir.x" || return 1
	mkdir -p "$dir"
	cp "$dir.x"/boot/vmlinuz-* "$dir/vmlinuz" && cp "$dir.x"/boot/config-* "$dir/config"
	rm -rf "$dir.x"
	[ -s "$dir/vmlinuz" ]
}

# The initramfs: busybox, the static binaries, the suite as /init.
INITRD=$CACHE/initrd.cpio.gz
build_initrd() {
	local d=$CACHE/initrd
	rm -rf "$d" && mkdir -p "$d/bin" "$d/proc" "$d/sys" "$d/dev" "$d/tmp" || return 1
	cp /bin/busybox "$d/bin/busybox"
	cp "$STATIC/streamtrace" "$STATIC/tests/sysload" "$STATIC/tests/qbench" \
		"$STATIC/tests/bpfprog" "$d/bin/"
	strip "$d/bin/streamtrace" 2>/dev/null
	cp "$ROOT/tests/kernels/init.sh" "$d/init" && chmod 755 "$d/init"
	(cd "$d" && find . | cpio -o -H newc --quiet | gzip -1) >"$INITRD"
}
build_initrd || die "cannot build the initramfs"

fail=0
summary=""
t_all=$(date +%s)
for pkg in $KERNELS; do
	echo "=== $pkg"
	if ! fetch "$pkg"; then
		fail=1
		summary="$summary\n  $pkg: FAIL (no kernel image)"
		continue
	fi
	# two serial ports: the kernel's console (its log, oopses and panics
	# included, at every level) on the first, the suite's output on the
	# second, so neither garbles the other
	log=$CACHE/$pkg.console
	klog=$CACHE/$pkg.kernel.log
	for attempt in 1 2; do
		rm -f "$log" "$klog"
		t0=$(date +%s)
		timeout "$BOOT_TIMEOUT" "$QEMU" -machine q35 -accel "$ACCEL" -cpu max -m 1024 -smp 2 \
			-kernel "$CACHE/$pkg/vmlinuz" -initrd "$INITRD" \
			-append "console=ttyS0 loglevel=7 panic=-1" -display none -monitor none \
			-serial file:"$klog" -serial file:"$log" -no-reboot \
			</dev/null >"$log.qemu.out" 2>"$log.qemu.err"
		qrc=$?
		secs=$(($(date +%s) - t0))
		[ $qrc = 124 ] && echo "    qemu timed out after $BOOT_TIMEOUT s"
		echo "    booted and ran in $secs s (suite: $log, kernel log: $klog)"
		python3 "$ROOT/tests/kernels/check.py" "$log" "$CACHE/$pkg.out" "$klog"
		ok=$?
		# A guest that died before the end of its suite (no @@DONE) is
		# booted once more: the death and the kernel's last words are
		# printed above (check.py), so a real crash stays visible; a
		# second death, or any failed check on a guest that ran to the
		# end, fails the matrix
		if [ $ok != 0 ] && [ $attempt = 1 ] && ! grep -q '@@DONE' "$log" 2>/dev/null; then
			echo "    WARNING: the guest died before the end of its suite; booting it once more"
			cp "$klog" "$klog.died" 2>/dev/null
			cp "$log" "$log.died" 2>/dev/null
			continue
		fi
		break
	done
	if [ $ok = 0 ]; then
		summary="$summary\n  $pkg: ok ($secs s"
		[ $attempt = 2 ] && summary="$summary, on a second boot: the first guest died, see $klog.died"
		summary="$summary)"
	else
		fail=1
		summary="$summary\n  $pkg: FAIL ($secs s)"
	fi
done
echo
printf "kernel-matrix:%b\n" "$summary"
echo "kernel-matrix: all kernels in $(($(date +%s) - t_all)) s"
exit $fail
