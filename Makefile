# reghive - one hand-written Makefile.
#   make            library (static + shared) and the reghive CLI in build/
#   make check      unit, CLI and oracle tests (+ fuzz corpus replay)
#   make asan       the same tests in build-asan/ under ASan+UBSan
#   make fuzz       libFuzzer targets in build-fuzz/ (clang)
#   make format     clang-format the sources; make format-check to verify
#   make bench      build bench/ walkers, compare with hivex, reglookup, libregf
CC ?= cc
B ?= build
OPT ?= -O2 -g
WARN = -std=c11 -Wall -Wextra -Werror -Wshadow -Wconversion -Wundef \
       -Wwrite-strings -Wstrict-prototypes -Wmissing-prototypes \
       -Wno-sign-conversion
CFLAGS_ALL = $(OPT) $(WARN) -D_GNU_SOURCE -DRH_BUILDING -fPIC \
             -fvisibility=hidden -Iinclude $(EXTRA_CFLAGS) $(CFLAGS)
LDFLAGS_ALL = $(EXTRA_LDFLAGS) $(LDFLAGS)

LIB_SRC = $(sort $(wildcard src/*.c))
CLI_SRC = $(sort $(wildcard cli/*.c))
UNIT_SRC = $(sort $(wildcard tests/unit/test_*.c))
FUZZ_SRC = $(sort $(wildcard fuzz/*_fuzz.c))
LIB_OBJ = $(LIB_SRC:%.c=$(B)/%.o)
CLI_OBJ = $(CLI_SRC:%.c=$(B)/%.o)
UNIT_BIN = $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
FUZZ_REPLAY = $(FUZZ_SRC:fuzz/%.c=$(B)/fuzz/%-replay)

all: $(B)/libreghive.a $(B)/libreghive.so $(B)/reghive

$(B)/%.o: %.c $(wildcard include/*.h src/*.h cli/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -c $< -o $@

$(B)/libreghive.a: $(LIB_OBJ)
	rm -f $@ && ar rcs $@ $^

$(B)/libreghive.so: $(LIB_OBJ)
	$(CC) -shared -o $@ $^ $(LDFLAGS_ALL)

$(B)/reghive: $(CLI_OBJ) $(B)/libreghive.a
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

# Unit tests link the static library's objects directly (internal API).
$(B)/tests/%: tests/unit/%.c tests/unit/t.h $(LIB_OBJ)
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -Isrc -o $@ $< $(LIB_OBJ) $(LDFLAGS_ALL)

# Fuzz targets linked with a standalone driver that replays files.
$(B)/fuzz/%-replay: fuzz/%.c fuzz/driver.c $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< fuzz/driver.c $(B)/libreghive.a $(LDFLAGS_ALL)

$(B)/tests/header: tests/header.c include/reghive.h
	@mkdir -p $(dir $@)
	$(CC) -std=c11 -pedantic -Wall -Wextra -Werror -Iinclude -c $< -o $@.o && touch $@

check: all $(UNIT_BIN) $(FUZZ_REPLAY) $(B)/tests/header
	B=$(B) tests/run.sh

asan:
	$(MAKE) check B=build-asan OPT="-O1 -g" \
	  EXTRA_CFLAGS="-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer" \
	  EXTRA_LDFLAGS="-fsanitize=address,undefined"

FUZZ_BIN = $(FUZZ_SRC:fuzz/%.c=build-fuzz/%)
build-fuzz/%: fuzz/%.c $(LIB_SRC)
	@mkdir -p build-fuzz
	clang $(OPT) -std=c11 -D_GNU_SOURCE -DRH_BUILDING -Iinclude \
	  -fsanitize=fuzzer,address,undefined -o $@ $< $(LIB_SRC)
fuzz: $(FUZZ_BIN)

# Benchmarks (never part of check: tests do not time things).
BENCH_BIN = $(B)/bench/walk_reghive $(B)/bench/walk_hivex $(B)/bench/build_w128
$(B)/bench/build_w128: bench/build_w128.c include/reghive.h $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libreghive.a $(LDFLAGS_ALL)
$(B)/bench/walk_reghive: bench/walk_reghive.c include/reghive.h $(B)/libreghive.a
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< $(B)/libreghive.a $(LDFLAGS_ALL)
$(B)/bench/walk_hivex: bench/walk_hivex.c
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS_ALL) -o $@ $< -lhivex $(LDFLAGS_ALL)
bench: all $(BENCH_BIN)
	B=$(B) bench/run.sh
	B=$(B) bench/write.sh

FMT_SRC = $(wildcard include/*.h src/*.[ch] cli/*.[ch] tests/*.c tests/unit/*.[ch] \
            fuzz/*.c bench/*.c)
format:
	clang-format -i $(FMT_SRC)
format-check:
	clang-format --dry-run -Werror $(FMT_SRC)

clean:
	rm -rf build build-asan build-fuzz

.PHONY: all check asan fuzz bench format format-check clean
.SECONDARY:
