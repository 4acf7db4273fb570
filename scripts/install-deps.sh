#!/bin/sh
# Install the Debian packages that building, testing and the demo need.
# Idempotent: does nothing (and needs no network) when all are present.
# `make check` and `make demo` call it, so a fresh Debian 12 machine needs
# nothing done by hand.
set -eu

# busybox-static, qemu-system-x86 and cpio: the kernel matrix (scripts/kernel-matrix.sh)
# The real-server suite (tests/integration/servers.sh) starts its own
# redis-server, PostgreSQL (pgbench and pg_stat_statements come with
# postgresql/postgresql-contrib), nginx, mosquitto and nats-server on its own
# ports and data dirs; the services that the packages install are not used.
# linux-perf: make bench runs perf record beside --profile (scripts/bench-profile.sh);
# the servers and busy suites read a thread's CPU with perf stat (task-clock),
# bpftrace its wait after preemptions
# libncurses-dev: streamtrace top (user/tui.c); tmux drives it in tests/integration/tui.sh;
# groff-base and man-db: the man page is checked (groff -ww) and read with man -l
# libmicrohttpd-dev brings the header and libmicrohttpd12, which --listen dlopens
PKGS="make gcc clang llvm libbpf-dev bpftool libelf-dev zlib1g-dev linux-libc-dev libmicrohttpd-dev libgnutls28-dev \
libcmocka-dev libyaml-dev libcrypt-dev libncurses-dev tmux groff-base man-db openssl clang-format strace bpftrace python3 procps iproute2 prometheus curl \
libclang-rt-14-dev chromium nftables busybox-static qemu-system-x86 cpio \
redis-server redis-tools postgresql postgresql-contrib nginx wrk mosquitto mosquitto-clients nats-server \
linux-perf python3-prometheus-client"

missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing="$missing $p"
done
[ -z "$missing" ] && exit 0

if [ "$(id -u)" != 0 ]; then
	echo "install-deps: missing packages:$missing (run as root, or: sudo apt-get install$missing)" >&2
	exit 1
fi
echo "install-deps: installing$missing"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null
