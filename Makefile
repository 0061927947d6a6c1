# fastpg -- GNU make, Debian 12.  `make run`, `make test`; see README.md.

VMAJOR	:= $(shell sed -n 's/^\#define FPG_VMAJOR *//p' lib/fastpg.h)
VMINOR	:= $(shell sed -n 's/^\#define FPG_VMINOR *//p' lib/fastpg.h)
VERSION	:= $(VMAJOR).$(VMINOR)

PREFIX	?= /usr/local
DESTDIR	?=
BUILD	?= build
SANITIZE ?=

CC	?= cc
PG_INC	:= $(shell pg_config --includedir 2>/dev/null || echo /usr/include/postgresql)
WARN	= -Wall -Wextra -Wpedantic -Wshadow -Wstrict-prototypes \
	  -Wmissing-prototypes -Wpointer-arith -Wformat=2 -Wno-format-nonliteral \
	  -Wcast-qual -Wwrite-strings -Wundef
HARDEN	= -fstack-protector-strong -D_FORTIFY_SOURCE=2
OPT	?= -O2 -g
CFLAGS	?= $(OPT)
ALL_CFLAGS = -std=c99 -D_DEFAULT_SOURCE -D_GNU_SOURCE $(WARN) $(HARDEN) -fPIC \
	  -fvisibility=hidden -I lib -I $(PG_INC) $(if $(SANITIZE),-fsanitize=$(SANITIZE) -fno-omit-frame-pointer -fno-sanitize-recover=all) \
	  $(CFLAGS)
LDLIBS_LIB = -lpq -ljansson -lpcre2-8 -lcrypto -lpthread
SANLD	= $(if $(SANITIZE),-fsanitize=$(SANITIZE))
RPATH	= -Wl,-rpath,'$$ORIGIN/../lib'

