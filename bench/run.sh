#!/usr/bin/env bash
# The benchmark of Portcullis (see the README's "Benchmarks" section).
#
#   bash bench/run.sh [--quick] [--runs N] [--duration SECONDS] [--connections N]
#                     [--scale-tokens N | --no-scale] [--postgres URL] [--no-report]
#                     [--only WORKLOAD,…] [--engines sqlite|postgres|both]
#   bash bench/run.sh --metrics-cost [--runs N] [--duration SECONDS]
#
# --quick: 3 runs of 3 s, no scale run. --runs, --duration, --connections:
# runs per workload, seconds per run, wrk connections (and pgbench clients).
# --scale-tokens N: live tokens of the scale run (--no-scale: none).
# --postgres URL: the PostgreSQL server (trust auth; a database is created
# for the run and dropped after it). --no-report: leave docs/benchmarks.md
# alone (run bench/report.py RESULT_DIR OUT.md by hand). --only: these
# workloads only (names from WORKLOADS below), in both engines.
# --engines: the SQLite phase (with the start-up and scale runs, which are
# SQLite's), the PostgreSQL phase, or both (the default).
#
# --metrics-cost measures only what metrics cost: issuance and introspection
# against two servers side by side, one with --metrics true and one with
# --metrics false, alternating run by run; bench/report.py --metrics-cost
# writes the comparison to bench/results/<time>/metrics-cost.md. (Neither
# workload records an audit event: only security events are audited.)
#
# Builds the release binaries, starts the server (taskset -c 0) with demo data
# on a fresh SQLite database and drives it with wrk (taskset -c 1) through each
# workload; the same workloads against the no-op ceiling (bench/noop_ceiling.rs)
# in the same run, alternating with the server, so every ratio compares numbers
# taken side by side. Then: the raw Argon2id rate on the server's core, the
# start-up time on an existing database, and the scale run (issuance and
# introspection with SCALE_TOKENS live tokens against an empty store). Raw
# results go to bench/results/<time>/results.jsonl; bench/report.py turns them
# into docs/benchmarks.md.
#
# The PostgreSQL phase also measures pgbench yardsticks: each run of a
# workload with a yardstick is followed by one pgbench run (pinned to the
# load generator's core, -c CONNECTIONS -T DURATION -n -M prepared) of
# bench/pgbench/*.sql against the same database, doing what the server does
# in the database for one request of it: issue.sql for client_credentials,
# point_select.sql for introspection and bearer_resource, rotate.sql for
# refresh, exchange.sql for authorization_code (their data:
# bench/pgbench/setup.sql, refresh_pool.sql, code_pool.sql). Their lines in
# results.jsonl have server "pgbench" and the workload they are the
# yardstick of; rps is pgbench's tps without connection establishment.
#
# The OpenID Connect workloads: authorization_code_openid_es256 and
# authorization_code_openid_rs256 exchange codes minted with scope
# "openid profile offline_access" and the context the authorize endpoint
# records (bench/fixtures.rs openid-codes), for clients whose ID tokens are
# signed ES256 or RS256, so each answer carries an ID token (and, like the
# plain exchange, an access and a refresh token: without offline_access an
# OpenID exchange issues no refresh token); client_credentials_jwt issues
# RFC 9068 JWT access tokens (a client with --access-token-format jwt).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

RUNS=5
DURATION=10
CONNECTIONS=32
SCALE_TOKENS=10000000
POSTGRES_URL=postgres://postgres@127.0.0.1:5432
REPORT=1
ONLY=
METRICS_COST=0
ENGINES=both
# Extra `serve` flags of the next server started.
SERVE_ARGS=()
while (($#)); do
    case $1 in
        --quick) RUNS=3 DURATION=3 SCALE_TOKENS=0 ;;
        --runs) RUNS=$2; shift ;;
        --duration) DURATION=$2; shift ;;
        --connections) CONNECTIONS=$2; shift ;;
        --scale-tokens) SCALE_TOKENS=$2; shift ;;
        --no-scale) SCALE_TOKENS=0 ;;
        --postgres) POSTGRES_URL=$2; shift ;;
        --no-report) REPORT=0 ;;
        --only) ONLY=$2; shift ;;
        --metrics-cost) METRICS_COST=1 ;;
        --engines)
            case $2 in
                sqlite | postgres | both) ENGINES=$2 ;;
                *) echo "--engines takes sqlite, postgres or both" >&2; exit 2 ;;
            esac
            shift ;;
        *) echo "unknown option $1 (see the top of $0)" >&2; exit 2 ;;
    esac
    shift
