#!/bin/sh
# Regenerate vmlinux/<arch>/vmlinux.h from the running kernel's BTF. The
# committed header is all CO-RE needs to build anywhere: regenerate only to
# use kernel types newer than it has (the programs still load on older
# kernels where they guard with bpf_core_field_exists).
# usage: scripts/gen-vmlinux.sh [BTF_FILE]
set -eu
cd "$(dirname "$0")/.."
btf=${1:-/sys/kernel/btf/vmlinux}
arch=$(uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
[ -r "$btf" ] || { echo "gen-vmlinux: no BTF at $btf" >&2; exit 1; }
mkdir -p "vmlinux/$arch"
bpftool btf dump file "$btf" format c >"vmlinux/$arch/vmlinux.h.tmp"
mv "vmlinux/$arch/vmlinux.h.tmp" "vmlinux/$arch/vmlinux.h"
echo "gen-vmlinux: wrote vmlinux/$arch/vmlinux.h from $btf ($(uname -r))"
