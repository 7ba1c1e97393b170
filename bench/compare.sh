#!/usr/bin/env bash
# Side by side on SQLite: the release binaries of two trees, each with its
# own fresh demo database, measured alternately with wrk (server on core 0,
# wrk on core 1), RUNS runs of DURATION seconds per workload.
#   bash bench/compare.sh OLD_TREE NEW_TREE [RUNS] [DURATION]
# Each tree must have target/release/portcullis and examples/fixtures built.
# Prints one JSON line per run and a median table.
set -euo pipefail
OLD=$1 NEW=$2 RUNS=${3:-3} DURATION=${4:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=$(mktemp -d)
declare -A PID=() PORT=([old]=9201 [new]=9202) TREE=([old]=$OLD [new]=$NEW) CC=() POOL=()
trap 'for p in "${PID[@]}"; do kill "$p" 2>/dev/null || true; done' EXIT
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
for side in old new; do
    bin=${TREE[$side]}/target/release
    db=sqlite://$OUT/$side.db
    "$bin/portcullis" --database-url "$db" migrate >/dev/null
    answer=$("$bin/portcullis" --database-url "$db" --json client add --name bench-cc \
        --grant-types client_credentials --scope profile)
    CC[$side]=$(basic "$(jq -r .client_id <<<"$answer")" "$(jq -r .client_secret <<<"$answer")")
    answer=$("$bin/portcullis" --database-url "$db" --json client add --name bench-pw \
        --grant-types password,refresh_token --scope profile)
    pw=$(jq -r .client_id <<<"$answer")
    "$bin/examples/fixtures" access "$db" "$pw" 1 profile 1000 >"$OUT/pool-$side.txt"
    POOL[$side]=$OUT/pool-$side.txt
    taskset -c 0 "$bin/portcullis" --database-url "$db" serve --demo \
        --addr "127.0.0.1:${PORT[$side]}" $([[ $side == new ]] && echo --admin-addr "127.0.0.1:$((PORT[$side] + 1000))") \
        >"$OUT/$side.log" 2>&1 &
    PID[$side]=$!
    until curl -fs "http://127.0.0.1:${PORT[$side]}/healthz" >/dev/null; do sleep 0.1; done
done
form='Content-Type: application/x-www-form-urlencoded'
for ((rep = 1; rep <= RUNS; rep++)); do
    for workload in client_credentials introspection bearer_resource; do
        for side in old new; do
            unset BENCH_POOL BENCH_BODY BENCH_POOL_ONCE
            export BENCH_METHOD=POST BENCH_PATH=/oauth/token BENCH_EXPECT='"access_token":"'
            case $workload in
                client_credentials)
                    export BENCH_HEADERS="Authorization: ${CC[$side]}|$form"
                    export BENCH_BODY='grant_type=client_credentials&scope=profile' ;;
                introspection)
                    export BENCH_PATH=/oauth/introspect BENCH_HEADERS="Authorization: ${CC[$side]}|$form"
                    export BENCH_BODY='token={item}' BENCH_EXPECT='"active":' BENCH_POOL=${POOL[$side]} ;;
                bearer_resource)
                    export BENCH_METHOD=GET BENCH_PATH=/api/me BENCH_HEADERS='Authorization: Bearer {item}'
                    export BENCH_EXPECT='"username":"mike"' BENCH_POOL=${POOL[$side]} ;;
            esac
            json=$(taskset -c 1 wrk -t1 -c32 -d"${DURATION}s" -s "$ROOT/bench/workload.lua" \
                "http://127.0.0.1:${PORT[$side]}" | sed -n 's/^BENCH_JSON //p')
            jq -c --arg side "$side" --arg w "$workload" --argjson rep "$rep" \
                '{side: $side, workload: $w, rep: $rep, rps: (.rps|floor), p99_ms: .p99_ms, non2xx: .non2xx, mismatches: .mismatches}' <<<"$json" | tee -a "$OUT/results.jsonl"
        done
    done
done
jq -rs 'group_by(.workload)[] | . as $g | ($g | map(select(.side=="old") | .rps) | sort) as $o
    | ($g | map(select(.side=="new") | .rps) | sort) as $n
    | "\($g[0].workload): old median \($o[($o|length)/2|floor]) req/s, new median \($n[($n|length)/2|floor]) req/s, new/old \((($n[($n|length)/2|floor]) / ($o[($o|length)/2|floor]) * 100 | floor) / 100)"' "$OUT/results.jsonl"
