# PMM server core: one Makefile for the whole suite.
#   make            release build into build/release
#   make test       sanitizer build (ASan+UBSan) into build/asan, then every test
#   make fuzz       libFuzzer targets (tests/fuzz) into build/fuzz, each run FUZZ_SECONDS
#   make run        install deps, build, start PostgreSQL + supervisord with all daemons
#   make install PREFIX=/usr/local DESTDIR=
# Sources are found by folder: common/**/*.c -> libcommon.a, starlark/*.c -> libstarlark.a,
# <prog>/**/*.c -> <prog>, tests/{unit,integration}/test_*.c -> one Check binary each,
# proto/**/*.proto -> protoc-c, tests/fuzz/fuzz_*.c -> one libFuzzer binary each (FUZZ=1).

PREFIX  ?= /usr/local
DESTDIR ?=
SAN     ?= 0
FUZZ    ?= 0
VERSION ?= 3.0.0
ifeq ($(FUZZ),1)
# libFuzzer targets: clang, coverage for the fuzzer, ASan and UBSan. Warnings
# stay warnings here: gcc's builds hold the code to -Werror.
BUILD   ?= build/fuzz
CC       = clang
SANFLAGS = -fsanitize=fuzzer-no-link,address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      = -O1
else ifeq ($(SAN),1)
BUILD   ?= build/asan
SANFLAGS = -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined
OPT      = -O1
else
BUILD   ?= build/release
SANFLAGS =
OPT      = -O2
endif
GEN      = $(BUILD)/gen
CC      ?= cc

# The gateway speaks no SQL: it links everything but libpq (ldd shows it;
# tools/check_layers.sh checks it). The daemons link libpq and no grpc, but
# qanfwd, the one gRPC client of qan-api2.
PKGS_BASE = libprotobuf-c libzmq msgpack jansson libsodium libcurl libzip libcrypt yaml-0.1 expat libarchive
PKGS_DB   = libpq
PKGS_GW   = grpc libmicrohttpd
PKGS_GRPC = grpc
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS_BASE) $(PKGS_DB) $(PKGS_GW) check 2>/dev/null)
LIBS_NODB  := $(shell pkg-config --libs $(PKGS_BASE) 2>/dev/null) -lpthread -lm
LIBS_DB    := $(shell pkg-config --libs $(PKGS_DB) 2>/dev/null)
LIBS_BASE  := $(LIBS_DB) $(LIBS_NODB)
LIBS_GW    := $(shell pkg-config --libs $(PKGS_GW) 2>/dev/null)
LIBS_GRPC  := $(shell pkg-config --libs $(PKGS_GRPC) 2>/dev/null)
LIBS_CHECK := $(shell pkg-config --libs check 2>/dev/null)
# checksd's sandboxed script processes (tests and benchmarks link it too)
LIBS_SECCOMP := $(shell pkg-config --libs libseccomp 2>/dev/null)
# hactl's raft member (canonical raft over libuv)
LIBS_RAFT  := $(shell pkg-config --libs raft libuv 2>/dev/null)

BUILD_TS := $(shell date -u +%Y-%m-%dT%H:%M:%SZ)
GIT_REV  := $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
WARN     = -Wall -Wextra $(if $(filter 1,$(FUZZ)),,-Werror) -Wno-missing-field-initializers
BASE_CFLAGS = -std=c11 -D_GNU_SOURCE $(WARN) -g -MMD -MP -I. -Icommon -I$(GEN) $(PKG_CFLAGS) \
              -DPMM_VERSION='"$(VERSION)"' -DPMM_BUILD_TS='"$(BUILD_TS)"' -DPMM_GIT_REV='"$(GIT_REV)"'
CFLAGS_ALL = $(BASE_CFLAGS) $(OPT) $(SANFLAGS) $(EXTRA_CFLAGS)
# protoc-c output is not ours to keep warning-free.
GEN_CFLAGS = $(filter-out -Werror,$(CFLAGS_ALL)) -Wno-unused-parameter