done

SERVER_CPU=0
LOAD_CPU=1
run_sqlite() { [[ $ENGINES != postgres ]]; }
run_postgres() { [[ $ENGINES != sqlite ]]; }
# Argon2-bound workloads run a handful of requests at a time: a queue of 32
# behind one hash at a time only adds latency.
ARGON2_CONNECTIONS=4
# Registrations running beside the issuance of client_credentials_while_registering.
REGISTRATION_CONNECTIONS=4
REDIRECT_URI=http://127.0.0.1:8765/callback
VERIFIER=benchmark-pkce-verifier-0123456789-abcdefghijklmnop
OPENID_SCOPE="openid profile offline_access"
OUT=$ROOT/bench/results/$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$OUT/results.jsonl
BIN=$ROOT/target/release
mkdir -p "$OUT"
: >"$RESULTS"

log() { printf '[bench %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }

# --- tools -------------------------------------------------------------------
missing=()
for tool in wrk jq sqlite3 python3 taskset curl; do
    command -v "$tool" >/dev/null || missing+=("$tool")
done
if run_postgres && ! ((METRICS_COST)); then
    command -v pgbench >/dev/null || missing+=(pgbench)
fi
if ((${#missing[@]})); then
    packages=("${missing[@]/taskset/util-linux}")
    packages=("${packages[@]/pgbench/postgresql-contrib}")
    log "installing ${packages[*]}"
    apt-get update -qq
    apt-get install -y -qq "${packages[@]}" >/dev/null
fi

log "building release binaries"
cargo build --release --quiet --bin portcullis \
    --example noop_ceiling --example argon2_rate --example fixtures

# --- processes ---------------------------------------------------------------
# Every process this script starts is stopped by its pid, and only those.
declare -A PIDS=()
stop() {
    local name=$1 pid=${PIDS[$1]:-}
    [[ -n $pid ]] || return 0
    kill "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
    unset "PIDS[$name]"
}
cleanup() {
    local name
    for name in "${!PIDS[@]}"; do stop "$name"; done
}
trap cleanup EXIT

# start NAME PORT CMD… — starts a server on SERVER_CPU and waits until it
# answers; READY_MS is the time that took.
start() {
    local name=$1 port=$2
    shift 2
    local answer
    answer=$("$BIN/examples/fixtures" start "$OUT/$name.log" "http://127.0.0.1:$port/healthz" \
        -- taskset -c "$SERVER_CPU" "$@")
    PIDS[$name]=$(jq -r .pid <<<"$answer")
    READY_MS=$(jq -r .ready_ms <<<"$answer")
}

declare -A PORT=()
start_portcullis() {
    local name=$1 url=$2 port=$3
    PORT[$name]=$port
    # --demo opens registration; its per-address limit would stop the
    # registration workload at once.
    start "$name" "$port" "$BIN/portcullis" --database-url "$url" \
        serve --demo --addr "127.0.0.1:$port" --admin-addr "127.0.0.1:$((port + 1000))" \
        --registration-rate-limit 0 "${SERVE_ARGS[@]}"
}

# --- databases and clients ---------------------------------------------------
declare -A URL=() CC=() RS=() PW=() AC=() CC_JWT=() OIDC_ES256=() OIDC_RS256=()
basic() { printf 'Basic %s' "$(printf '%s:%s' "$1" "$2" | base64 -w0)"; }
add_client() {
    local url=$1
    shift
    local answer
    answer=$("$BIN/portcullis" --database-url "$url" --json client add "$@")
    basic "$(jq -r .client_id <<<"$answer")" "$(jq -r .client_secret <<<"$answer")"
}

# new_store NAME URL — migrates and registers the benchmark clients, all
# with server-generated secrets (SHA-256 at rest).
new_store() {
    local name=$1 url=$2
    URL[$name]=$url
    "$BIN/portcullis" --database-url "$url" migrate >/dev/null
    CC[$name]=$(add_client "$url" --name bench-cc --grant-types client_credentials --scope profile)
    # Introspection answers active only to the token's own client or to a
    # resource server (src/oauth/introspection.rs): the pool's tokens are
    # bench-password's, so a resource server introspects them.
    RS[$name]=$(add_client "$url" --name bench-rs --grant-types client_credentials --scope profile \
        --resource-server)
    PW[$name]=$(add_client "$url" --name bench-password \
        --grant-types password,refresh_token --scope profile)
    AC[$name]=$(add_client "$url" --name bench-code \
        --grant-types authorization_code,refresh_token --redirect-uri "$REDIRECT_URI" --scope profile)
    # OpenID Connect: ID tokens signed ES256 or RS256; RFC 9068 access tokens.
    # offline_access: an OpenID exchange issues a refresh token only with it
    # (as bench-code's does), so both exchanges write the same rows.
    OIDC_ES256[$name]=$(add_client "$url" --name bench-oidc-es256 \
        --grant-types authorization_code,refresh_token --redirect-uri "$REDIRECT_URI" \
        --scope "$OPENID_SCOPE" --id-token-alg ES256)
    OIDC_RS256[$name]=$(add_client "$url" --name bench-oidc-rs256 \
        --grant-types authorization_code,refresh_token --redirect-uri "$REDIRECT_URI" \
        --scope "$OPENID_SCOPE" --id-token-alg RS256)
    CC_JWT[$name]=$(add_client "$url" --name bench-cc-jwt --grant-types client_credentials \
        --scope profile --access-token-format jwt)
}

client_id_of() { base64 -d <<<"${1#Basic }" | cut -d: -f1; }

# pool NAME KIND COUNT — a file of fresh access tokens, refresh tokens or
# codes (for the demo user, id 1) in the store of server NAME. Kinds
# openid-codes-es256 and openid-codes-rs256: codes with OPENID_SCOPE and
# their OpenID Connect context, for the clients OIDC_ES256 and OIDC_RS256.
pool() {
    local name=$1 kind=$2 count=$3 file=$OUT/pool-$1-$2.txt client
    case $kind in
        access | refresh) client=$(client_id_of "${PW[$name]}") ;;
        codes) client=$(client_id_of "${AC[$name]}") ;;
        openid-codes-es256) client=$(client_id_of "${OIDC_ES256[$name]}") ;;
        openid-codes-rs256) client=$(client_id_of "${OIDC_RS256[$name]}") ;;
    esac
    if [[ $kind == codes ]]; then
        "$BIN/examples/fixtures" codes "${URL[$name]}" "$client" 1 profile \
            "$REDIRECT_URI" "$VERIFIER" "$count" >"$file"
    elif [[ $kind == openid-codes-* ]]; then
        "$BIN/examples/fixtures" openid-codes "${URL[$name]}" "$client" 1 "$OPENID_SCOPE" \
            "$REDIRECT_URI" "$VERIFIER" "$count" >"$file"
    else
        "$BIN/examples/fixtures" "$kind" "${URL[$name]}" "$client" 1 profile "$count" >"$file"
    fi
    echo "$file"
}

