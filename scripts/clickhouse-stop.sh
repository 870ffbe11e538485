#!/usr/bin/env bash
# Stops the ClickHouse server that scripts/clickhouse-start.sh started in DIR (same default).
exec "$(dirname "$0")/clickhouse-start.sh" stop "$@"
