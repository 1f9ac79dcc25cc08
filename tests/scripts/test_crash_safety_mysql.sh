#!/usr/bin/env bash
# Issue 4 item 4 on mysql: a run killed at any statement boundary of sync, expand, migrate or
# contract and run again ends with the database a run never interrupted leaves (crash_lib.sh).
source "$(dirname "$0")/crash_lib.sh"
[ "${CI:-}" = true ] && require_servers
if [ -z "${EMC_MYSQL_URL:-}" ]; then echo "skip: no database servers configured"; exit 0; fi
crash_suite mysql