# --- one measurement ---------------------------------------------------------
# workload NAME STORE — sets the BENCH_* variables of bench/workload.lua and
# CONNS for a workload against the clients of STORE.
workload() {
    local name=$1 store=$2
    unset BENCH_POOL BENCH_POOL_ONCE BENCH_BODY
    export BENCH_METHOD=POST BENCH_PATH=/oauth/token BENCH_EXPECT='"access_token":"'
    CONNS=$CONNECTIONS
    local form='Content-Type: application/x-www-form-urlencoded'
    case $name in
        client_credentials)
            export BENCH_HEADERS="Authorization: ${CC[$store]}|$form"
            export BENCH_BODY='grant_type=client_credentials&scope=profile' ;;
        client_credentials_argon2)
            export BENCH_HEADERS="Authorization: $(basic mike_id mike_secret)|$form"
            export BENCH_BODY='grant_type=client_credentials&scope=profile'
            CONNS=$ARGON2_CONNECTIONS ;;
        password)
            export BENCH_HEADERS="Authorization: ${PW[$store]}|$form"
            export BENCH_BODY='grant_type=password&username=mike&password=pass&scope=profile'
            export BENCH_EXPECT='"refresh_token":"'
            CONNS=$ARGON2_CONNECTIONS ;;
        refresh)
            export BENCH_HEADERS="Authorization: ${PW[$store]}|$form"
            export BENCH_BODY='grant_type=refresh_token&refresh_token={item}'
            export BENCH_EXPECT='"refresh_token":"' BENCH_POOL_ONCE=1 ;;
        authorization_code)
            export BENCH_HEADERS="Authorization: ${AC[$store]}|$form"
            export BENCH_BODY="grant_type=authorization_code&code={item}&redirect_uri=$REDIRECT_URI&code_verifier=$VERIFIER"
            export BENCH_POOL_ONCE=1 ;;
        authorization_code_openid_es256 | authorization_code_openid_rs256)
            local credentials=${OIDC_ES256[$store]}
            [[ $name == *rs256 ]] && credentials=${OIDC_RS256[$store]}
            export BENCH_HEADERS="Authorization: $credentials|$form"
            export BENCH_BODY="grant_type=authorization_code&code={item}&redirect_uri=$REDIRECT_URI&code_verifier=$VERIFIER"
            export BENCH_EXPECT='"id_token":"' BENCH_POOL_ONCE=1 ;;
        client_credentials_jwt)
            export BENCH_HEADERS="Authorization: ${CC_JWT[$store]}|$form"
            export BENCH_BODY='grant_type=client_credentials&scope=profile' ;;
        introspection)
            export BENCH_PATH=/oauth/introspect
            export BENCH_HEADERS="Authorization: ${RS[$store]}|$form"
            export BENCH_BODY='token={item}' BENCH_EXPECT='"active":true' ;;
        bearer_resource)
            export BENCH_METHOD=GET BENCH_PATH=/api/me
            export BENCH_HEADERS='Authorization: Bearer {item}' BENCH_EXPECT='"username":"mike"' ;;
        registration)
            # An MCP client registering itself (RFC 7591): a public client.
            export BENCH_PATH=/oauth/register BENCH_HEADERS='Content-Type: application/json'
            export BENCH_BODY="$REGISTRATION" BENCH_EXPECT='"registration_access_token":"' ;;
        client_credentials_while_registering)
            workload client_credentials "$store" ;;
    esac
}

