#!/usr/bin/env bash
# `make bench`: builds in release mode, starts the API and its ceilings pinned to one core, seeds
# data over HTTP, loads them with wrk pinned to another core, and writes bench/results/latest.json.
# BENCHMARKS.md explains the method. Settings (environment):
#   BENCH_SECONDS=4  BENCH_ROUNDS=5  BENCH_CONNECTIONS=32  BENCH_LOGIN_CONNECTIONS=4
#   BENCH_FLOOD_CONNECTIONS=16  BENCH_PACED_CONNECTIONS=4  BENCH_PACED_DELAY_MS=5
#   BENCH_SERVER_CORE=0  BENCH_LOAD_CORE=1  BENCH_API_PORT=18181  BENCH_CEILING_PORT=18182
#   BENCH_NOAUTH_PORT=18183  BENCH_PG_PORT=18184
#   BENCH_POSTGRES_URL=postgres://postgres@127.0.0.1:5432/postgres: the booking and "my sessions"
#     scenarios on PostgreSQL too (a scratch database is made there and dropped)
#   BENCH_KEEP=1 keeps the scratch folder (database, logs, raw results); CARGO, CARGO_TARGET_DIR.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD

CARGO=${CARGO:-cargo}
SECS=${BENCH_SECONDS:-4}
ROUNDS=${BENCH_ROUNDS:-5}
CONNECTIONS=${BENCH_CONNECTIONS:-32}
LOGIN_CONNECTIONS=${BENCH_LOGIN_CONNECTIONS:-4}
FLOOD_CONNECTIONS=${BENCH_FLOOD_CONNECTIONS:-16}
PACED_CONNECTIONS=${BENCH_PACED_CONNECTIONS:-4}
PACED_DELAY_MS=${BENCH_PACED_DELAY_MS:-5}
SERVER_CORE=${BENCH_SERVER_CORE:-0}
LOAD_CORE=${BENCH_LOAD_CORE:-1}
API_PORT=${BENCH_API_PORT:-18181}
CEILING_PORT=${BENCH_CEILING_PORT:-18182}
NOAUTH_PORT=${BENCH_NOAUTH_PORT:-18183}
PG_PORT=${BENCH_PG_PORT:-18184}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
BIN=$TARGET_DIR/release
OUT=bench/results/latest.json

say() { echo "bench: $*" >&2; }
die() { say "$*"; exit 1; }