# The library: lib/*.c and the JSON Schema validator in lib/schema/.
LIB_SRCS := $(wildcard lib/*.c lib/schema/*.c)
LIB_OBJS := $(LIB_SRCS:lib/%.c=$(BUILD)/obj/lib/%.o)
LIB_HDRS := $(wildcard lib/*.h lib/schema/*.h)
# A resource is a folder apps/<name>/ with a main.c; apps/common/ holds
# schemas that several resources refer to, and is none.
APPS	:= $(patsubst apps/%/main.c,%,$(wildcard apps/*/main.c))
APP_BINS := $(APPS:%=$(BUILD)/bin/%)
# apps/<name>/bench-only: built and tested, never installed nor in the
# API's OpenAPI document (apps/tfb: the TechEmpower test types).
BENCH_APPS := $(patsubst apps/%/bench-only,%,$(wildcard apps/*/bench-only))
DEPLOY_BINS := $(filter-out $(BENCH_APPS:%=$(BUILD)/bin/%),$(APP_BINS))
TOOLS	:= $(BUILD)/bin/fastpg-validate $(BUILD)/bin/fastpg-openapi \
	   $(BUILD)/bin/fastpg-bundle
UNIT_SRCS := $(wildcard tests/unit/check_*.c)
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
ITEST_SRCS := $(wildcard tests/integration/check_*.c)
ITEST_BINS := $(ITEST_SRCS:tests/integration/check_%.c=$(BUILD)/tests/it_%)

# The soname names the ABI.  Before 1.0 every minor version may break
# it, so the minor is part of it (libfastpg.so.0.2); from 1.0 on, the
# major alone.
SOMAJOR	:= $(if $(filter 0,$(VMAJOR)),$(VMAJOR).$(VMINOR),$(VMAJOR))
SONAME	= libfastpg.so.$(SOMAJOR)
REALNAME = libfastpg.so.$(VERSION).0
LIB_SO	= $(BUILD)/lib/$(REALNAME)
LIB_A	= $(BUILD)/lib/libfastpg.a

.PHONY: all deps run stop test test-here unit integration migrate clean install uninstall unit-bins itest-bins openapi
.DEFAULT_GOAL := all
.SECONDARY:

all: $(LIB_SO) $(LIB_A) $(APP_BINS) $(TOOLS)

# Installs what is missing (Debian 12, as root); a no-op when all is there.
deps:
	@sh deploy/deps.sh

$(BUILD)/obj/lib/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIB_SO): $(LIB_OBJS)
	@mkdir -p $(@D)
	$(CC) -shared -Wl,-soname,$(SONAME) -Wl,--version-script=lib/fastpg.sym \
	    -Wl,-z,relro,-z,now $(SANLD) -o $@ $(LIB_OBJS) $(LDLIBS_LIB)
	ln -sf $(REALNAME) $(BUILD)/lib/$(SONAME)
	ln -sf $(SONAME) $(BUILD)/lib/libfastpg.so

$(LIB_A): $(LIB_OBJS)
	@mkdir -p $(@D)
	rm -f $@
	ar rcs $@ $(LIB_OBJS)

# $$(wildcard) in prerequisites below.
.SECONDEXPANSION:

# A resource's schemas (apps/<name>/*.json) become C strings: one binary is
# a whole deploy.  schemas.h defines SCHEMA_<file> for each file.  Each
# schema is bundled first (into $(BUILD)/gen/<name>/bundled/): a "$ref"
# to another file ("../common/money.json") becomes a "#/$defs/" one,
# its target copied in, since the validator reads one document (in the
# OpenAPI fragment, openapi.json, it goes to components/schemas).
# Any schema file may be referred to, so a change to one rebuilds all.
SCHEMA_FILES := $(wildcard apps/*/*.json)
$(BUILD)/gen/%/schemas.h: $$(wildcard apps/%/*.json) $(SCHEMA_FILES) tools/embed.sh \
    $(BUILD)/bin/fastpg-bundle
	@rm -rf $(@D)/bundled && mkdir -p $(@D)/bundled
	@for f in $(wildcard apps/$*/*.json); do \
	    case $$f in \
	    */openapi.json) c=-c;; *) c=;; esac; \
	    $(BUILD)/bin/fastpg-bundle $$c -r apps -o $(@D)/bundled/$${f##*/} $$f || exit 1; \
	    done
	sh tools/embed.sh $@ $(patsubst apps/$*/%,$(@D)/bundled/%,$(wildcard apps/$*/*.json))

# A resource that needs more libraries lists them in apps/<name>/libs
# (linker flags, e.g. -lcrypt for users' libxcrypt); most need none.
$(BUILD)/bin/%: apps/%/main.c $(BUILD)/gen/%/schemas.h $(LIB_SO) lib/fastpg.h $$(wildcard apps/%/libs)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIE -I $(BUILD)/gen/$* -o $@ $< -pie -Wl,-z,relro,-z,now \
	    $(SANLD) -L$(BUILD)/lib -lfastpg -ljansson -lpq \
	    $$(cat apps/$*/libs 2>/dev/null) $(RPATH)

$(BUILD)/bin/fastpg-validate: tools/fastpg-validate.c $(LIB_SO) lib/fastpg.h
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIE -o $@ $< -pie $(SANLD) -L$(BUILD)/lib -lfastpg -ljansson -lpq $(RPATH)

$(BUILD)/bin/fastpg-openapi: tools/fastpg-openapi.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIE -o $@ $< -pie $(SANLD) -ljansson

$(BUILD)/bin/fastpg-bundle: tools/fastpg-bundle.c
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -fPIE -o $@ $< -pie $(SANLD) -ljansson

# One OpenAPI document for every resource: build/openapi.json.
openapi: all
	@mkdir -p $(BUILD)/openapi
	@for b in $(DEPLOY_BINS); do $$b --openapi > $(BUILD)/openapi/$${b##*/}.json || exit 1; done
	$(BUILD)/bin/fastpg-openapi -t fastpg $(DEPLOY_BINS:$(BUILD)/bin/%=$(BUILD)/openapi/%.json) > $(BUILD)/openapi.json
	@echo "openapi: $(BUILD)/openapi.json"

# Unit tests link the static library so they can reach private functions.
# Their route tables are positional, the trailing fields left zero.
$(BUILD)/tests/check_%: tests/unit/check_%.c $(LIB_A) $(LIB_HDRS)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -Wno-missing-field-initializers -o $@ $< $(SANLD) \
	    $(LIB_A) $(LDLIBS_LIB) $$(pkg-config --libs check)

# Integration tests: one binary per tests/integration/check_*.c.  They
# link the static library too, for the few that drive its private API.
$(BUILD)/tests/it_%: tests/integration/check_%.c tests/integration/util.c tests/integration/util.h $(LIB_A)
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -I tests/integration -o $@ $< tests/integration/util.c \
	    $(SANLD) $(LIB_A) $(LDLIBS_LIB) -ljansson -lpq -lcurl -lcrypto $$(pkg-config --libs check)

itest-bins: $(ITEST_BINS)

# --- the two commands -----------------------------------------------------

run: deps all docs
	@bash deploy/local.sh run

stop:
	@bash deploy/local.sh stop

migrate:
	@sh sql/migrate.sh

# Everything under ASan + UBSan, in its own build folder.
SANBUILD = build/san
test: deps
	@# The stack runs as postgres and nobody: a tree they cannot reach
	@# (say, under /root) is tested from a copy in /tmp instead.
	@if [ "$$(id -u)" = 0 ] && ! runuser -u nobody -- test -x "$(CURDIR)" 2>/dev/null; then \
	    t=$$(mktemp -d /tmp/fastpg-tree.XXXXXX) && chmod 755 "$$t" && \
	    echo "test: $(CURDIR) is not reachable by the users the stack runs as;" \
	        "testing a copy in $$t" && \
	    tar -C "$(CURDIR)" --exclude=./build --exclude=./var -cf - . | tar -C "$$t" -xf - && \
	    $(MAKE) -C "$$t" test-here; rc=$$?; rm -rf "$$t"; exit $$rc; \
	else \
	    $(MAKE) test-here; \
	fi

test-here:
	$(MAKE) all unit-bins
	$(MAKE) docs
	@bash tests/openapi/run.sh $(BUILD)
	@bash tests/client/run.sh $(BUILD)
	@bash tests/browser/run.sh $(BUILD)
	@sh tests/check-exports.sh $(BUILD)
	@sh tests/check-deps.sh $(BUILD)
	@sh tests/check-man.sh
	@sh tests/check-conf.sh $(BUILD)
	@sh tests/check-bundle.sh $(BUILD)
	@bash tests/install.sh
	@bash tests/new-resource.sh
	@FUZZ_SECONDS=5 bash tests/fuzz/run.sh
	$(MAKE) BUILD=$(SANBUILD) SANITIZE=address,undefined all unit-bins itest-bins
	@bash tests/run-tests.sh $(SANBUILD)

unit-bins: $(UNIT_BINS)

unit: deps
	$(MAKE) BUILD=$(SANBUILD) SANITIZE=address,undefined unit-bins
	@bash tests/run-tests.sh $(SANBUILD) unit

integration: deps
	$(MAKE) BUILD=$(SANBUILD) SANITIZE=address,undefined all itest-bins
	@bash tests/run-tests.sh $(SANBUILD) integration

clean:
	rm -rf build

# --- install --------------------------------------------------------------

# What is installed is built again in $(INST) without $(RPATH), which only
# the build tree needs (from libexec/fastpg/ it would even point to
# libexec/lib): installed binaries find libfastpg.so.$(VMAJOR) where the
# dynamic linker looks, /usr/local/lib included once ldconfig has run.
INST	= $(BUILD)/inst

install:
	$(MAKE) BUILD=$(INST) RPATH= SANITIZE= all
	install -d $(DESTDIR)$(PREFIX)/lib $(DESTDIR)$(PREFIX)/include \
	    $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/pkgconfig \
	    $(DESTDIR)$(PREFIX)/libexec/fastpg
	install -m 0644 $(LIB_SO:$(BUILD)/%=$(INST)/%) $(LIB_A:$(BUILD)/%=$(INST)/%) \
	    $(DESTDIR)$(PREFIX)/lib/
	ln -sf $(REALNAME) $(DESTDIR)$(PREFIX)/lib/$(SONAME)
	ln -sf $(SONAME) $(DESTDIR)$(PREFIX)/lib/libfastpg.so
	install -m 0644 lib/fastpg.h $(DESTDIR)$(PREFIX)/include/
	sed -e 's|@PREFIX@|$(PREFIX)|' -e 's|@VERSION@|$(VERSION)|' lib/fastpg.pc.in \
	    > $(DESTDIR)$(PREFIX)/lib/pkgconfig/fastpg.pc
	install -m 0755 $(TOOLS:$(BUILD)/%=$(INST)/%) $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(DEPLOY_BINS:$(BUILD)/%=$(INST)/%) $(DESTDIR)$(PREFIX)/libexec/fastpg/
	if ls man/*.[0-9] >/dev/null 2>&1; then for m in man/*.[0-9]; do \
	    s=$${m##*.}; install -d $(DESTDIR)$(PREFIX)/share/man/man$$s; \
	    install -m 0644 $$m $(DESTDIR)$(PREFIX)/share/man/man$$s/; done; fi
	if [ -f man/links.txt ]; then install -d $(DESTDIR)$(PREFIX)/share/man/man3; \
	    while read -r p f; do ln -sf $$p.3 $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; \
	    done < man/links.txt; fi
	$(LDCONFIG)

# ldconfig after a real install (not into a DESTDIR), as root.
LDCONFIG = if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" -eq 0 ]; then ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(PREFIX)/lib/libfastpg.* $(DESTDIR)$(PREFIX)/include/fastpg.h \
	    $(DESTDIR)$(PREFIX)/lib/pkgconfig/fastpg.pc \
	    $(TOOLS:$(BUILD)/bin/%=$(DESTDIR)$(PREFIX)/bin/%) \
	    $(APPS:%=$(DESTDIR)$(PREFIX)/libexec/fastpg/%)
	rmdir $(DESTDIR)$(PREFIX)/libexec/fastpg 2>/dev/null || true
	for m in man/*.[0-9]; do s=$${m##*.}; rm -f $(DESTDIR)$(PREFIX)/share/man/man$$s/$${m##*/}; done
	if [ -f man/links.txt ]; then while read -r p f; do \
	    rm -f $(DESTDIR)$(PREFIX)/share/man/man3/$$f.3; done < man/links.txt; fi
	$(LDCONFIG)

# --- benchmarks ---
.PHONY: bench-validate
bench-validate: all
	@bash bench/validate/run.sh

# The TechEmpower test types: fastpg (apps/tfb) against TechEmpower's
# FastAPI implementation and, for /db, bench/peers/minimal.c.
.PHONY: bench-tfb
bench-tfb: all
	@bash bench/tfb.sh

# --- fuzzing ---
# The libFuzzer harnesses tests/fuzz/fuzz_*.c, built with clang and the
# library's own flags (warnings, defines, includes) under ASan and UBSan
# into $(BUILD)/fuzz/: the library's objects once, instrumented for
# coverage but without libFuzzer's main, then each harness linked to
# them.  -fno-sanitize-recover makes every UBSan report a crash the
# fuzzer sees.  tests/fuzz/run.sh builds them this way and runs them.
FUZZ_SECONDS ?= 60
FUZZ_CC	?= clang
FUZZ_SAN = address,undefined
FUZZ	= $(BUILD)/fuzz
FUZZ_CFLAGS = $(ALL_CFLAGS) -O1 -g -fno-omit-frame-pointer -fno-sanitize-recover=all
FUZZ_OBJS := $(LIB_SRCS:lib/%.c=$(FUZZ)/obj/%.o)
FUZZ_BINS := $(patsubst tests/fuzz/%.c,$(FUZZ)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(FUZZ)/obj/%.o: lib/%.c $(LIB_HDRS)
	@mkdir -p $(@D)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link,$(FUZZ_SAN) -c -o $@ $<

# The items resource's own schemas, as its binary embeds them (bundled):
# the harnesses validate against the real files, never a copy.
$(FUZZ)/gen/schemas.h: $(BUILD)/gen/items/schemas.h
	@mkdir -p $(@D)
	cp $< $@

$(FUZZ)/fuzz_%: tests/fuzz/fuzz_%.c $(FUZZ_OBJS) $(FUZZ)/gen/schemas.h
	$(FUZZ_CC) $(FUZZ_CFLAGS) -I $(FUZZ)/gen -fsanitize=fuzzer,$(FUZZ_SAN) \
	    $(FUZZ_LDFLAGS) -o $@ $< $(FUZZ_OBJS) $(LDLIBS_LIB)
# fuzz_fcgi serves each input twice, the second time with read(2)
# returning a few bytes at a time: its own __wrap_read.
$(FUZZ)/fuzz_fcgi: FUZZ_LDFLAGS = -Wl,--wrap=read

fuzz-bins: $(FUZZ_BINS)

fuzz: deps
	@FUZZ_SECONDS=$(FUZZ_SECONDS) bash tests/fuzz/run.sh
.PHONY: fuzz fuzz-bins

# --- new resource ---
new-resource:
	@test -n "$(NAME)" || { echo "usage: make new-resource NAME=widgets" >&2; exit 2; }
	@sh deploy/new-resource.sh $(NAME)
.PHONY: new-resource

# --- benchmark ---
bench: deps all
	@bash bench/run.sh
.PHONY: bench

# --- docs ---
# Swagger UI (npm's swagger-ui-dist, fetched at build time) and the
# merged OpenAPI document in $(BUILD)/docs/; nginx serves them at /docs/
# and /openapi.json.  Without npm or the network `make run` goes on
# without /docs (DOCS_REQUIRED=1 makes that an error).
docs: openapi
	@sh deploy/docs.sh $(BUILD)
.PHONY: docs