REGISTRATION='{"client_name":"bench agent","redirect_uris":["http://127.0.0.1:33418/callback"],"grant_types":["authorization_code","refresh_token"],"token_endpoint_auth_method":"none","scope":"profile"}'

# registering SERVER SECONDS NAME — registrations on SERVER for SECONDS, in
# the background (on the load generator's core, beside the measured wrk);
# BACKGROUND is its pid, its BENCH_JSON line goes to the file NAME.
registering() {
    local port=${PORT[$1]}
    (
        workload registration "$1"
        export BENCH_POOL=
        exec taskset -c "$LOAD_CPU" wrk -t1 -c"$REGISTRATION_CONNECTIONS" -d"$2s" --timeout 10s \
            -s "$ROOT/bench/workload.lua" "http://127.0.0.1:$port"
    ) >"$3" 2>&1 &
    BACKGROUND=$!
}

cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

# measure PHASE SERVER WORKLOAD REP — one wrk run against SERVER; appends a
# JSON line to results.jsonl.
measure() {
    local phase=$1 server=$2 name=$3 rep=$4 pid=${PIDS[$2]} port=${PORT[$2]}
    local out=$OUT/wrk-$phase-$server-$name-$rep.txt before after
    # The ceiling does not consume tokens: it may go round its pool.
    local once=${BENCH_POOL_ONCE:-0} expect=$BENCH_EXPECT
    [[ $server == ceiling ]] && once=0
    # Nor does it sign ID tokens: its fixed token answer has none.
    [[ $server == ceiling && $expect == '"id_token":"' ]] && expect='"access_token":"'
    echo 5 >"/proc/$pid/clear_refs" # resets VmHWM: the peak of this run only
    before=$(cpu_ticks "$pid")
    BENCH_POOL_ONCE=$once BENCH_EXPECT=$expect taskset -c "$LOAD_CPU" wrk -t1 -c"$CONNS" -d"${DURATION}s" --timeout 10s \
        -s "$ROOT/bench/workload.lua" "http://127.0.0.1:$port" >"$out" 2>&1 || true
    after=$(cpu_ticks "$pid")
    local rss json
    rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
    json=$(sed -n 's/^BENCH_JSON //p' "$out")
    [[ -n $json ]] || json='{"requests":0,"error":"wrk printed no result"}'
    jq -c --arg phase "$phase" --arg server "$server" --arg workload "$name" \
        --argjson rep "$rep" --argjson rss "$rss" --argjson conns "$CONNS" \
        --argjson cpu "$(((after - before) * 100 / $(getconf CLK_TCK) / DURATION))" \
        '. + {phase: $phase, server: $server, workload: $workload, rep: $rep,
              connections: $conns, peak_rss_kib: $rss, server_cpu_pct: $cpu}' \
        <<<"$json" >>"$RESULTS"
    log "$phase $server $name #$rep: $(jq -r '"\(.rps // 0 | floor) req/s, p99 \(.p99_ms // "-") ms, non-2xx \(.non2xx // "-"), mismatches \(.mismatches // "-")"' <<<"$json")"
}

