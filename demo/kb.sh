#!/usr/bin/env bash
# The KB scenario, end to end with reghive alone: build an offline SYSTEM
# hive with two control sets holding a stale MSExchangeKMS service, then
# remove it as the KB says, through CurrentControlSet, keeping a backup.
set -eu
cd "$(dirname "$0")/.."
R=$(realpath "${REGHIVE:-build/reghive}")
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cd "$W"
S=SYSTEM
run() { echo "\$ reghive $*"; "$R" "$@"; }

echo "== build the hive"
run new "$S"
"$R" add "$S" 'HKLM\SYSTEM\Select' -v Current -t REG_DWORD -d 1 >/dev/null
"$R" add "$S" 'HKLM\SYSTEM\Select' -v Default -t REG_DWORD -d 1 >/dev/null
for cs in ControlSet001 ControlSet002; do
    k="HKLM\\SYSTEM\\$cs\\Services"
    "$R" add "$S" "$k\\Tcpip" -v Start -t REG_DWORD -d 1 >/dev/null
    "$R" add "$S" "$k\\MSExchangeKMS" -v ImagePath -t REG_EXPAND_SZ \
        -d '"C:\Program Files\Microsoft\Exchange Server\Bin\MSExchangeKMS.exe"' >/dev/null
    "$R" add "$S" "$k\\MSExchangeKMS" -v Start -t REG_DWORD -d 2 >/dev/null
    "$R" add "$S" "$k\\MSExchangeKMS\\Parameters" -v DependOnService \
        -t REG_MULTI_SZ -d 'RPCSS\0NetLogon' >/dev/null
done
run query "$S" 'HKLM\SYSTEM\Select'
echo "== before"
run query "$S" 'HKLM\SYSTEM\CurrentControlSet\Services' -s
echo "== the KB step (stdin is not a terminal here, so no prompt)"
run delete "$S" 'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeKMS' --backup </dev/null
echo "== after"
run query "$S" 'HKLM\SYSTEM\CurrentControlSet\Services' -s
echo "== the other control set still has it; --all-control-sets would take it too"
run delete "$S" 'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeKMS' --all-control-sets --dry-run
run check "$S"
run check "$S.bak"
