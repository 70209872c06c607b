#!/usr/bin/env bash
# Test hooks stay out of the shipped library (issue 12): the shipped
# libreghive.a, libreghive.so and reghive hold no RH_TEST_* name (every
# hook name src/core/testing.h spells), no rh__test_ function and no
# allocation wrapper, while the test build's reghive-test holds every
# hook name (so this test sees them where they are).  And the library
# calls no allocating libc function that tests/unit/oom.c does not wrap,
# so allocation-failure injection reaches every allocation.
set -u
B=${B:-build}
cd "$(dirname "$0")/../.."
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

hooks=$(grep -o '"RH_TEST_[A-Z0-9_]*"' src/core/testing.h | tr -d '"' | sort -u)
[ -n "$hooks" ] || fail "no hook names found in src/core/testing.h"
for f in "$B/libreghive.a" "$B/libreghive.so" "$B/reghive" "$B/reghive-test"; do
    [ -f "$f" ] || fail "$f not built"
done
for f in "$B/libreghive.a" "$B/libreghive.so" "$B/reghive"; do
    [ -f "$f" ] || continue
    for s in RH_TEST rh__test_ __wrap_ $hooks; do
        grep -q -a -F "$s" "$f" && fail "$f holds $s"
    done
done
for s in $hooks rh__test_step; do
    grep -q -a -F "$s" "$B/reghive-test" || fail "$B/reghive-test lacks $s"
done

# Allocating functions oom.c does not wrap (memory handed to the caller,
# or a mapping that grows): the library must not call them.
unwrapped='asprintf vasprintf __asprintf_chk __vasprintf_chk reallocarray
aligned_alloc posix_memalign memalign valloc pvalloc open_memstream
open_wmemstream getline getdelim __getdelim realpath canonicalize_file_name
scandir scandirat glob wcsdup __strdup __strndup get_current_dir_name
tempnam mremap mmap64 backtrace_symbols'
objs=$(ls "$B"/testing/src/*/*.o 2>/dev/null)
[ -n "$objs" ] || fail "no test-build objects in $B/testing/src"
for s in $(nm -u $objs | awk '{print $2}' | sort -u); do
    for u in $unwrapped; do
        [ "$s" = "$u" ] && fail "the library calls $s, which tests/unit/oom.c does not wrap"
    done
done
[ $fails -eq 0 ] && echo "no test hook in the shipped build ($(echo $hooks))"
exit $((fails > 0))