# Requests a once-only pool must hold: four times the best rate seen so far.
# On a shared machine one run can go three times as fast as the one before
# (a PostgreSQL run exhausted a pool sized at twice the rate).
declare -A RATE=()
pool_size() {
    local rate=${RATE[$1]:-10000}
    echo $((rate * DURATION * 4 + 2000))
}
# remember_rate SERVER WORKLOAD [KEY] — KEY defaults to WORKLOAD.
remember_rate() {
    local rate key=${3:-$2}
    rate=$(jq -s --arg s "$1" --arg w "$2" \
        'map(select(.server == $s and .workload == $w) | .rps // 0) | max | floor' "$RESULTS")
    RATE[$key]=$((rate > ${RATE[$key]:-0} ? rate : ${RATE[$key]:-0}))
}

# --- the pgbench yardsticks -------------------------------------------------
# The yardstick of each PostgreSQL workload that has one: the script in
# bench/pgbench/ that does in the database what one request does.
declare -A YARDSTICK=([client_credentials]=issue [introspection]=point_select
    [bearer_resource]=point_select [refresh]=rotate [authorization_code]=exchange)
# Live access tokens of point_select.sql (bench/pgbench/setup.sql).
PGBENCH_TOKENS=10000
# Where the next rotate.sql or exchange.sql pool starts (each run has its own).
PGBENCH_BASE=0
declare -A PGBENCH_POOL=()

pg() { psql -X -q -At -v ON_ERROR_STOP=1 "${URL[postgres]}" "$@"; }

# pgbench_setup — the yardsticks' fixed data in the benchmark database.
pgbench_setup() {
    pg -v client="$(client_id_of "${PW[postgres]}")" -v count="$PGBENCH_TOKENS" \
        -f "$ROOT/bench/pgbench/setup.sql" >/dev/null
}

# pgbench_pool WORKLOAD — fresh refresh tokens or codes for the next run of
# WORKLOAD's yardstick, sized as the server's pools are; none for the others.
pgbench_pool() {
    local name=$1 script=${YARDSTICK[$1]:-} count
    [[ $script == rotate || $script == exchange ]] || return 0
    count=$(pool_size "pgbench_$name")
    PGBENCH_BASE=$((PGBENCH_BASE + 1000000000))
    PGBENCH_POOL[$name]="$PGBENCH_BASE $count"
    if [[ $script == rotate ]]; then
        pg -v client="$(client_id_of "${PW[postgres]}")" -v base="$PGBENCH_BASE" -v count="$count" \
            -f "$ROOT/bench/pgbench/refresh_pool.sql" >/dev/null
    else
        pg -v client="$(client_id_of "${AC[postgres]}")" -v redirect_uri="$REDIRECT_URI" \
            -v verifier="$VERIFIER" -v base="$PGBENCH_BASE" -v count="$count" \
            -f "$ROOT/bench/pgbench/code_pool.sql" >/dev/null
    fi
    # As after the server's pools: their rows settled before anything runs.
    pg -c "VACUUM ANALYZE tokens, grants, codes" >/dev/null
}

# claimed SCRIPT — refresh tokens (rotate) or codes (exchange) used so far.
claimed() {
    case $1 in
        rotate) pg -c "SELECT count(*) FROM tokens WHERE used" ;;
        exchange) pg -c "SELECT count(*) FROM codes WHERE used" ;;
        *) echo 0 ;;
    esac
}

