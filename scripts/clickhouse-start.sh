#!/usr/bin/env bash
# Starts a throwaway ClickHouse server by hand (not the system service) for tests, benchmarks and CI:
# its own config, data, tmp and logs under one folder, HTTP on 127.0.0.1 only, a passwordless
# `default` user. Works with Debian's clickhouse-server 18.16 and with an upstream `clickhouse`
# binary. Idempotent: if the server is already up, it only prints the URL.
#
# Usage:
#   scripts/clickhouse-start.sh [start] [DIR]   start (default DIR: ${TMPDIR:-/tmp}/delivr-clickhouse)
#   scripts/clickhouse-start.sh stop [DIR]      stop the server started in DIR
#   scripts/clickhouse-start.sh status [DIR]    exit 0 when it answers /ping
# Environment: CLICKHOUSE_HTTP_PORT (default 8123), CLICKHOUSE_TCP_PORT (default 9000, or the next
# free port), CLICKHOUSE_START_TIMEOUT seconds (default 60).
# On success `start` prints exactly one line on stdout: the server's HTTP URL.
set -euo pipefail

cmd=start
case "${1:-}" in
  start|stop|status) cmd=$1; shift ;;
esac
dir=${1:-${TMPDIR:-/tmp}/delivr-clickhouse}
http_port=${CLICKHOUSE_HTTP_PORT:-8123}
timeout=${CLICKHOUSE_START_TIMEOUT:-60}
url="http://127.0.0.1:${http_port}"
pidfile="$dir/clickhouse.pid"

log() { echo "clickhouse-start: $*" >&2; }

ping_ok() {
  local body
  body=$(curl -fsS --max-time 2 "$url/ping" 2>/dev/null) || return 1
  [ "$body" = "Ok." ]
}

running_pid() {
  [ -f "$pidfile" ] || return 1
  local pid
  pid=$(cat "$pidfile")
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
  # A killed server whose parent does not reap it lingers as a zombie: that is not running.
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ] || return 1
  echo "$pid"
}

port_in_use() {
  # bash's /dev/tcp: connecting succeeds only if something listens there.
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

case "$cmd" in
  status)
    ping_ok && { echo "$url"; exit 0; }
    exit 1
    ;;
  stop)
    if pid=$(running_pid); then
      kill "$pid"
      for _ in $(seq 1 100); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
      done
      if kill -0 "$pid" 2>/dev/null; then
        log "server $pid did not stop in 10 s; sending KILL"
        kill -9 "$pid" 2>/dev/null || true
      fi
      rm -f "$pidfile"
      log "stopped server $pid ($dir)"
    else
      log "no server running from $dir"
    fi
    exit 0
    ;;
esac

command -v curl >/dev/null || { log "curl is required"; exit 1; }

if ping_ok; then
  if running_pid >/dev/null; then
    log "already running from $dir"
  else
    log "a server already answers at $url (not started by this script from $dir); using it"
  fi
  echo "$url"
  exit 0
fi

if port_in_use "$http_port"; then
  log "port $http_port is taken by something that is not a ClickHouse server; set CLICKHOUSE_HTTP_PORT"
  exit 1
fi

if command -v clickhouse-server >/dev/null; then
  server=(clickhouse-server)
elif command -v clickhouse >/dev/null; then
  server=(clickhouse server)
else
  log "no clickhouse-server binary; install it first: apt-get install -y clickhouse-server clickhouse-client"
  exit 1
fi

tcp_port=${CLICKHOUSE_TCP_PORT:-}
if [ -z "$tcp_port" ]; then
  tcp_port=9000
  while port_in_use "$tcp_port"; do tcp_port=$((tcp_port + 1)); done
fi

# A stale pid file (server died) is replaced; its data is kept so a restart sees the same tables.
if pid=$(running_pid); then
  log "server $pid from $dir is running but not answering; stopping it"
  kill "$pid" 2>/dev/null || true
  sleep 1
fi
rm -f "$pidfile"

mkdir -p "$dir/data" "$dir/tmp" "$dir/user_files" "$dir/format_schemas" "$dir/logs"
dir=$(cd "$dir" && pwd)
pidfile="$dir/clickhouse.pid"

cat >"$dir/users.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <profiles>
    <default>
      <max_memory_usage>4000000000</max_memory_usage>
    </default>
  </profiles>
  <users>
    <default>
      <password></password>
      <networks>
        <ip>127.0.0.1</ip>
        <ip>::1</ip>
      </networks>
      <profile>default</profile>
      <quota>default</quota>
    </default>
  </users>
  <quotas>
    <default>
      <interval>
        <duration>3600</duration>
        <queries>0</queries>
        <errors>0</errors>
        <result_rows>0</result_rows>
        <read_rows>0</read_rows>
        <execution_time>0</execution_time>
      </interval>
    </default>
  </quotas>
</yandex>
XML

cat >"$dir/config.xml" <<XML
<?xml version="1.0"?>
<yandex>
  <logger>
    <level>warning</level>
    <log>$dir/logs/clickhouse-server.log</log>
    <errorlog>$dir/logs/clickhouse-server.err.log</errorlog>
    <size>100M</size>
    <count>3</count>
  </logger>
  <listen_host>127.0.0.1</listen_host>
  <http_port>$http_port</http_port>
  <tcp_port>$tcp_port</tcp_port>
  <path>$dir/data/</path>
  <tmp_path>$dir/tmp/</tmp_path>
  <user_files_path>$dir/user_files/</user_files_path>
  <format_schema_path>$dir/format_schemas/</format_schema_path>
  <users_config>$dir/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
  <timezone>UTC</timezone>
  <mark_cache_size>268435456</mark_cache_size>
  <uncompressed_cache_size>268435456</uncompressed_cache_size>
  <max_concurrent_queries>100</max_concurrent_queries>
  <mlock_executable>false</mlock_executable>
</yandex>
XML

log "starting ${server[*]} in $dir (http $http_port, tcp $tcp_port)"
# setsid: the server outlives this script and the CI step that ran it.
setsid "${server[@]}" --config-file="$dir/config.xml" \
  >"$dir/logs/stdout.log" 2>"$dir/logs/stderr.log" </dev/null &
echo $! >"$pidfile"
pid=$(cat "$pidfile")

deadline=$((SECONDS + timeout))
until ping_ok; do
  if ! kill -0 "$pid" 2>/dev/null; then
    log "server exited during start; last log lines:"
    tail -n 20 "$dir/logs/clickhouse-server.err.log" "$dir/logs/stderr.log" >&2 2>/dev/null || true
    rm -f "$pidfile"
    exit 1
  fi
  if [ "$SECONDS" -ge "$deadline" ]; then
    log "server did not answer $url/ping within ${timeout}s; see $dir/logs"
    exit 1
  fi
  sleep 0.2
done
log "ready (pid $pid)"
echo "$url"
