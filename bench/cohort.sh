#!/usr/bin/env bash
# `make bench-cohort`: what enrolling a cohort of 500 students in one call costs, on SQLite and
# (with BENCH_POSTGRES_URL, a server to create a scratch database on) on PostgreSQL, against
# enrolling the same students one call each. Release build, one HTTP worker, the server pinned to
# one core and curl to the other. Prints, per database, the median time of a 500-student cohort,
# its cost per student, the median time of a single enrollment, and their ratio; writes
# bench/results/cohort.json. Settings: BENCH_ROUNDS=5 BENCH_SINGLES=100 BENCH_API_PORT=18191.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
CARGO=${CARGO:-cargo}
ROUNDS=${BENCH_ROUNDS:-5}
SINGLES=${BENCH_SINGLES:-100}
PORT=${BENCH_API_PORT:-18191}
TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
case $TARGET_DIR in /*) ;; *) TARGET_DIR=$ROOT/$TARGET_DIR ;; esac
BIN=$TARGET_DIR/release/mentorship
OUT=bench/results/cohort.json
say() { echo "bench-cohort: $*" >&2; }
die() { say "$*"; exit 1; }
command -v curl >/dev/null || die "needs curl"
PIN_SERVER=() PIN_LOAD=()
if (($(nproc) >= 2)) && command -v taskset >/dev/null; then
  PIN_SERVER=(taskset -c 0) PIN_LOAD=(taskset -c 1)
fi

say "building in release mode"
"$CARGO" build --release -q -p mentorship-api --bin mentorship

WORK=$(mktemp -d "${TMPDIR:-/tmp}/mentorship-cohort.XXXXXX")
SERVER=
PG_DB=
cleanup() {
  [ -z "$SERVER" ] || { kill "$SERVER" 2>/dev/null || true; wait "$SERVER" 2>/dev/null || true; }
  [ -z "$PG_DB" ] || psql "$BENCH_POSTGRES_URL" -q -c "DROP DATABASE IF EXISTS $PG_DB WITH (FORCE)" >/dev/null 2>&1 || true
  rm -rf "$WORK"
}
trap cleanup EXIT

export APP_ENV=development HTTP_WORKERS=1 LOG_FORMAT=json RUST_LOG=warn
export BOOTSTRAP_ADMIN_EMAIL=bench@example.com BOOTSTRAP_ADMIN_PASSWORD=bench-password-$RANDOM$RANDOM
JWT_SECRET=$(head -c 48 /dev/urandom | od -An -tx1 | tr -d ' \n')
export JWT_SECRET LOGIN_ATTEMPTS_PER_ACCOUNT=1000000 LOGIN_ATTEMPTS_PER_CLIENT=1000000
export ACCESS_TOKEN_TTL_SECONDS=3600 FILES_DIR=$WORK/files
export FILE_ENCRYPTION_KEY=$(head -c 32 /dev/urandom | base64)
API=http://127.0.0.1:$PORT/v1
json_field() { sed -n "s/.*\"$1\":\"\([^\"]*\)\".*/\1/p"; }
post() { "${PIN_LOAD[@]}" curl -fsS -X POST "$API$1" -H 'content-type: application/json' ${TOKEN:+-H "authorization: Bearer $TOKEN"} -d "$2"; }
# The seconds a POST of the body in file $2 takes; its answer is left in $WORK/answer.json.
timed() { "${PIN_LOAD[@]}" curl -fsS -o "$WORK/answer.json" -w '%{time_total}' -X POST "$API$1" -H 'content-type: application/json' -H "authorization: Bearer $TOKEN" --data-binary "@$2"; }
median() { sort -g | awk '{a[NR]=$1} END {print (NR % 2) ? a[(NR+1)/2] : (a[NR/2] + a[NR/2+1]) / 2}'; }
student() { printf '{"name":"Student %s","email":"%s@example.com","path_id":"%s","project_id":"%s","time_zone":"Europe/Paris","session_length":45}' "$1" "$1" "$PATH_ID" "$PROJECT_ID"; }

measure() {
  local name=$1 url=$2
  export DATABASE_URL=$url
  (cd "$WORK" && BIND_ADDR=127.0.0.1:$PORT exec "${PIN_SERVER[@]}" "$BIN" serve) >"$WORK/$name.log" 2>&1 &
  SERVER=$!
  for _ in $(seq 1 100); do curl -fs -o /dev/null "http://127.0.0.1:$PORT/health" && break; sleep 0.1; done
  TOKEN=
  TOKEN=$(post /auth/login "{\"email\":\"$BOOTSTRAP_ADMIN_EMAIL\",\"password\":\"$BOOTSTRAP_ADMIN_PASSWORD\"}" | json_field access_token)
  [ -n "$TOKEN" ] || die "$name: could not log in"
  PATH_ID=$(post /paths '{"title":"Cohort path","field":"bench","complexity":2}' | json_field id)
  PROJECT_ID=$(post "/paths/$PATH_ID/projects" '{"title":"First project","difficulty":1}' | json_field id)
  local batches=() singles=()
  for round in $(seq 0 "$ROUNDS"); do
    { printf '{"students":['
      for i in $(seq 1 500); do
        ((i > 1)) && printf ','
        student "$name-r$round-s$i"
      done
      printf ']}'; } >"$WORK/cohort.json"
    local took
    took=$(timed /students/batch "$WORK/cohort.json")
    grep -q '"enrolled":500,' "$WORK/answer.json" || die "$name: the cohort was not enrolled: $(head -c 300 "$WORK/answer.json")"
    ((round == 0)) || batches+=("$took") # round 0 warms the server up
  done
  for i in $(seq 1 "$SINGLES"); do
    student "$name-single-$i" >"$WORK/one.json"
    singles+=("$(timed /students "$WORK/one.json")")
  done
  kill "$SERVER"; wait "$SERVER" 2>/dev/null || true; SERVER=
  local batch single
  batch=$(printf '%s\n' "${batches[@]}" | median)
  single=$(printf '%s\n' "${singles[@]}" | median)
  awk -v n="$name" -v b="$batch" -v s="$single" 'BEGIN {
    printf "  \"%s\": {\"cohort_500_seconds\": %.3f, \"per_student_in_cohort_ms\": %.2f, \"single_enrollment_ms\": %.2f, \"single_over_cohort_per_student\": %.1f}",
      n, b, b * 2, s * 1000, (s * 1000) / (b * 2) }'
}

RESULTS=()
say "sqlite"
RESULTS+=("$(measure sqlite "sqlite://$WORK/cohort.db")")
if [ -n "${BENCH_POSTGRES_URL:-}" ]; then
  command -v psql >/dev/null || die "BENCH_POSTGRES_URL needs psql"
  PG_DB=mentorship_cohort_$$
  psql "$BENCH_POSTGRES_URL" -q -c "CREATE DATABASE $PG_DB" >/dev/null
  say "postgres"
  RESULTS+=("$(measure postgres "${BENCH_POSTGRES_URL%/*}/$PG_DB")")
fi
mkdir -p bench/results
{ echo "{"; (IFS=$',\n'; printf '%s\n' "${RESULTS[*]}"); echo "}"; } >"$OUT.tmp"
mv "$OUT.tmp" "$OUT"
cat "$OUT"