# measure_pgbench WORKLOAD REP — one pgbench run of WORKLOAD's yardstick on
# the load generator's core; appends a JSON line to results.jsonl.
measure_pgbench() {
    local name=$1 rep=$2 script=${YARDSTICK[$1]}
    local out=$OUT/pgbench-$name-$rep.txt args=() before after
    case $script in
        issue)
            local client version
            client=$(client_id_of "${CC[postgres]}")
            version=$(psql -XAtq "${URL[postgres]}" -v client="$client" \
                <<<"SELECT version FROM clients WHERE client_id = :'client'")
            args=(-D "client=$client" -D "version=$version") ;;
        point_select) args=(-D "count=$PGBENCH_TOKENS") ;;
        rotate | exchange)
            local base count
            read -r base count <<<"${PGBENCH_POOL[$name]}"
            args=(-D "base=$base" -D "clients=$CONNECTIONS" -D n=0)
            [[ $script == rotate ]] || args+=(-D "client=$(client_id_of "${AC[postgres]}")") ;;
    esac
    before=$(claimed "$script")
    taskset -c "$LOAD_CPU" pgbench -n -M prepared -c "$CONNECTIONS" -j 1 -T "$DURATION" \
        "${args[@]}" -f "$ROOT/bench/pgbench/$script.sql" "${URL[postgres]}" >"$out" 2>&1 || true
    after=$(claimed "$script")
    local tps latency processed failed aborted exhausted=0
    tps=$(sed -n 's/^tps = \([0-9.]*\) (without initial connection time)/\1/p' "$out")
    latency=$(sed -n 's/^latency average = \([0-9.]*\) ms/\1/p' "$out")
    processed=$(sed -n 's/^number of transactions actually processed: \([0-9]*\).*/\1/p' "$out")
    failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$out")
    aborted=$(grep -c 'aborted' "$out" || true)
    # A claim that found nothing: the pool ran out (or a row was claimed twice).
    if [[ $script == rotate || $script == exchange ]] && ((after - before < ${processed:-0})); then
        exhausted=$((${processed:-0} - (after - before)))
    fi
    jq -nc --arg workload "$name" --arg script "$script.sql" --argjson rep "$rep" \
        --argjson conns "$CONNECTIONS" --argjson tps "${tps:-null}" --argjson latency "${latency:-null}" \
        --argjson processed "${processed:-0}" --argjson failed "${failed:-0}" --argjson aborted "$aborted" \
        --argjson exhausted "$exhausted" \
        '{phase: "main", server: "pgbench", workload: $workload, script: $script, rep: $rep,
          connections: $conns, rps: $tps, latency_ms: $latency, requests: $processed,
          failed: $failed, aborted_clients: $aborted, pool_exhausted: $exhausted}
         + (if $tps == null then {error: "pgbench printed no tps"} else {} end)' >>"$RESULTS"
    log "main pgbench $name ($script.sql) #$rep: ${tps:-no} tps, latency ${latency:--} ms, failed ${failed:--}, aborted clients $aborted, unclaimed $exhausted"
    remember_rate pgbench "$name" "pgbench_$name"
}

# run_phase PHASE STORE SERVER… — every workload, RUNS times, each run on the
# servers in turn (the ceiling first), with fresh pools per run.
WORKLOADS=(client_credentials introspection bearer_resource refresh authorization_code
    password client_credentials_argon2 registration client_credentials_while_registering
    authorization_code_openid_es256 authorization_code_openid_rs256 client_credentials_jwt)
if [[ -n $ONLY ]]; then
    IFS=, read -ra WORKLOADS <<<"$ONLY"
