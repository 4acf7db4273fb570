# streamtrace: one Makefile, quiet by default (V=1 shows commands), every
# output under $(BUILD). `make help` lists the targets.

BUILD      ?= build
PREFIX     ?= /usr/local
DESTDIR    ?=
ARCH       ?= $(shell uname -m | sed 's/x86_64/x86/; s/aarch64/arm64/')
VERSION    := $(shell cat VERSION 2>/dev/null || echo 0.0.0)

CC         ?= gcc
CLANG      ?= $(firstword $(shell command -v clang-14 clang 2>/dev/null) clang)
LLVM_STRIP ?= $(firstword $(shell command -v llvm-strip-14 llvm-strip 2>/dev/null) llvm-strip)
BPFTOOL    ?= $(firstword $(shell command -v bpftool /usr/sbin/bpftool 2>/dev/null) bpftool)
CLANG_FMT  ?= $(firstword $(shell command -v clang-format-14 clang-format 2>/dev/null) clang-format)

ifeq ($(V),1)
Q =
msg =
else
Q = @
msg = @printf '  %-8s %s\n' "$(1)" "$(2)";
endif

WARN       := -Wall -Wextra -Werror
CFLAGS     ?= -O2 -g
ST_CFLAGS  := $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP -I$(BUILD) -I$(BUILD)/gen -I. -Iuser \
	      -DST_VERSION='"$(VERSION)"'
# libmicrohttpd is dlopen'ed by --listen (user/http_server.c), not linked. The
# static build has no --listen: Debian's libmicrohttpd.a needs GnuTLS, and
# GnuTLS's p11-kit has no static library.
LDLIBS     := -lbpf -lelf -lz -lm -lpthread -ldl
# --web-config (user/web_config.c): libyaml parses the file, crypt(3) checks
# bcrypt passwords. Both are linked; the static build keeps them when
# libyaml.a is installed (libyaml-dev has it) and goes without --web-config
# when it is not.
WEB_LIBS   := -lyaml -lcrypt
ifeq ($(STATIC),1)
LDFLAGS    += -static
ST_CFLAGS  += -DST_NO_MICROHTTPD
# no dlopen in the static binary: --profile's frames stay mangled there
ST_CFLAGS  += -DST_NO_DLOPEN
ifeq ($(wildcard $(shell $(CC) -print-file-name=libyaml.a)),)
$(info static build: no libyaml.a, so no --web-config (apt-get install libyaml-dev))
ST_CFLAGS  += -DST_NO_YAML
WEB_LIBS   := -lcrypt
endif
endif
LDLIBS     += $(WEB_LIBS)
# streamtrace top's full-screen view (user/tui.c); the static build keeps it
# when libncursesw.a is installed (libncurses-dev has it) and prints the
# plain table without it
TUI_LIBS   := -lncursesw -ltinfo
ifeq ($(STATIC),1)
ifeq ($(wildcard $(shell $(CC) -print-file-name=libncursesw.a)),)
$(info static build: no libncursesw.a, so no full-screen view (apt-get install libncurses-dev))
ST_CFLAGS  += -DST_NO_TUI
TUI_LIBS   :=
endif
endif
LDLIBS     += $(TUI_LIBS)
SAN        := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all

