#!/usr/bin/env bash
# make layers: the library's layers (src/core -> src/hive -> src/model ->
# src/text -> cli/) may only reach down.  Two checks:
#   1. includes: a file in src/L includes reghive.h (or reghive_sys.h,
#      its implementation details), system headers, or
#      headers of L or of a layer below L; cli/ and tools outside src/
#      include no header of src/;
#   2. symbols: an object of src/L uses no symbol defined by an object of a
#      layer above L, and the CLI's objects use only the exported rh_ API.
# Usage: tools/layers.sh BUILD_DIR LAYER...   (lowest layer first)
set -u
B=$1
shift
layers=("$@")
bad=0
rank() { # layer name -> index, or 99
    local i
    for i in "${!layers[@]}"; do
        [ "${layers[$i]}" = "$1" ] && { echo "$i"; return; }
    done
    echo 99
}
declare -A hdr_layer
for l in "${layers[@]}"; do
    for f in src/"$l"/*.h; do
        [ -f "$f" ] && hdr_layer[$(basename "$f")]=$l
    done
done
# 1. includes
for l in "${layers[@]}"; do
    r=$(rank "$l")
    for f in src/"$l"/*.[ch]; do
        [ -f "$f" ] || continue
        while IFS= read -r inc; do
            case $inc in reghive.h | reghive_sys.h) continue ;; esac
            hl=${hdr_layer[$inc]:-}
            if [ -z "$hl" ]; then
                echo "layers: $f includes \"$inc\", which is no library header"
                bad=1
            elif [ "$(rank "$hl")" -gt "$r" ]; then
                echo "layers: $f ($l) includes $inc of the higher layer $hl"
                bad=1
            fi
        done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
    done
done
for f in cli/*.[ch]; do
    [ -f "$f" ] || continue
    while IFS= read -r inc; do
        case $inc in
        */*) base=$(basename "$inc") ;;
        *) base=$inc ;;
        esac
        [ "$base" = reghive.h ] && continue
        if [ -n "${hdr_layer[$base]:-}" ] && [ ! -f "cli/$base" ]; then
            echo "layers: $f includes the library's internal $inc"
            bad=1
        fi
    done < <(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([^"]*\)".*/\1/p' "$f")
done
# 2. symbols (needs the objects: make builds them first)
declare -A def_layer
for l in "${layers[@]}"; do
    for o in "$B"/src/"$l"/*.o; do
        [ -f "$o" ] || continue
        while read -r s; do def_layer[$s]=$l; done < <(nm --defined-only "$o" |
            awk '$2 ~ /^[TDRB]$/ {print $3}')
    done
done
for l in "${layers[@]}"; do
    r=$(rank "$l")
    for o in "$B"/src/"$l"/*.o; do
        [ -f "$o" ] || continue
        while read -r s; do
            dl=${def_layer[$s]:-}
            if [ -n "$dl" ] && [ "$(rank "$dl")" -gt "$r" ]; then
                echo "layers: $o ($l) calls $s of the higher layer $dl"
                bad=1
            fi
        done < <(nm -u "$o" | awk '{print $2}')
    done
done
declare -A exported
while read -r s; do exported[$s]=1; done < <(nm -D --defined-only \
    "$B"/libreghive.so | awk '{print $3}')
for o in "$B"/cli/*.o; do
    [ -f "$o" ] || continue
    while read -r s; do
        if [ -n "${def_layer[$s]:-}" ] && [ -z "${exported[$s]:-}" ]; then
            echo "layers: $o calls the library's internal $s"
            bad=1
        fi
    done < <(nm -u "$o" | awk '{print $2}')
done
[ $bad -eq 0 ] && echo "layers: ok (${layers[*]} -> cli)"
exit $bad