fi
run_phase() {
    local phase=$1 store=$2 rep name server
    shift 2
    for ((rep = 1; rep <= RUNS; rep++)); do
        for name in "${WORKLOADS[@]}"; do
            workload "$name" "$store"
            case $name in
                introspection | bearer_resource) export BENCH_POOL=$ACCESS_POOL ;;
                refresh) export BENCH_POOL=$(pool "$store" refresh "$(pool_size refresh)") ;;
                authorization_code) export BENCH_POOL=$(pool "$store" codes "$(pool_size authorization_code)") ;;
                authorization_code_openid_es256 | authorization_code_openid_rs256)
                    export BENCH_POOL=$(pool "$store" "openid-codes-${name##*_}" "$(pool_size "$name")") ;;
            esac
            [[ " $* " != *" pgbench "* ]] || pgbench_pool "$name"
            for server in "$@"; do
                if [[ $server == pgbench ]]; then
                    [[ -z ${YARDSTICK[$name]:-} ]] || measure_pgbench "$name" "$rep"
                    continue
                fi
                # The password grant's yardstick, the raw Argon2id rate, is
                # measured right before it, as the ceiling is for the others.
                if [[ $server == sqlite && $name == password ]]; then
                    taskset -c "$SERVER_CPU" "$BIN/examples/argon2_rate" 3 |
                        jq -c --argjson rep "$rep" '. + {phase: "argon2", workload: "argon2_raw", rep: $rep}' \
                            >>"$RESULTS"
                fi
                if [[ $name == client_credentials_while_registering ]]; then
                    # Issuance measured while clients register: what a flood
                    # of registrations costs the token endpoint.
                    local background=$OUT/wrk-$phase-$server-registering-$rep.txt
                    registering "$server" "$DURATION" "$background"
                    measure "$phase" "$server" "$name" "$rep"
                    wait "$BACKGROUND" || true
                    sed -n 's/^BENCH_JSON //p' "$background" |
                        jq -c --arg phase "$phase" --arg server "$server" --argjson rep "$rep" \
                            '. + {phase: $phase, server: $server, workload: "registration_beside_issuance", rep: $rep}' \
                            >>"$RESULTS"
                else
                    measure "$phase" "$server" "$name" "$rep"
                fi
            done
            remember_rate "$store" "$name"
        done
    done
}

# --- the run -----------------------------------------------------------------
git_commit=$(git rev-parse HEAD)
git_dirty=$(git status --porcelain --untracked-files=no | wc -l)
jq -n --arg date "$(date -u +%Y-%m-%dT%H:%MZ)" --arg commit "$git_commit" \
    --argjson dirty "$git_dirty" --arg cpu "$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs)" \
    --argjson nproc "$(nproc)" --arg kernel "$(uname -r)" --argjson runs "$RUNS" \
    --argjson duration "$DURATION" --argjson connections "$CONNECTIONS" \
    --argjson argon2_connections "$ARGON2_CONNECTIONS" --argjson scale_tokens "$SCALE_TOKENS" \
    --arg wrk "$(wrk -v 2>&1 | head -1 | cut -d' ' -f1-2)" --arg sqlite "$(sqlite3 --version | cut -d' ' -f1)" \
    --arg load "$(cut -d' ' -f1-3 /proc/loadavg)" --arg engines "$ENGINES" \
    --arg pgbench "$( (pgbench --version 2>/dev/null || true) | head -1)" \
    '{date: $date, commit: $commit, dirty_files: $dirty, cpu: $cpu, nproc: $nproc, kernel: $kernel,
      runs: $runs, duration_s: $duration, connections: $connections,
      argon2_connections: $argon2_connections, scale_tokens: $scale_tokens, wrk: $wrk,
      sqlite_cli: $sqlite, loadavg_at_start: $load, engines: $engines, pgbench: $pgbench}' >"$OUT/meta.json"

log "results in $OUT"
if ((METRICS_COST)); then
    for mode in on off; do
        new_store "metrics_$mode" "sqlite://$OUT/metrics-$mode.db"
    done
    SERVE_ARGS=(--metrics true)
    start_portcullis metrics_on "${URL[metrics_on]}" 9105
    SERVE_ARGS=(--metrics false)
    start_portcullis metrics_off "${URL[metrics_off]}" 9106
    SERVE_ARGS=()
    declare -A METRICS_POOL=([metrics_on]=$(pool metrics_on access 1000) [metrics_off]=$(pool metrics_off access 1000))
    for ((rep = 1; rep <= RUNS; rep++)); do
        for name in client_credentials introspection; do
            for server in metrics_on metrics_off; do
                workload "$name" "$server"
                [[ $name == introspection ]] && export BENCH_POOL=${METRICS_POOL[$server]}
                measure metrics "$server" "$name" "$rep"
            done
        done
    done
    python3 "$ROOT/bench/report.py" --metrics-cost "$OUT"
    exit 0
fi
start ceiling 9100 "$BIN/examples/noop_ceiling" 127.0.0.1:9100
PORT[ceiling]=9100