# --- Tools: wrk (the load generator), curl (seeding), taskset (pinning). -----------------------
missing=()
command -v wrk >/dev/null || missing+=(wrk)
command -v curl >/dev/null || missing+=(curl)
command -v taskset >/dev/null || missing+=(util-linux)
if ((${#missing[@]})); then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    say "installing ${missing[*]} with apt-get"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    die "needs ${missing[*]}: install them (Debian/Ubuntu: sudo apt-get install ${missing[*]})"
  fi
fi

CORES=$(nproc)
if ((CORES >= 2)); then
  PIN_SERVER=(taskset -c "$SERVER_CORE")
  PIN_LOAD=(taskset -c "$LOAD_CORE")
else
  say "only one core: server and load share it, so the ratios mean less"
  PIN_SERVER=()
  PIN_LOAD=()
fi

# --- Build. ----------------------------------------------------------------------------------
say "building in release mode"
"$CARGO" build --release -p mentorship-api -p mentorship-bench --bins

# --- A scratch folder, the settings both servers read, and cleanup. ---------------------------
WORK=$(mktemp -d "${TMPDIR:-/tmp}/mentorship-bench.XXXXXX")
RESULTS=$WORK/results
mkdir -p "$RESULTS" bench/results
PIDS=()
PG_DB=
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [ -n "$PG_DB" ]; then
    psql "$BENCH_POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  fi
  if [ -n "${BENCH_KEEP:-}" ]; then say "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

ADMIN_EMAIL=bench@example.com
ADMIN_PASSWORD=bench-password-$RANDOM$RANDOM
export APP_ENV=development
export DATABASE_URL="sqlite://$WORK/bench.db"
export DATA_DIR="$WORK/data"
JWT_SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
export JWT_SECRET
export BOOTSTRAP_ADMIN_EMAIL=$ADMIN_EMAIL BOOTSTRAP_ADMIN_PASSWORD=$ADMIN_PASSWORD
# The throttle would answer 429 to a login flood from one client: that is its job, not what
# is measured here (the cost of a login that gets through).
export LOGIN_ATTEMPTS_PER_ACCOUNT=1000000000 LOGIN_ATTEMPTS_PER_CLIENT=1000000000
export ACCESS_TOKEN_TTL_SECONDS=3600
export HTTP_WORKERS=1
# Logging is a cost the bench does not want to measure: warnings only.
export LOG_FORMAT=json RUST_LOG=warn
# Nor is the outbox worker, which shares the API's process: each booking queues two emails,
# and delivering thousands of them during "my sessions" counted against it. It runs once at
# start, then sleeps through the run.
export OUTBOX_POLL_MS=86400000

# Starts a server pinned to the server core, from the scratch folder (so no .env is read).
start() {
  local name=$1 port=$2; shift 2
  if curl -s -o /dev/null "http://127.0.0.1:$port/"; then
    die "port $port is taken (set BENCH_API_PORT / BENCH_CEILING_PORT)"
  fi
  (cd "$WORK" && BIND_ADDR=127.0.0.1:$port exec "${PIN_SERVER[@]}" "$@") >"$WORK/$name.log" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 1 100); do
    curl -fs -o /dev/null "http://127.0.0.1:$port/health" && return 0
    sleep 0.1
  done
  cat "$WORK/$name.log" >&2
  die "$name did not start"
}

API=http://127.0.0.1:$API_PORT
CEILING=http://127.0.0.1:$CEILING_PORT
start api "$API_PORT" "$BIN/mentorship" serve
API_PID=${PIDS[-1]}

# --- Seed over HTTP: a token, an API key, 120 paths (a read and two pages), a few projects. ----
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
LOGIN_BODY="{\"email\":\"$ADMIN_EMAIL\",\"password\":\"$ADMIN_PASSWORD\"}"
post() { curl -fsS -X POST "$API$1" -H 'content-type: application/json' ${TOKEN:+-H "authorization: Bearer $TOKEN"} -d "$2"; }
TOKEN=
TOKEN=$(post /v1/auth/login "$LOGIN_BODY" | json_field access_token)
[ -n "$TOKEN" ] || die "could not log in"
API_KEY=$(post /v1/api-keys '{"name":"bench","scopes":["paths:read"]}' | json_field key_secret)
[ -n "$API_KEY" ] || die "could not make an API key"
say "seeding 120 paths"
DESCRIPTION="A path through the craft: reading code, writing tests, shipping small changes, reviewing others' work and explaining decisions to people who were not in the room."
PATH_ID=
for i in $(seq 1 120); do
  id=$(post /v1/paths "{\"title\":\"Path $i\",\"field\":\"field $((i % 6))\",\"complexity\":$((i % 3 + 1)),\"description\":\"$DESCRIPTION\"}" | json_field id)
  PATH_ID=${PATH_ID:-$id}
done
for i in 1 2 3 4 5; do
  post "/v1/paths/$PATH_ID/projects" "{\"title\":\"Project $i\",\"difficulty\":$((i % 3 + 1)),\"description\":\"$DESCRIPTION\"}" >/dev/null
done
PAGE1=$(curl -fsS "$API/v1/paths?limit=50" -H "authorization: Bearer $TOKEN")
CURSOR=$(printf '%s' "$PAGE1" | json_field next_cursor)
AFTER=$(printf '%s' "$PAGE1" | grep -o '"id":"[^"]*"' | tail -n 1 | cut -d'"' -f4)
[ -n "$CURSOR" ] && [ -n "$AFTER" ] || die "could not read the first page of paths"
LIST_URL="$API/v1/paths?limit=50&cursor=$CURSOR"

# --- Sessions: mentors with students, and bookings that all succeed, through the store. -------
# seed_sessions DIR: on $DATABASE_URL; writes DIR/bookings.*.jsonl and DIR/mentor.env.
seed_sessions() {
  mkdir -p "$1"
  "$BIN/mentorship-bench" seed-sessions --out "$1" --mentors 20 --students 40 --weeks 100
}
say "seeding 800 students of 20 mentors for the booking scenarios"
SESSIONS=$WORK/sessions
seed_sessions "$SESSIONS"
# shellcheck disable=SC1091
. "$SESSIONS/mentor.env"
MENTOR_TOKEN=$(post /v1/auth/login "{\"email\":\"$MENTOR_EMAIL\",\"password\":\"$MENTOR_PASSWORD\"}" | json_field access_token)
[ -n "$MENTOR_TOKEN" ] || die "could not log in as the seeded mentor"

PG_API= PG_API_PID= PG_URL= PG_TOKEN= PG_MENTOR_TOKEN=
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  command -v psql >/dev/null || die "BENCH_POSTGRES_URL needs psql"
  PG_DB=mentorship_bench_$$
  psql "$BENCH_POSTGRES_URL" -q -c "CREATE DATABASE $PG_DB" >/dev/null
  PG_URL="${BENCH_POSTGRES_URL%/*}/$PG_DB"
  DATABASE_URL=$PG_URL start pg_api "$PG_PORT" "$BIN/mentorship" serve
  PG_API_PID=${PIDS[-1]}
  PG_API=http://127.0.0.1:$PG_PORT
  say "seeding the same on PostgreSQL"
  DATABASE_URL=$PG_URL seed_sessions "$WORK/pg-sessions"
  PG_TOKEN=$(curl -fsS -X POST "$PG_API/v1/auth/login" -H 'content-type: application/json' -d "$LOGIN_BODY" | json_field access_token)
  PG_MENTOR_TOKEN=$(curl -fsS -X POST "$PG_API/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$MENTOR_EMAIL\",\"password\":\"$MENTOR_PASSWORD\"}" | json_field access_token)
  [ -n "$PG_TOKEN" ] && [ -n "$PG_MENTOR_TOKEN" ] || die "could not log in on PostgreSQL"
fi

start ceilings "$CEILING_PORT" "$BIN/mentorship-bench" ceiling-server
CEILING_PID=${PIDS[-1]}
start noauth "$NOAUTH_PORT" "$BIN/mentorship-bench" noauth-server
NOAUTH_PID=${PIDS[-1]}
NOAUTH=http://127.0.0.1:$NOAUTH_PORT

# The ceilings must answer what the API answers, or the ratios compare different work.
same() {
  local a b
  a=$(curl -fsS "${@:3}" "$1") b=$(curl -fsS "$2")
  [ "$a" = "$b" ] || die "$1 and $2 answer different bodies:
$a
$b"
}
same "$API/health" "$CEILING/health"
same "$API/v1/paths/$PATH_ID" "$CEILING/v1/paths/$PATH_ID" -H "authorization: Bearer $TOKEN"
same "$API/v1/paths/$PATH_ID" "$NOAUTH/v1/paths/$PATH_ID" -H "authorization: Bearer $TOKEN"
curl -fsS -o /dev/null "$LIST_URL" -H "authorization: Bearer $TOKEN"
curl -fsS -o /dev/null "$API/v1/paths/$PATH_ID" -H "authorization: Bearer $API_KEY"

# --- Measure. ----------------------------------------------------------------------------------
ROUND=0
HZ=$(getconf CLK_TCK 2>/dev/null || echo 100)
# The CPU time (user + system, all threads) a process has used, in clock ticks.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# wrk_run NAME SERVER_PID CONNECTIONS SECONDS URL [wrk options]: one wrk run pinned to the load
# core; with a SERVER_PID (not -), the CPU time the server got during the run is added to the result.
wrk_run() {
  local name=$1 server=$2 connections=$3 seconds=$4 url=$5; shift 5
  local out=${BENCH_OUT:-$RESULTS/$name.$ROUND.json} before=
  [ "$server" = - ] || before=$(cpu_ticks "$server")
  BENCH_OUT=$out "${PIN_LOAD[@]}" wrk -t1 -c"$connections" -d"${seconds}s" \
    --timeout 10s -s bench/wrk/measure.lua "$@" "$url" >"$WORK/$name.$ROUND.wrk.txt"
  if [ -n "$before" ] && [ -f "$out" ]; then
    local cpu
    cpu=$(awk -v a="$before" -v b="$(cpu_ticks "$server")" -v hz="$HZ" 'BEGIN { printf "%.3f", (b - a) / hz }')
    sed -i "s/}\$/, \"cpu_seconds\": $cpu}/" "$out"
  fi
}
# bench_run NAME ARGS...: one in-process ceiling pinned to the server core.
bench_run() {
  local name=$1; shift
  "${PIN_SERVER[@]}" "$BIN/mentorship-bench" "$@" >"$RESULTS/$name.$ROUND.json"
}
AUTH=(-H "authorization: Bearer $TOKEN")

say "warming up"
# Other processes on these cores disturb the numbers; the report says how busy the machine was.
LOADAVG=$(cut -d' ' -f1-3 /proc/loadavg)
BENCH_OUT=/dev/null wrk_run warmup - "$CONNECTIONS" 2 "$API/v1/paths/$PATH_ID" "${AUTH[@]}"
BENCH_OUT=/dev/null wrk_run warmup - "$CONNECTIONS" 2 "$CEILING/v1/paths/$PATH_ID"
BENCH_OUT=/dev/null wrk_run warmup - "$CONNECTIONS" 2 "$NOAUTH/v1/paths/$PATH_ID"

# Where each booking run starts in its file of bodies: each body books once. A run sends up to
# as many more as it has connections beyond those it counts.
declare -A BOOK_FROM=() STORE_FROM=()
# (wrk's results put a space after each colon, the in-process loops' none.)
requests_of() { sed -n 's/.*"requests": *\([0-9]*\).*/\1/p' "$1"; }
rps_of() { sed -n 's/.*"rps": *\([0-9.]*\).*/\1/p' "$1"; }
# sessions_round SUFFIX API_URL API_PID DATABASE_URL DIR STAFF_TOKEN MENTOR_TOKEN
sessions_round() {
  local suffix=$1 base=$2 pid=$3 db=$4 dir=$5 staff=$6 mentor=$7
  local key=${suffix:-sqlite}
  local name=booking$suffix from=${BOOK_FROM[$key]:-0} stored=${STORE_FROM[$key]:-0}
  BENCH_BODIES=$dir/bookings.api.jsonl BENCH_BODIES_FROM=$from \
    wrk_run "$name" "$pid" "$CONNECTIONS" "$SECS" "$base/v1/sessions" -H "authorization: Bearer $staff"
  from=$((from + $(requests_of "$RESULTS/$name.$ROUND.json") + CONNECTIONS))
  # The same at 80 % of the rate just measured: the p99 a client sees short of saturation.
  local delay
  delay=$(awk -v c="$PACED_CONNECTIONS" -v r="$(rps_of "$RESULTS/$name.$ROUND.json")" \
    'BEGIN { printf "%d", (r > 0) ? 1000 * c / (0.8 * r) : 1000 }')
  BENCH_DELAY_MS=$delay BENCH_BODIES=$dir/bookings.api.jsonl BENCH_BODIES_FROM=$from \
    wrk_run "${name}_paced" - "$PACED_CONNECTIONS" "$SECS" "$base/v1/sessions" -H "authorization: Bearer $staff"
  BOOK_FROM[$key]=$((from + $(requests_of "$RESULTS/${name}_paced.$ROUND.json") + PACED_CONNECTIONS))
  DATABASE_URL=$db bench_run "${name}_storage" storage book --bodies "$dir/bookings.storage.jsonl" \
    --from "$stored" --connections "$CONNECTIONS" --seconds "$SECS"
  STORE_FROM[$key]=$((stored + $(requests_of "$RESULTS/${name}_storage.$ROUND.json") + CONNECTIONS))
  wrk_run "my_sessions$suffix" "$pid" "$CONNECTIONS" "$SECS" "$base/v1/me/sessions?limit=50" \
    -H "authorization: Bearer $mentor"
  DATABASE_URL=$db bench_run "my_sessions${suffix}_storage" storage my-sessions --mentor "$MENTOR_EMAIL" \
    --connections "$CONNECTIONS" --seconds "$SECS"
}

for ROUND in $(seq 1 "$ROUNDS"); do
  say "round $ROUND of $ROUNDS (about $((18 * SECS + 5)) s, more with PostgreSQL)"
  wrk_run health "$API_PID" "$CONNECTIONS" "$SECS" "$API/health"
  wrk_run health_bare "$CEILING_PID" "$CONNECTIONS" "$SECS" "$CEILING/health"
  wrk_run path_get "$API_PID" "$CONNECTIONS" "$SECS" "$API/v1/paths/$PATH_ID" "${AUTH[@]}"
  wrk_run path_get_noauth "$NOAUTH_PID" "$CONNECTIONS" "$SECS" "$NOAUTH/v1/paths/$PATH_ID"
  wrk_run path_get_api_key "$API_PID" "$CONNECTIONS" "$SECS" "$API/v1/paths/$PATH_ID" -H "authorization: Bearer $API_KEY"
  wrk_run path_get_bare "$CEILING_PID" "$CONNECTIONS" "$SECS" "$CEILING/v1/paths/$PATH_ID"
  bench_run path_get_storage storage get-path --id "$PATH_ID" --connections "$CONNECTIONS" --seconds "$SECS"
  wrk_run paths_list "$API_PID" "$CONNECTIONS" "$SECS" "$LIST_URL" "${AUTH[@]}"
  bench_run paths_list_storage storage list-paths --after "$AFTER" --limit 50 --connections "$CONNECTIONS" --seconds "$SECS"
  bench_run argon2 argon2 --seconds "$SECS"
  BENCH_METHOD=POST BENCH_BODY=$LOGIN_BODY wrk_run login "$API_PID" "$LOGIN_CONNECTIONS" "$SECS" "$API/v1/auth/login"
  # A paced read (latency, not throughput: the server's CPU is not what is compared), then the
  # same read again while a flood of logins keeps the hashing pool full.
  BENCH_DELAY_MS=$PACED_DELAY_MS wrk_run read_alone - "$PACED_CONNECTIONS" "$SECS" "$API/v1/paths/$PATH_ID" "${AUTH[@]}"
  BENCH_METHOD=POST BENCH_BODY=$LOGIN_BODY \
    wrk_run login_during_flood - "$FLOOD_CONNECTIONS" $((SECS + 3)) "$API/v1/auth/login" &
  flood=$!
  sleep 1.5
  BENCH_DELAY_MS=$PACED_DELAY_MS wrk_run read_during_flood - "$PACED_CONNECTIONS" "$SECS" "$API/v1/paths/$PATH_ID" "${AUTH[@]}"
  wait "$flood"
  sessions_round "" "$API" "$API_PID" "$DATABASE_URL" "$SESSIONS" "$TOKEN" "$MENTOR_TOKEN"
  if [ -n "$PG_API" ]; then
    sessions_round _pg "$PG_API" "$PG_API_PID" "$PG_URL" "$WORK/pg-sessions" "$PG_TOKEN" "$PG_MENTOR_TOKEN"
  fi
done

# --- Report. -----------------------------------------------------------------------------------
cat >"$RESULTS/settings.json" <<EOF
{
  "seconds_per_run": $SECS,
  "rounds": $ROUNDS,
  "connections": $CONNECTIONS,
  "login_connections": $LOGIN_CONNECTIONS,
  "flood_connections": $FLOOD_CONNECTIONS,
  "paced_connections": $PACED_CONNECTIONS,
  "paced_delay_ms": $PACED_DELAY_MS,
  "http_workers": $HTTP_WORKERS,
  "server_core": "${PIN_SERVER[*]:-unpinned}",
  "load_core": "${PIN_LOAD[*]:-unpinned}",
  "cores": $CORES,
  "cpu": "$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1 | tr -d '"\\')",
  "kernel": "$(uname -r)",
  "load_generator": "$(wrk -v 2>&1 | head -n 1 | cut -d' ' -f1-2)",
  "load_average_at_start": "$LOADAVG",
  "database": "sqlite (WAL, synchronous=FULL), fresh file${PG_URL:+; and PostgreSQL (local) for the _pg scenarios}"
}
EOF
"$BIN/mentorship-bench" report "$RESULTS" "$OUT.tmp"
mv "$OUT.tmp" "$OUT"