BPF_SRCS   := $(wildcard bpf/*.bpf.c)
BPF_OBJS   := $(patsubst bpf/%.bpf.c,$(BUILD)/bpf/%.bpf.o,$(BPF_SRCS))
USER_SRCS  := $(wildcard user/*.c)
USER_OBJS  := $(patsubst user/%.c,$(BUILD)/obj/%.o,$(USER_SRCS))
# pure modules: no libbpf, unit-tested without root
PURE       := busy services figures stats errbuf units diff_out svg hist names json_writer json_out model queue_model forecast whatif cli \
	      procfs collect table_out pipeline views btf_probe recording report html_out diff prom_out \
	      utf8 outfile web_config symbols profile profile_out tui_model html_sections sample_out \
	      diff_services
UNIT_SRCS  := $(wildcard tests/unit/test_*.c)
UNIT_BINS  := $(patsubst tests/unit/%.c,$(BUILD)/tests/%,$(UNIT_SRCS))
WORKLOADS  := $(patsubst tests/workload/%.c,$(BUILD)/tests/%,$(wildcard tests/workload/*.c)) \
	      $(BUILD)/tests/bpfprog
# STATIC=1 links the workloads statically too (the kernel-matrix guest has no libc)
WL_LDFLAGS := $(if $(filter 1,$(STATIC)),-static)

.DELETE_ON_ERROR:
.PHONY: all clean check unit integration format format-check demo bench install uninstall \
	deps static help workloads fuzz fuzz-short check-kernels soak docs-check

all: streamtrace workloads

help:
	@echo "make               build ./streamtrace and the test workloads"
	@echo "make check         install missing packages, build, run every test (root for BPF tests)"
	@echo "make unit          the unit tests (no root), under ASan/UBSan"
	@echo "make integration   the BPF test suites (root): tests/integration/*.sh"
	@echo "make docs-check    the man page renders without warnings; docs name every flag"
	@echo "make format        clang-format the sources (make format-check: only check)"
	@echo "make demo          install, build, and trace the bundled workload live"
	@echo "make check-kernels boot Debian's 6.1 and 6.12 kernels under qemu and test inside"
	@echo "make soak          the agent under process churn for an hour (writes docs/soak.md)"
	@echo "make bench         overhead benchmark against bpftrace (writes bench/results.md)"
	@echo "make fuzz          libFuzzer on the recording reader (FUZZ_TIME=600 s)"
	@echo "make static        a fully static binary (./streamtrace-static, no --listen)"
	@echo "make install       binary, man page, bash completion, systemd unit under"
	@echo "                   \$$(DESTDIR)\$$(PREFIX) (PREFIX=$(PREFIX)); make uninstall"
	@echo "make clean         remove build/"
	@echo "make V=1 ...       show the commands"

$(BUILD)/bpf $(BUILD)/obj $(BUILD)/gen $(BUILD)/tests $(BUILD)/tests/san:
	$(Q)mkdir -p $@

$(BUILD)/gen/syscall_table.h: scripts/gen-syscall-table.sh | $(BUILD)/gen
	$(call msg,GEN,$@)
	$(Q)scripts/gen-syscall-table.sh > $@

$(BUILD)/bpf/%.bpf.o: bpf/%.bpf.c $(wildcard bpf/*.h) vmlinux/$(ARCH)/vmlinux.h | $(BUILD)/bpf
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror \
		-Ivmlinux/$(ARCH) -Ibpf -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@

$(BUILD)/streamtrace.bpf.o: $(BPF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(BPFTOOL) gen object $@ $^

$(BUILD)/streamtrace.skel.h: $(BUILD)/streamtrace.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name streamtrace_bpf > $@

$(USER_OBJS): | $(BUILD)/gen/syscall_table.h $(BUILD)/streamtrace.skel.h
$(BUILD)/obj/%.o: user/%.c | $(BUILD)/obj
	$(call msg,CC,$@)
	$(Q)$(CC) $(ST_CFLAGS) -c $< -o $@

$(BUILD)/streamtrace: $(USER_OBJS)
	$(call msg,LD,$@)
	$(Q)$(CC) $(LDFLAGS) $^ -o $@ $(LDLIBS)

streamtrace: $(BUILD)/streamtrace
	$(Q)ln -sf $(BUILD)/streamtrace $@

# the static binary only: ./streamtrace keeps pointing at the full build
# (the static one has no --listen)
static:
	$(Q)$(MAKE) --no-print-directory STATIC=1 BUILD=$(BUILD)/static $(BUILD)/static/streamtrace \
		workloads $(BUILD)/static/tests/bpfprog
	$(Q)ln -sf $(BUILD)/static/streamtrace streamtrace-static

workloads: $(WORKLOADS)
$(BUILD)/tests/%: tests/workload/%.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP $(WL_LDFLAGS) $< -o $@ -lm -lpthread
# the profile test's workloads and the demo pipeline: stacks by frame pointers (issue 13)
$(BUILD)/tests/hotspin $(BUILD)/tests/offsvc $(BUILD)/tests/qbench: CFLAGS += -fno-omit-frame-pointer
# the kernel matrix's stand-in for bpftool in the guest
$(BUILD)/tests/bpfprog: tests/kernels/bpfprog.c | $(BUILD)/tests
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -MMD -MP $(WL_LDFLAGS) $< -o $@

# unit tests: the pure modules are compiled once, under ASan/UBSan, into one
# archive that every test links (not once per test binary)
SAN_OBJS   := $(patsubst %,$(BUILD)/san/%.o,$(PURE))
$(BUILD)/san:
	$(Q)mkdir -p $@
$(BUILD)/san/%.o: user/%.c $(BUILD)/gen/syscall_table.h | $(BUILD)/san
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) -O1 -g $(WARN) -std=gnu11 -MMD -MP $(SAN) -I$(BUILD)/gen -I. -Iuser -c $< -o $@
$(BUILD)/san/libpure.a: $(SAN_OBJS)
	$(call msg,AR,$@)
	$(Q)rm -f $@ && ar rcs $@ $^
# a test's own source compiles beside the pure modules (only its link waits
# for the archive): test_framing.c alone is ~7 CPU-s
$(BUILD)/tests/test_%.o: tests/unit/test_%.c $(BUILD)/gen/syscall_table.h | $(BUILD)/tests
	$(call msg,CC-SAN,$@)
	$(Q)$(CC) -O1 -g $(WARN) -std=gnu11 -MMD -MP $(SAN) -I$(BUILD)/gen -I. -Iuser -c $< -o $@
.PRECIOUS: $(BUILD)/tests/test_%.o
$(BUILD)/tests/test_%: $(BUILD)/tests/test_%.o $(BUILD)/san/libpure.a
	$(call msg,LD,$@)
	$(Q)$(CC) $(SAN) $< $(BUILD)/san/libpure.a -o $@ -lcmocka -lm -lz -lyaml -lcrypt -lpthread \
		-lelf -ldl

# libFuzzer on the recording reader (and report/diff over what it reads):
# 20 s in `make check`, FUZZ_TIME seconds with `make fuzz`
FUZZ_TIME ?= 600
$(BUILD)/fuzz/fuzz_recording: tests/fuzz/fuzz_recording.c $(foreach m,$(PURE),user/$(m).c) $(BUILD)/gen/syscall_table.h
	$(call msg,FUZZ,$@)
	$(Q)mkdir -p $(BUILD)/fuzz/corpus
	$(Q)$(CLANG) -g -O1 -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=all $(WARN) \
		-std=gnu11 -I$(BUILD)/gen -I. -Iuser $< $(foreach m,$(PURE),user/$(m).c) -o $@ -lz -lm \
		-lyaml -lcrypt -lpthread -lelf -ldl

fuzz-short: $(BUILD)/fuzz/fuzz_recording
	$(Q)cd $(BUILD)/fuzz && ./fuzz_recording -max_total_time=20 -max_len=65536 corpus \
		>fuzz.log 2>&1 || { tail -40 fuzz.log; exit 1; }
	$(Q)echo "fuzz: the recording reader ran 20 s of libFuzzer inputs without a crash"

fuzz: $(BUILD)/fuzz/fuzz_recording
	$(Q)cd $(BUILD)/fuzz && ./fuzz_recording -max_total_time=$(FUZZ_TIME) -max_len=65536 \
		-print_final_stats=1 corpus

# the test binaries are built and run side by side (one per core unless -j
# says), each run into its log, printed whole when it ends
UNIT_JOBS  ?= $(shell nproc 2>/dev/null || echo 2)
UNIT_RUNS  := $(patsubst %,%.run,$(UNIT_BINS))
.PHONY: unit-run $(UNIT_RUNS)
unit:
	$(Q)$(MAKE) --no-print-directory $(if $(findstring j,$(filter-out --%,$(MAKEFLAGS))),,-j$(UNIT_JOBS)) unit-run
unit-run: $(UNIT_RUNS)
$(UNIT_RUNS): %.run: %
	$(Q)ST_CONTRACT_CHECK=$(CURDIR)/../shared/tools/contract-check $< >$<.log 2>&1; rc=$$?; \
		echo "== $<"; cat $<.log; exit $$rc

# bpf-unit (root): the framers of bpf/framing.h run by the kernel (verifier,
# then BPF_PROG_TEST_RUN) over the unit tests' streams, compared with the same
# code in user space; and the other pure helpers (log2 bucket, busy/idle state
# machine, --sample's counter) against what their inputs imply (about 2 s in
# all); make integration runs it first
BPFU := $(BUILD)/tests/bpf
.PHONY: bpf-unit
$(BPFU)/%_prog.bpf.o: tests/bpf/%_prog.bpf.c tests/bpf/%_prog.h $(wildcard bpf/*.h) \
		vmlinux/$(ARCH)/vmlinux.h
	$(call msg,BPF,$@)
	$(Q)mkdir -p $(BPFU)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Ivmlinux/$(ARCH) -Ibpf \
		-Itests/bpf -c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@
$(BPFU)/%_prog.skel.h: $(BPFU)/%_prog.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name $*_prog > $@
.PRECIOUS: $(BPFU)/%_prog.bpf.o $(BPFU)/%_prog.skel.h
$(BPFU)/framing_run: tests/bpf/framing_run.c $(BPFU)/framing_prog.skel.h tests/bpf/framing_prog.h \
		tests/unit/framing_streams.h bpf/framing.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -I$(BPFU) -I. $< -o $@ -lbpf -lelf -lz
$(BPFU)/helpers_run: tests/bpf/helpers_run.c $(BPFU)/helpers_prog.skel.h tests/bpf/helpers_prog.h \
		bpf/streamtrace.h user/hist.c user/hist.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -I$(BPFU) -I. $< user/hist.c -o $@ -lbpf -lelf -lz -lm
bpf-unit: $(BPFU)/framing_run $(BPFU)/helpers_run
	$(Q)$(BPFU)/framing_run
	$(Q)$(BPFU)/helpers_run
integration: bpf-unit

# soak: about 3 minutes of an agent under process and thread churn (SOAK_S)
INTEGRATION := run queue record prometheus kernel busy servers msgs profile soak tui
SOAK_S ?= 180
integration: all
	$(Q)SOAK_S=$(SOAK_S) scripts/run-suites.sh $(INTEGRATION)

# the soak test for an hour; its figures go to docs/soak.md
soak: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)SOAK_S=3600 SOAK_MD=$(CURDIR)/docs/soak.md tests/integration/soak.sh

format:
	$(Q)$(CLANG_FMT) -i bpf/*.c bpf/*.h user/*.c user/*.h tests/unit/*.c tests/workload/*.c \
		tests/fuzz/*.c tests/kernels/*.c

format-check:
	$(call msg,FORMAT,check)
	$(Q)$(CLANG_FMT) --dry-run --Werror bpf/*.c bpf/*.h user/*.c user/*.h tests/unit/*.c \
		tests/workload/*.c tests/fuzz/*.c tests/kernels/*.c

deps:
	$(Q)scripts/install-deps.sh

check: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)$(MAKE) --no-print-directory format-check
	$(Q)$(MAKE) --no-print-directory unit
	$(Q)$(MAKE) --no-print-directory docs-check
	$(Q)$(MAKE) --no-print-directory fuzz-short
	$(Q)$(MAKE) --no-print-directory integration
	$(Q)$(MAKE) --no-print-directory check-kernels

# Debian's 6.1 and 6.12 kernels booted under qemu with a focused suite inside
# (scripts/kernel-matrix.sh; downloads cached in $(BUILD)/kernels)
check-kernels: deps
	$(Q)$(MAKE) --no-print-directory static
	$(Q)BUILD=$(BUILD) scripts/kernel-matrix.sh

demo: deps
	$(Q)$(MAKE) --no-print-directory all
	$(Q)scripts/demo.sh

$(BUILD)/bench/pingpong: bench/pingpong.c
	$(Q)mkdir -p $(BUILD)/bench
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 $< -o $@

# the floor: empty programs on streamtrace's hooks (bench only)
$(BUILD)/bench/floor.bpf.o: bench/floor.bpf.c vmlinux/$(ARCH)/vmlinux.h
	$(Q)mkdir -p $(BUILD)/bench
	$(call msg,BPF,$@)
	$(Q)$(CLANG) -g -O2 -target bpf -D__TARGET_ARCH_$(ARCH) -Wall -Werror -Ivmlinux/$(ARCH) \
		-c $< -o $@
	$(Q)$(LLVM_STRIP) -g $@
$(BUILD)/bench/floor.skel.h: $(BUILD)/bench/floor.bpf.o
	$(call msg,SKEL,$@)
	$(Q)$(BPFTOOL) gen skeleton $< name floor_bpf > $@
$(BUILD)/bench/floor: bench/floor.c $(BUILD)/bench/floor.skel.h
	$(call msg,CC,$@)
	$(Q)$(CC) $(CFLAGS) $(WARN) -std=gnu11 -I$(BUILD)/bench $< -o $@ -lbpf -lelf -lz

bench: deps
	$(Q)$(MAKE) --no-print-directory all $(BUILD)/bench/pingpong $(BUILD)/bench/floor
	$(Q)scripts/bench.sh
	$(Q)scripts/bench-net.sh
	$(Q)scripts/bench-profile.sh
	$(Q)scripts/bench-flood.sh

# what `make install` puts where (the unit's ExecStart follows PREFIX)
MANDIR     ?= $(PREFIX)/share/man
BASHCOMPDIR ?= $(PREFIX)/share/bash-completion/completions
UNITDIR    ?= $(PREFIX)/lib/systemd/system
install: $(BUILD)/streamtrace
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(BASHCOMPDIR) \
		$(DESTDIR)$(UNITDIR)
	install -m 0755 $(BUILD)/streamtrace $(DESTDIR)$(PREFIX)/bin/streamtrace
	install -m 0644 docs/streamtrace.1 $(DESTDIR)$(MANDIR)/man1/streamtrace.1
	install -m 0644 completion/streamtrace.bash $(DESTDIR)$(BASHCOMPDIR)/streamtrace
	sed 's|/usr/local/bin/streamtrace|$(PREFIX)/bin/streamtrace|' deploy/streamtrace.service \
		> $(DESTDIR)$(UNITDIR)/streamtrace.service
	chmod 0644 $(DESTDIR)$(UNITDIR)/streamtrace.service

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/bin/streamtrace $(DESTDIR)$(MANDIR)/man1/streamtrace.1 \
		$(DESTDIR)$(BASHCOMPDIR)/streamtrace $(DESTDIR)$(UNITDIR)/streamtrace.service

# the man page (groff -ww), and every flag and variable named in it, in --help
# and in the completion; make install into a scratch folder (about 2 s)
docs-check: $(BUILD)/streamtrace
	$(Q)tests/docs.sh

clean:
	$(Q)rm -rf $(BUILD) streamtrace streamtrace-static

-include $(wildcard $(BUILD)/obj/*.d $(BUILD)/tests/*.d $(BUILD)/san/*.d)
