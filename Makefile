# reghive - one hand-written Makefile.
#   make            library (static + shared) and the reghive CLI in build/
#   make testing    the test build: library with test hooks (-DRH_TESTING)
#                   in build/testing/ and its CLI build/reghive-test
#   make check      layer check, unit, CLI and oracle tests (+ fuzz corpus replay)
#   make layers     each src/ layer includes and calls only the layers below
#   make asan       the same tests in build-asan/ under ASan+UBSan
#   make valgrind   unit tests, corpus replay and CLI commands under memcheck
#   make fuzz       libFuzzer targets in build-fuzz/ (clang)
#   make format     clang-format the sources; make format-check to verify
#   make bench      build bench/ walkers, compare with hivex, reglookup, libregf
CC ?= cc
B ?= build
OPT ?= -O2 -g
WARN = -std=c11 -Wall -Wextra -Werror -Wshadow -Wconversion -Wundef \
       -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes \
       -Wno-sign-conversion
# Release hardening (make asan clears it: FORTIFY hides overflows from
# ASan).  Objects are -fPIC, so the CLI links as a PIE.
HARDEN = -fstack-protector-strong -U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2 \
         -Wformat -Wformat-security
HARDEN_LD = -Wl,-z,relro,-z,now
# The library's layers, lowest first (src/README.md): a file includes only
# headers of its own layer or the layers below (make layers checks it).
LAYERS = core hive model text
SRC_INC = $(LAYERS:%=-Isrc/%)
CFLAGS_ALL = $(OPT) $(WARN) $(HARDEN) -D_GNU_SOURCE -DRH_BUILDING -fPIC \
             -fvisibility=hidden -Iinclude $(SRC_INC) $(EXTRA_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(HARDEN_LD) $(EXTRA_LDFLAGS) $(LDFLAGS)

LIB_SRC = $(sort $(foreach l,$(LAYERS),$(wildcard src/$(l)/*.c)))
LIB_HDR = $(wildcard src/*/*.h)
CLI_SRC = $(sort $(wildcard cli/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC = $(sort $(wildcard fuzz/*_fuzz.c))
LIB_OBJ = $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_REPLAY = $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%-replay)
# The test build (src/core/testing.h): the same sources with -DRH_TESTING,
# which compiles in the crash/failure hooks; the shipped objects above
# have none (tests/cli/no_hooks.sh).  Unit tests and $(B)/reghive-test
# link these.
TB = $(B)/testing
TLIB_OBJ = $(LIB_SRC:%.c=$(TB)/%.o)
TCLI_OBJ = $(CLI_SRC:%.c=$(TB)/%.o)
# Unit tests reach every allocation through tests/unit/oom.c (why there).
WRAP_LD = -Wl,--wrap=malloc,--wrap=calloc,--wrap=realloc,--wrap=free \
          -Wl,--wrap=strdup,--wrap=strndup,--wrap=mmap,--wrap=munmap

all: $(B)/libreghive.a $(B)/libreghive.so $(B)/reghive
testing: $(TB)/libreghive.a $(B)/reghive-test

$(B)/%.o: %.c $(wildcard include/*.h cli/*.h) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(TB)/%.o: %.c $(wildcard include/*.h cli/*.h tests/unit/*.h) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DRH_TESTING -c $< -o $@

$(TB)/libreghive.a: $(TLIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/reghive-test: $(TCLI_OBJ) $(TB)/libreghive.a
	$(CC) -pie -o $@ $^ $(LDFLAGS_ALL) -pthread

$(B)/libreghive.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/libreghive.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL)

$(B)/reghive: $(CLI_OBJ) $(B)/libreghive.a
	$(CC) -pie -o $@ $^ $(LDFLAGS_ALL) -pthread

# Unit tests link the test build's objects directly (internal API, test
# hooks) and oom.c's allocation wrappers.
$(B)/tests/%: tests/unit/%.c tests/unit/t.h tests/unit/oom.h $(TLIB_OBJ) \
              $(TB)/tests/unit/oom.o
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -DRH_TESTING -o $@ $< $(TB)/tests/unit/oom.o \
	  $(TLIB_OBJ) $(LDFLAGS_ALL) $(WRAP_LD)

# Fuzz targets linked with a standalone driver that replays files.
$(B)/fuzz/%-replay: fuzz/%.c fuzz/driver.c $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< fuzz/driver.c $(B)/libreghive.a $(LDFLAGS_ALL)

$(B)/tests/header: tests/header.c tests/header_sys.c include/reghive.h \
                  include/reghive_sys.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -c $< -o $@.o
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude \
	  -c tests/header_sys.c -o $@-sys.o && touch $@

# The power-loss tests' LD_PRELOAD recorder (test code: plain flags, no
# sanitizer, so it loads beside any build of the CLI).
$(B)/powercut/shim.so: tests/powercut/shim.c
	@mkdir -p $(dir $@)
	$(CC) -O2 -g $(WARN) -D_GNU_SOURCE -fPIC -shared -o $@ $< -ldl

check: all testing $(UNIT_BIN) $(FUZZ_REPLAY) $(B)/tests/header $(B)/powercut/shim.so
	tools/layers.sh $(B) $(LAYERS)
	B=$(B) tests/run.sh

# Each layer of src/ reaches only down (includes and linked symbols).
layers: all
	tools/layers.sh $(B) $(LAYERS)

asan:
	$(MAKE) check B=build-asan OPT="-O1 -g" HARDEN= \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined"

# Differential test against hivex (not part of check; see fuzz/README.md).
$(B)/fuzz/diff_hivex: fuzz/diff_hivex.c $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libreghive.a -lhivex $(LDFLAGS_ALL)
diff-hivex: $(B)/fuzz/diff_hivex

# Memcheck of the unit tests, corpus replays and some CLI commands.
valgrind: all testing $(UNIT_BIN) $(FUZZ_REPLAY)
	B=$(B) tests/valgrind.sh

FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
# The library is compiled once (fuzzer-no-link) and linked into each target.
FUZZ_CC = clang $(OPT) -std=c11 -D_GNU_SOURCE -DRH_BUILDING -Iinclude $(SRC_INC)
FUZZ_LIB_OBJ = $(LIB_SRC:src/%.c=build-fuzz/obj/%.o)
build-fuzz/obj/%.o: src/%.c $(wildcard include/*.h) $(LIB_HDR)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) -fsanitize=fuzzer-no-link,address,undefined -c $< -o $@
build-fuzz/%: fuzz/%.c $(FUZZ_LIB_OBJ)
	$(FUZZ_CC) -fsanitize=fuzzer,address,undefined -o $@ $< $(FUZZ_LIB_OBJ)
fuzz: $(FUZZ_BIN)

# Benchmarks (never part of check: tests do not time things).
BENCH_BIN = $(B)/bench/walk_reghive $(B)/bench/walk_hivex $(B)/bench/build_w128 \
            $(B)/bench/recover_time
$(B)/bench/recover_time: bench/recover_time.c include/reghive.h $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libreghive.a $(LDFLAGS_ALL)
$(B)/bench/build_w128: bench/build_w128.c include/reghive.h $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libreghive.a $(LDFLAGS_ALL)
$(B)/bench/walk_reghive: bench/walk_reghive.c include/reghive.h $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libreghive.a $(LDFLAGS_ALL)
$(B)/bench/walk_hivex: bench/walk_hivex.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< -lhivex $(LDFLAGS_ALL)
bench: all testing $(BENCH_BIN)
	B=$(B) bench/run.sh
	B=$(B) bench/write.sh
	B=$(B) bench/recover.sh

FMT_SRC = $(wildcard include/*.h src/*/*.[ch] cli/*.[ch] tests/*.c tests/unit/*.[ch] tests/powercut/*.c \
            fuzz/*.c bench/*.c)
format:
	clang-format -i $(FMT_SRC)
format-check:
	clang-format --dry-run -Werror $(FMT_SRC)

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all testing check layers asan valgrind fuzz diff-hivex bench format format-check clean
.SECONDARY:
