#!/usr/bin/env bash
# Runs COMMAND... with the test servers up, then stops them (also when COMMAND fails):
#   - one ClickHouse server on 127.0.0.1:19000,
#   - the two-shard cluster "ccstats" on 127.0.0.1:19101 and 127.0.0.1:19102,
# all from node.xml and users.xml beside this script, with their data in a temporary
# folder that is removed afterwards. Installs Debian's clickhouse-server and -client if missing.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
ports=(19000 19101 19102)

if ! command -v clickhouse-server >/dev/null || ! command -v clickhouse-client >/dev/null; then
    if [ "$(id -u)" != 0 ]; then
        echo "ClickHouse is not installed; run:" \
             "sudo apt-get install clickhouse-server clickhouse-client" >&2
        exit 1
    fi
    echo "installing clickhouse-server and clickhouse-client" >&2
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq clickhouse-server clickhouse-client \
        >/dev/null
fi

data=$(mktemp -d -t ccstats-clickhouse.XXXXXX)
pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
    rm -rf "$data"
}
trap stop EXIT

for port in "${ports[@]}"; do
    folder="$data/$port"
    mkdir -p "$folder"
    clickhouse-server --config-file="$here/node.xml" -- --path="$folder/" \
        --tmp_path="$folder/tmp/" --tcp_port="$port" --logger.log="$folder/server.log" \
        --logger.errorlog="$folder/error.log" >"$folder/console.log" 2>&1 &
    pids+=($!)
done
for port in "${ports[@]}"; do
    for _ in $(seq 600); do
        if clickhouse-client --port "$port" --query "SELECT 1" >/dev/null 2>&1; then
            continue 2
        fi
        sleep 0.1
    done
    echo "ClickHouse on port $port did not start:" >&2
    cat "$data/$port/console.log" "$data/$port/error.log" >&2 || true
    exit 1
done
"$@"
