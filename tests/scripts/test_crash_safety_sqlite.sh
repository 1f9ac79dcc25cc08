#!/usr/bin/env bash
# Issue 4 item 4 on sqlite: a run killed at any statement boundary of sync, expand, migrate or
# contract and run again ends with the database a run never interrupted leaves (crash_lib.sh).
source "$(dirname "$0")/crash_lib.sh"
[ "${CI:-}" = true ] && require_servers
crash_suite sqlite