PROGRAMS = gateway inventoryd configd agentsd backupd checksd qanfwd hactl pmmctl
# The bus daemons among them: the gateway's default --daemons, so that a
# daemon added to PROGRAMS is routed to without another list to edit.
DAEMONS  = $(filter-out gateway pmmctl,$(PROGRAMS))
# `make` alone builds everything, not the first rule below (the protos)
.DEFAULT_GOAL := all

# ---- protos -----------------------------------------------------------------
PROTO_FILES := $(shell cd proto && find . -name '*.proto' | sed 's|^\./||' | sort)
WKT_FILES   := google/protobuf/timestamp.proto google/protobuf/duration.proto \
               google/protobuf/empty.proto google/protobuf/wrappers.proto \
               google/protobuf/struct.proto google/protobuf/any.proto \
               google/protobuf/descriptor.proto
ALL_PROTOS  := $(PROTO_FILES) $(WKT_FILES)
GEN_PB_C    := $(ALL_PROTOS:%.proto=$(GEN)/%.pb-c.c)
GEN_PB_O    := $(GEN_PB_C:.c=.o)
PROTO_STAMP := $(GEN)/.protos

$(PROTO_STAMP): $(addprefix proto/,$(PROTO_FILES))
	@mkdir -p $(GEN)
	protoc-c --c_out=$(GEN) -Iproto -I/usr/include $(ALL_PROTOS)
	protoc --include_imports --descriptor_set_out=$(GEN)/api.desc -Iproto -I/usr/include $(PROTO_FILES)
	@mkdir -p $(GEN)/py && protoc --python_out=$(GEN)/py -Iproto -I/usr/include $(PROTO_FILES)
	@touch $@

$(GEN_PB_C): $(PROTO_STAMP)
	@true

$(GEN)/%.pb-c.o: $(GEN)/%.pb-c.c $(PROTO_STAMP)
	$(CC) $(GEN_CFLAGS) -c $< -o $@

# ---- build tools (never sanitized: they run during the build) ----------------
TOOLS_DIR = $(BUILD)/tools
TOOL_CFLAGS = $(BASE_CFLAGS) -O1 -Wno-unused-parameter
$(TOOLS_DIR)/routegen: tools/routegen.c $(PROTO_STAMP)
	@mkdir -p $(@D)
	$(CC) $(TOOL_CFLAGS) -o $@ tools/routegen.c $(GEN)/google/protobuf/descriptor.pb-c.c \
	      $(GEN)/google/api/http.pb-c.c $(GEN)/google/api/annotations.pb-c.c $(LIBS_BASE)

$(GEN)/routes.c: $(TOOLS_DIR)/routegen $(PROTO_STAMP)
	$(TOOLS_DIR)/routegen $(GEN)/api.desc > $@.tmp && mv $@.tmp $@

