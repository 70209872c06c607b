#!/usr/bin/env bash
# The KB scenario on a SYSTEM hive made here: a stale MSExchangeKMS service
# under two control sets, found through CurrentControlSet offline.
# (Interim: the hive is built with python3-hivex until reghive's own
# writer lands; see issue 3.)
set -eu
cd "$(dirname "$0")/.."
R=${REGHIVE:-build/reghive}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
/usr/bin/python3 tests/oracle/mkhive.py kb "$W/SYSTEM"
echo "== reghive info SYSTEM"
$R info "$W/SYSTEM"
echo "== reghive query SYSTEM 'HKLM\\SYSTEM\\Select'"
$R query "$W/SYSTEM" 'HKLM\SYSTEM\Select'
echo "== reghive query SYSTEM 'HKLM\\SYSTEM\\CurrentControlSet\\Services\\MSExchangeKMS'"
$R query "$W/SYSTEM" 'HKLM\SYSTEM\CurrentControlSet\Services\MSExchangeKMS'
echo "== reghive export SYSTEM 'HKLM\\SYSTEM\\CurrentControlSet\\Services' (.reg)"
$R export "$W/SYSTEM" 'HKLM\SYSTEM\CurrentControlSet\Services' --utf8
echo "== reghive check SYSTEM"
$R check "$W/SYSTEM"