if run_sqlite; then
    new_store sqlite "sqlite://$OUT/sqlite.db"
    start_portcullis sqlite "${URL[sqlite]}" 9101
    ACCESS_POOL=$(pool sqlite access 1000)
    run_phase main sqlite ceiling sqlite

    # Start-up: from spawn to the first 200 from /healthz, on the existing database.
    for ((rep = 1; rep <= 5; rep++)); do
        stop sqlite
        start_portcullis sqlite "${URL[sqlite]}" 9101
        jq -nc --argjson ms "$READY_MS" --argjson rep "$rep" \
            '{phase: "startup", server: "sqlite", workload: "ready", rep: $rep, ready_ms: $ms}' >>"$RESULTS"
    done
    stop sqlite
fi

# PostgreSQL, when this build has a PostgreSQL store.
pg_db=portcullis_bench_$$
if ! run_postgres; then
    :
elif psql "$POSTGRES_URL/postgres" -qc "CREATE DATABASE $pg_db" 2>"$OUT/postgres.log" &&
    "$BIN/portcullis" --database-url "$POSTGRES_URL/$pg_db" migrate >>"$OUT/postgres.log" 2>&1; then
    new_store postgres "$POSTGRES_URL/$pg_db"
    start_portcullis postgres "${URL[postgres]}" 9102
    ACCESS_POOL=$(pool postgres access 1000)
    pgbench_setup
    RATE=()
    run_phase main postgres ceiling postgres pgbench
    stop postgres
else
    jq -nc --rawfile why "$OUT/postgres.log" '{phase: "postgres", pending: $why}' >>"$RESULTS"
    log "PostgreSQL skipped: $(tail -1 "$OUT/postgres.log")"
fi
run_postgres && { psql "$POSTGRES_URL/postgres" -qc "DROP DATABASE IF EXISTS $pg_db" >/dev/null 2>&1 || true; }
stop ceiling

# --- the scale run -----------------------------------------------------------
# Two servers side by side: one on an empty store, one on a store holding
# SCALE_TOKENS live tokens (each in its own grant), minted as the server
# mints them and bulk-loaded by bench/fixtures.rs.
if ((SCALE_TOKENS > 0)) && run_sqlite; then
    new_store empty "sqlite://$OUT/scale-empty.db"
    new_store full "sqlite://$OUT/scale-full.db"
    log "inserting $SCALE_TOKENS tokens"
    fill_start=$SECONDS
    "$BIN/examples/fixtures" fill "$OUT/scale-full.db" "$SCALE_TOKENS" 100000 >"$OUT/pool-full-spread.txt"
    jq -nc --argjson tokens "$SCALE_TOKENS" --argjson s $((SECONDS - fill_start)) \
        --argjson bytes "$(stat -c %s "$OUT/scale-full.db")" \
        '{phase: "scale_fill", tokens: $tokens, seconds: $s, db_bytes: $bytes}' >>"$RESULTS"
    start_portcullis empty "${URL[empty]}" 9103
    start_portcullis full "${URL[full]}" 9104
    # introspection: 100,000 tokens issued through the store after the fill,
    # the newest ones, as the tokens in use are. introspection_spread: on
    # the full store, 100,000 of the bulk tokens, evenly spread over the
    # whole table; on the empty store its 100,000 tokens are the table.
    empty_pool=$(pool empty access 100000)
    full_pool=$(pool full access 100000)
    empty_spread_pool=$empty_pool
    full_spread_pool=$OUT/pool-full-spread.txt
    for ((rep = 1; rep <= RUNS; rep++)); do
        for name in client_credentials introspection introspection_spread; do
            for store in empty full; do
                workload "${name%_spread}" "$store"
                case $name in
                    introspection) pool_var=${store}_pool ;;
                    introspection_spread) pool_var=${store}_spread_pool ;;
                    *) pool_var= ;;
                esac
                [[ -z $pool_var ]] || export BENCH_POOL=${!pool_var}
                measure scale "$store" "$name" "$rep"
            done
        done
    done
    stop empty
    stop full
    rm -f "$OUT"/scale-*.db*
fi

log "raw results: $RESULTS"
if ((REPORT)); then
    python3 "$ROOT/bench/report.py" "$OUT" "$ROOT/docs/benchmarks.md"
    log "wrote docs/benchmarks.md"
fi