$(GEN)/migrations.c: tools/embed_sql.sh $(wildcard common/db/migrations/*.sql)
	@mkdir -p $(@D)
	sh tools/embed_sql.sh common/db/migrations/*.sql > $@.tmp && mv $@.tmp $@

$(GEN)/routes.o $(GEN)/migrations.o: %.o: %.c
	$(CC) $(CFLAGS_ALL) -c $< -o $@

# ---- common library ---------------------------------------------------------
COMMON_SRC := $(shell find common -name "*.c" | sort)
COMMON_OBJ := $(COMMON_SRC:%.c=$(BUILD)/%.o) $(GEN_PB_O) $(GEN)/routes.o $(GEN)/migrations.o
LIBCOMMON  := $(BUILD)/libcommon.a

$(BUILD)/%.o: %.c | $(PROTO_STAMP)
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(LIBCOMMON): $(COMMON_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/gateway/main.o: Makefile
$(BUILD)/gateway/main.o: CFLAGS_ALL += -DPMM_SUITE_DAEMONS='"$(DAEMONS)"'

# ---- the Starlark interpreter (checksd's check scripts): its own library ------
STARLARK_SRC := $(wildcard starlark/*.c)
STARLARK_OBJ := $(STARLARK_SRC:%.c=$(BUILD)/%.o)
LIBSTARLARK  := $(BUILD)/libstarlark.a

$(LIBSTARLARK): $(STARLARK_OBJ)
	@rm -f $@
	ar rcs $@ $^

# ---- programs: <prog>/main.c wires, the rest goes into lib<prog>.a ------------
define PROGRAM_template
$(1)_SRC := $$(filter-out $(1)/main.c,$$(shell find $(1) -name "*.c" | sort))
$(1)_OBJ := $$($(1)_SRC:%.c=$(BUILD)/%.o)
$(BUILD)/lib$(1).a: $$($(1)_OBJ)
	@rm -f $$@
	ar rcs $$@ $$^ $$(if $$^,,)
$(BUILD)/bin/$(1): $(BUILD)/$(1)/main.o $(BUILD)/lib$(1).a $(LIBCOMMON)
	@mkdir -p $$(@D)
	$(CC) $(CFLAGS_ALL) -o $$@ $$^ $$($(1)_LIBS)
endef
gateway_LIBS    = $(LIBS_GW) $(LIBS_NODB)
inventoryd_LIBS = $(LIBS_BASE)
agentsd_LIBS    = $(LIBS_BASE)
backupd_LIBS    = $(LIBS_BASE)
configd_LIBS    = $(LIBS_BASE)
# checksd runs check scripts with the Starlark interpreter
checksd_LIBS    = $(LIBS_BASE) $(LIBS_SECCOMP)
$(BUILD)/bin/checksd: $(LIBSTARLARK)
hactl_LIBS      = $(LIBS_BASE) $(LIBS_RAFT)
pmmctl_LIBS     = $(LIBS_BASE)
qanfwd_LIBS     = $(LIBS_GRPC) $(LIBS_BASE)
$(foreach p,$(PROGRAMS),$(eval $(call PROGRAM_template,$(p))))

PROG_LIBS = $(PROGRAMS:%=$(BUILD)/lib%.a)
BINS      = $(PROGRAMS:%=$(BUILD)/bin/%)

# ---- tests ------------------------------------------------------------------
# Test-only protos (tests/proto/*.proto) compile into $(GEN)/testproto.
TEST_PROTO_FILES := $(notdir $(wildcard tests/proto/*.proto))
TEST_PB_O := $(TEST_PROTO_FILES:%.proto=$(GEN)/testproto/%.pb-c.o)
$(GEN)/testproto/.protos: $(addprefix tests/proto/,$(TEST_PROTO_FILES)) $(PROTO_STAMP)
	@mkdir -p $(@D)
	$(if $(TEST_PROTO_FILES),protoc-c --c_out=$(@D) -Itests/proto -Iproto -I/usr/include $(TEST_PROTO_FILES))
	@touch $@
$(GEN)/testproto/%.pb-c.o: $(GEN)/testproto/.protos
	$(CC) $(GEN_CFLAGS) -I$(GEN)/testproto -c $(GEN)/testproto/$*.pb-c.c -o $@

UNIT_SRC  := $(wildcard tests/unit/test_*.c)
INTEG_SRC := $(wildcard tests/integration/test_*.c)
TEST_BINS := $(UNIT_SRC:%.c=$(BUILD)/%) $(INTEG_SRC:%.c=$(BUILD)/%)
TEST_SUPPORT_SRC := $(wildcard tests/lib/*.c)
TEST_SUPPORT_OBJ := $(TEST_SUPPORT_SRC:%.c=$(BUILD)/%.o)

$(BUILD)/tests/%.o: tests/%.c $(GEN)/testproto/.protos
	@mkdir -p $(@D)
	$(CC) $(CFLAGS_ALL) -I$(GEN)/testproto -c $< -o $@

$(BUILD)/tests/%: $(BUILD)/tests/%.o $(TEST_SUPPORT_OBJ) $(TEST_PB_O) $(PROG_LIBS) $(LIBCOMMON) $(LIBSTARLARK)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(TEST_SUPPORT_OBJ) $(TEST_PB_O) -Wl,--start-group $(PROG_LIBS) $(LIBCOMMON) $(LIBSTARLARK) -Wl,--end-group \
	      $(LIBS_CHECK) $(LIBS_GW) $(LIBS_BASE) $(LIBS_SECCOMP) $(LIBS_RAFT)

# Test tools (tests/tools/*.c): programs the e2e tests run, e.g. a hostile
# pmm-agent (agentflood). Built with the tests.
TEST_TOOL_SRC  := $(wildcard tests/tools/*.c)
TEST_TOOL_BINS := $(TEST_TOOL_SRC:%.c=$(BUILD)/%)
$(BUILD)/tests/tools/%: $(BUILD)/tests/tools/%.o $(LIBCOMMON)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(LIBCOMMON) $(LIBS_GW) $(LIBS_BASE)

# libFuzzer targets (FUZZ=1): one file each, tests/fuzz/fuzz_<name>.c with
# LLVMFuzzerTestOneInput (and LLVMFuzzerInitialize if it needs one), seeds
# in tests/fuzz/corpus/<name>/, extra libFuzzer flags (a dictionary, more
# seed folders) in tests/fuzz/<name>.flags; tests/fuzz/run.sh runs them.
# They link libcommon and the libraries in FUZZ_LIBS (add one when a target
# needs it).
FUZZ_SRC  := $(wildcard tests/fuzz/fuzz_*.c)
FUZZ_BINS := $(FUZZ_SRC:%.c=$(BUILD)/%)
FUZZ_LIBS := $(BUILD)/libagentsd.a $(BUILD)/libbackupd.a $(LIBSTARLARK)
$(BUILD)/tests/fuzz/%: $(BUILD)/tests/fuzz/%.o $(FUZZ_LIBS) $(LIBCOMMON)
	$(CC) $(CFLAGS_ALL) -fsanitize=fuzzer -o $@ $< -Wl,--start-group $(FUZZ_LIBS) $(LIBCOMMON) -Wl,--end-group $(LIBS_BASE)

# ---- bench ------------------------------------------------------------------
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BINS := $(BENCH_SRC:%.c=$(BUILD)/%)
$(BUILD)/bench/%: $(BUILD)/bench/%.o $(PROG_LIBS) $(LIBCOMMON) $(LIBSTARLARK)
	$(CC) $(CFLAGS_ALL) -o $@ $< -Wl,--start-group $(PROG_LIBS) $(LIBCOMMON) $(LIBSTARLARK) -Wl,--end-group $(LIBS_GW) $(LIBS_BASE) $(LIBS_SECCOMP) $(LIBS_RAFT)

# ---- targets ----------------------------------------------------------------
.PHONY: all deps test test-build run install clean bench fuzz fuzz-build
all: $(BINS) $(BENCH_BINS)

deps:
	sh deploy/install-deps.sh

test: deps
	$(MAKE) SAN=1 all-tests
	$(MAKE) FUZZ=1 fuzz-build
	sh tests/run.sh build/asan

FUZZ_SECONDS ?= 60
fuzz: deps
	$(MAKE) FUZZ=1 fuzz-build
	sh tests/fuzz/run.sh build/fuzz $(FUZZ_SECONDS)

fuzz-build: $(FUZZ_BINS)

.PHONY: all-tests
# The fleet is the load of the fault-injection e2e test (test_faults).
all-tests: $(BINS) $(TEST_BINS) $(TEST_TOOL_BINS) $(BUILD)/bench/fleet

run: deps
	$(MAKE) all
	sh deploy/run.sh build/release

bench: deps
	$(MAKE) all
	sh bench/run.sh build/release
	sh bench/inventory_lists.sh build/release
	sh bench/fleet.sh build/release
	sh bench/scrape.sh build/release
	sh bench/checks.sh build/release
	sh bench/backup_schedules.sh build/release

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/share/pmm-core
	install -m 0755 $(BINS) $(DESTDIR)$(PREFIX)/bin/
	cp -r deploy $(DESTDIR)$(PREFIX)/share/pmm-core/
	# checksd's built-in advisors, checks and alerting templates (its default folders)
	install -d $(DESTDIR)$(PREFIX)/percona/pmm
	cp -r checksd/data/advisors checksd/data/checks checksd/data/alerting-templates $(DESTDIR)$(PREFIX)/percona/pmm/

clean:
	rm -rf build

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
