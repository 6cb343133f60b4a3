#!/usr/bin/env bash
# Part of `make bench` (`make bench-statements` alone): issuing last month's statements for
# 1,000 mentors with 4 payable sessions each, over HTTP (one POST /v1/statements/issue-month)
# against the same work by the store without HTTP (`statements::issue_month`, the storage
# ceiling), each on a freshly seeded database, on SQLite and (with BENCH_POSTGRES_URL, a server
# to create scratch databases on) PostgreSQL. Release build, one HTTP worker, the server and the
# ceiling pinned to one core, curl to the other. Prints and writes bench/results/statements.json:
# the median seconds of each and their ratio (ceiling / API: 1.0 means HTTP adds nothing).
# Settings: BENCH_ROUNDS=3 BENCH_MENTORS=1000 BENCH_SESSIONS=4 BENCH_API_PORT=18192.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARGO=${CARGO:-cargo}
ROUNDS=${BENCH_ROUNDS:-3}
MENTORS=${BENCH_MENTORS:-1000}
SESSIONS=${BENCH_SESSIONS:-4}
PORT=${BENCH_API_PORT:-18192}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
BIN=$TARGET_DIR/release
OUT=bench/results/statements.json
say() { echo "bench-statements: $*" >&2; }
die() { say "$*"; exit 1; }
command -v curl >/dev/null || die "needs curl"
PIN_SERVER=() PIN_LOAD=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  PIN_SERVER=(taskset -c 0) PIN_LOAD=(taskset -c 1)
fi

say "building in release mode"
"$CARGO" build --release -q -p mentorship-api -p mentorship-bench --bins

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mentorship-statements.XXXXXX")
SERVER=
PG_DBS=()
cleanup() {
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  for db in "${PG_DBS[@]}"; do
    psql "$BENCH_POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
  done
  rm -rf "$WORK"
}
trap cleanup EXIT

export APP_ENV=development HTTP_WORKERS=1 LOG_FORMAT=json RUST_LOG=warn
export BOOTSTRAP_ADMIN_EMAIL=bench@example.com BOOTSTRAP_ADMIN_PASSWORD=bench-password-$RANDOM$RANDOM
JWT_SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
export JWT_SECRET ACCESS_TOKEN_TTL_SECONDS=3600 FILES_DIR=$WORK/files
export FILE_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
# The outbox worker would send the thousand "statement issued" emails while the call runs.
export OUTBOX_POLL_MS=86400000
API=http://127.0.0.1:$PORT/v1
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }

# Points DATABASE_URL at a fresh database of `kind` (sqlite or postgres) named $2.
fresh_db() {
  if [ "$1" = sqlite ]; then
    DATABASE_URL="sqlite://$WORK/$2.db"
  else
    local db=mentorship_statements_$$_$2
    psql "$BENCH_POSTGRES_URL" -q -c "CREATE DATABASE $db" >/dev/null
    PG_DBS+=("$db")
    DATABASE_URL="${BENCH_POSTGRES_URL%/*}/$db"
  fi
  export DATABASE_URL
}

# Starts the API on DATABASE_URL (which migrates it and makes the bootstrap admin).
serve() {
  (cd "$WORK" && BIND_ADDR=127.0.0.1:$PORT exec "${PIN_SERVER[@]}" "$BIN/mentorship" serve) >>"$WORK/server.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" && return; sleep 0.1; done
  die "the API did not start: $(tail -5 "$WORK/server.log")"
}
stop() { kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=; }

seed() { "$BIN/mentorship-bench" seed-statements --mentors "$MENTORS" --sessions "$SESSIONS"; }

MONTH=$("$BIN/mentorship-bench" last-month)

# One round on `kind`: the API's seconds, then the ceiling's, each on its own fresh database;
# appended to $WORK/<kind>.times.
round() {
  local kind=$1 n=$2 took answer issued
  fresh_db "$kind" "api_$n"
  serve
  seed
  local token
  token=$(curl -fsS -X POST "$API/auth/login" -H 'content-type: application/json' \
    -d "{\"email\":\"$BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$BOOTSTRAP_ADMIN_PASSWORD\"}" | json_field access_token)
  [ -n "$token" ] || die "$kind: could not log in"
  answer=$WORK/answer.json
  took=$("${PIN_LOAD[@]}" curl -fsS -o "$answer" -w '%{time_total}' -X POST "$API/statements/issue-month" \
    -H 'content-type: application/json' -H "authorization: Bearer $token" -d "{\"month\":\"$MONTH\"}")
  issued=$(grep -o '"outcome":"issued"' "$answer" | wc -l)
  ((issued == MENTORS)) || die "$kind: the API issued $issued statements, not $MENTORS"
  stop
  fresh_db "$kind" "storage_$n"
  serve
  stop
  seed
  local ceiling
  ceiling=$("${PIN_SERVER[@]}" "$BIN/mentorship-bench" storage issue-month)
  issued=$(echo "$ceiling" | sed -n 's/.*"issued": *\([0-9]*\).*/\1/p')
  ((issued == MENTORS)) || die "$kind: the store issued $issued statements, not $MENTORS"
  echo "$took $(echo "$ceiling" | sed -n 's/.*"seconds": *\([0-9.e-]*\).*/\1/p')" >>"$WORK/$kind.times"
}

# The medians of `kind`'s rounds, as one JSON member.
measure() {
  local kind=$1 api ceiling
  api=$(awk '{print $1}' "$WORK/$kind.times" | median)
  ceiling=$(awk '{print $2}' "$WORK/$kind.times" | median)
  awk -v k="$kind" -v a="$api" -v c="$ceiling" -v m="$MENTORS" -v s="$SESSIONS" 'BEGIN {
    printf "  \"%s\": {\"mentors\": %d, \"sessions_each\": %d, \"api_seconds\": %.3f, \"storage_seconds\": %.3f, \"ratio\": %.2f, \"per_statement_ms\": %.2f}",
      k, m, s, a, c, c / a, a * 1000 / m }'
}

KINDS=(sqlite)
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  command -v psql >/dev/null || die "BENCH_POSTGRES_URL needs psql"
  KINDS+=(postgres)
fi
for kind in "${KINDS[@]}"; do
  for n in $(seq 1 "$ROUNDS"); do
    say "$kind, round $n of $ROUNDS"
    round "$kind" "$n"
  done
done
RESULTS=()
for kind in "${KINDS[@]}"; do RESULTS+=("$(measure "$kind")"); done
mkdir -p bench/results
{ echo "{"; (IFS=$',\n'; printf '%s\n' "${RESULTS[*]}"); echo "}"; } >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
