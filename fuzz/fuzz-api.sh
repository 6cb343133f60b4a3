#!/usr/bin/env bash
# Contract fuzzing (`make fuzz-api`): serves the API on a fresh database seeded by
# `mentorship seed-demo`, its emails sent to a mailbox (fuzz/mailbox.py), then runs schemathesis
# against the committed openapi/openapi.json as two onboarding mentors on their own record, as no
# one, then as the demo student, mentor, manager and admin, each with the objects it sees and the
# secrets it holds as dictionaries (fuzz/dictionaries.py), and last follows the emailed links.
# SQLite always; PostgreSQL too when
# FUZZ_POSTGRES_URL names a server (a database there to connect to, e.g.
# postgres://postgres@127.0.0.1:5432/postgres): a fresh database is created on it and dropped.
# Exits non-zero when any run has a failure.
#
# Settings: FUZZ_SEED (fixed by default, so a run is reproducible), FUZZ_MAX_EXAMPLES (cases per
# operation and phase), FUZZ_WORKERS, FUZZ_CONTRACT (default openapi/openapi.json), MENTORSHIP_BIN
# (default $CARGO_TARGET_DIR/debug/mentorship, which `make fuzz-api` builds first), VENV.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/demo-server.sh

SEED="${FUZZ_SEED:-20240611}"
MAX_EXAMPLES="${FUZZ_MAX_EXAMPLES:-15}"
WORKERS="${FUZZ_WORKERS:-2}"
VENV="${VENV:-.venv}"
BIN="${MENTORSHIP_BIN:-${CARGO_TARGET_DIR:-target}/debug/mentorship}"
CONTRACT="${FUZZ_CONTRACT:-openapi/openapi.json}"

say() { echo "fuzz-api: $*"; }

# The fuzzer, pinned (with everything it pulls in) in fuzz/requirements.txt.
if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r fuzz/requirements.txt
say "$("$VENV/bin/schemathesis" --version)"

if [ ! -x "$BIN" ]; then
  say "no binary at $BIN: build it first (make fuzz-api does), or set MENTORSHIP_BIN"
  exit 2
fi

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mentorship-fuzz.XXXXXX")"
PG_ADMIN_URL=""
PG_DB=""

drop_pg_db() {
  if [ -n "$PG_DB" ]; then
    psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "DROP DATABASE IF EXISTS \"$PG_DB\" WITH (FORCE)" >/dev/null || true
    PG_DB=""
  fi
}

MAILBOX_PID=""
stop_mailbox() {
  if [ -n "$MAILBOX_PID" ]; then
    kill "$MAILBOX_PID" 2>/dev/null || true
    wait "$MAILBOX_PID" 2>/dev/null || true
    MAILBOX_PID=""
  fi
}

cleanup() {
  stop_server
  stop_mailbox
  drop_pg_db
  rm -rf "$WORK"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

RESULTS=()
FAILED=0

# Mentors of the demo program still onboarding (README, "The demo program"), who fuzz the
# operations on their own record: one sending documents, one whose contract is ready to sign.
ONBOARDING=(jules.mercier@example.com karine.blanc@example.com)

# fuzz_as LABEL DIR BASE WHO TOKEN EMAIL PASSWORD [FILTER...]: one schemathesis run as one
# identity, signed in with TOKEN; EMAIL and PASSWORD are its login ("" for no one).
fuzz_as() {
  local label="$1" dir="$2" base="$3" who="$4" token="$5" email="$6" password="$7"
  shift 7
  local auth=()
  if [ -n "$token" ]; then auth=(-H "Authorization: Bearer $token"); fi
  say "[$label] schemathesis as $who"
  # The fuzzer's settings, with the objects the caller sees as dictionaries, so that operations
  # on an object reach real ones as well as missing ones; and the caller's secrets, as a person
  # knows them: their password, and the refresh token of a login of their own (not the run's,
  # which a refresh would end).
  local config="$dir/schemathesis-$who.toml" refresh=""
  cp fuzz/schemathesis.toml "$config"
  if [ -n "$password" ]; then
    refresh="$(login "$base" "$email" "$password" refresh_token 2>/dev/null)" || refresh=""
  fi
  FUZZ_PASSWORD="$password" FUZZ_REFRESH_TOKEN="$refresh" \
    python3 fuzz/dictionaries.py "$CONTRACT" "$base" "$token" 2>&1 >>"$config" | sed "s/^/  /"
  local status=0
  # The fuzzer's Python loads fuzz/pyhooks/sitecustomize.py: a workaround for a CPython 3.11
  # bug that crashed Hypothesis itself (see that file).
  PYTHONPATH="$PWD/fuzz/pyhooks${PYTHONPATH:+:$PYTHONPATH}" \
    "$VENV/bin/schemathesis" --config-file "$config" run "$CONTRACT" \
    --url "$base" "${auth[@]}" "$@" \
    --seed "$SEED" --max-examples "$MAX_EXAMPLES" --workers "$WORKERS" \
    --checks all \
    --report junit --report-junit-path "$dir/junit-$who.xml" \
    --no-color >"$dir/schemathesis-$who.txt" 2>&1 || status=$?
  # Warnings (operations that only ever answered 401/403 or 404, for instance) do not fail a
  # run, but say where the fuzzing did not reach.
  local warnings
  warnings="$(sed -n '/=== WARNINGS ===/,/^=\+ .* in [0-9.]\+s =\+$/p' "$dir/schemathesis-$who.txt")"
  if [ -z "$warnings" ]; then warnings="$(tail -n 1 "$dir/schemathesis-$who.txt")"; fi
  echo "$warnings" | sed "s/^/  /"
  if [ "$status" -ne 0 ]; then
    FAILED=1
    RESULTS+=("$label $who: FAILED (exit $status)")
    say "[$label] schemathesis as $who failed; its report:"
    cat "$dir/schemathesis-$who.txt"
  else
    RESULTS+=("$label $who: passed")
  fi
}

# fuzz_database LABEL DATABASE_URL: one server, every identity.
fuzz_database() {
  local label="$1" url="$2"
  local dir="$WORK/$label"
  mkdir -p "$dir"
  # Throttling raised: the fuzzer logs in and sends bad logins far faster than a person would.
  # Logs quiet: only warnings and errors, kept in a file and shown if something fails.
  export DATABASE_URL="$url" APP_ENV=development DATA_DIR="$dir/data" \
    JWT_SECRET="fuzz-secret-$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')" \
    LOGIN_ATTEMPTS_PER_ACCOUNT=1000000 LOGIN_ATTEMPTS_PER_CLIENT=1000000 \
    ACCESS_TOKEN_TTL_SECONDS=3600 RUST_LOG=warn LOG_FORMAT=json HTTP_WORKERS=2

  # The server's emails go to a mailbox (fuzz/mailbox.py), where the runs find the one-time
  # links a person would receive.
  local mail_port
  mail_port="$(free_port)"
  python3 fuzz/mailbox.py "$mail_port" "$dir/mailbox.txt" &
  MAILBOX_PID=$!
  export SMTP_URL="smtp://127.0.0.1:$mail_port" FUZZ_MAILBOX="$dir/mailbox.txt"

  say "[$label] seeding the demo data"
  if ! start_demo_server "$BIN" "$dir"; then
    return 1
  fi
  local base="$BASE_URL"

  # Every identity logs in before any fuzzing: the admin's run may edit the others' accounts.
  # seed-demo prints `<created|exists> <role> <email> password: <password>` per account.
  local identities=(anonymous) tokens=("") passwords=("") emails=("")
  local role email password i
  while read -r _ role email _ password; do
    identities+=("$role")
    tokens+=("$(login "$base" "$email" "$password")")
    passwords+=("$password")
    emails+=("$email")
  done < <(grep ' password: ' "$dir/seed.txt" | tac)
  # A calendar feed's token, which only its URL holds: the demo student's feed, made now and
  # fetched by the runs before the student's own (which rotates it).
  for i in "${!identities[@]}"; do
    if [ "${identities[$i]}" = student ]; then
      FUZZ_FEED_TOKEN="$(curl -sS --fail-with-body -X POST "$base/v1/me/calendar-feed" \
        -H "authorization: Bearer ${tokens[$i]}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["url"].rsplit("/", 1)[-1])')"
      export FUZZ_FEED_TOKEN
    fi
  done
  # The onboarding mentors sign in with the password of every other person of the program,
  # which seed-demo prints between backticks.
  local others_password
  others_password="$(sed -n 's/^others .*`\(.*\)`.*/\1/p' "$dir/seed.txt")"
  local onboarding=()
  for email in "${ONBOARDING[@]}"; do
    onboarding+=("$(login "$base" "$email" "$others_password")")
  done


  # The operations that end sessions for good: another identity's (an admin erasing a seeded
  # person, with the users list to find real ones), then the caller's own (every token of the
  # account: logging out everywhere, then, on a new login, changing the password). Each in a
  # run of its own after every identity's main run, so that they do not cut a main run short,
  # and the erasure before the caller's own logout (or it answers only 401). The logout and
  # password runs have no stateful phase: no link leads to them.
  local erasing=(--include-operation-id erase_person --include-operation-id list_users)
  local ending=(--include-operation-id logout_all --phases examples,coverage,fuzzing)
  local changing=(--include-operation-id change_password --phases examples,coverage,fuzzing)
  local rest=(--exclude-operation-id logout_all --exclude-operation-id change_password
    --exclude-operation-id erase_person)
  # An onboarding mentor's run: their account and the operations it links to, those on their
  # own record (documents, contract), but their edits: a mentor renamed by the fuzzer no longer
  # signs with the name the run knows. The mentor's and student's runs fuzz those edits.
  local own=(--include-operation-id me)
  local operation
  for operation in $(python3 -c 'import json, sys
links = json.load(open(sys.argv[1]))["paths"]["/v1/me"]["get"]["responses"]["200"]["links"]
print(" ".join(link["operationId"] for link in links.values()
               if link["operationId"] not in ("update_user", "update_mentor")))' "$CONTRACT"); do
    own+=(--include-operation-id "$operation")
  done
  # The onboarding mentors first: the staff's runs may review, reject or offboard them.
  for i in "${!ONBOARDING[@]}"; do
    fuzz_as "$label" "$dir" "$base" "onboarding-$((i + 1))" "${onboarding[$i]}" \
      "${ONBOARDING[$i]}" "$others_password" "${own[@]}"
  done
  for i in "${!identities[@]}"; do
    fuzz_as "$label" "$dir" "$base" "${identities[$i]}" "${tokens[$i]}" "${emails[$i]}" \
      "${passwords[$i]}" "${rest[@]}"
  done
  for i in "${!identities[@]}"; do
    fuzz_as "$label" "$dir" "$base" "${identities[$i]}-erasing" "${tokens[$i]}" \
      "${emails[$i]}" "${passwords[$i]}" "${erasing[@]}"
  done
  local again
  for i in "${!identities[@]}"; do
    fuzz_as "$label" "$dir" "$base" "${identities[$i]}-ending" "${tokens[$i]}" \
      "${emails[$i]}" "${passwords[$i]}" "${ending[@]}"
    again=""
    if [ -n "${passwords[$i]}" ]; then
      again="$(login "$base" "${emails[$i]}" "${passwords[$i]}" 2>/dev/null || true)"
    fi
    if [ -n "$again" ]; then
      fuzz_as "$label" "$dir" "$base" "${identities[$i]}-password" "$again" \
        "${emails[$i]}" "${passwords[$i]}" "${changing[@]}"
    fi
  done
  # The one-time links emailed meanwhile (invitations of the people the runs made, password
  # resets they asked for), followed by no one signed in, last: a reset ends the person's
  # sessions, which the runs above sign in with.
  fuzz_as "$label" "$dir" "$base" anonymous-mail "" "" "" \
    --include-operation-id accept_invitation --include-operation-id confirm_password_reset \
    --phases examples,coverage,fuzzing
  # Which operations the runs reached with a success, counted by the server itself.
  curl -sf "$base/metrics" >"$dir/metrics.txt" || true
  python3 fuzz/coverage.py "$CONTRACT" "$dir/metrics.txt" >"$dir/coverage.txt"
  say "[$label] $(head -n 1 "$dir/coverage.txt")"
  tail -n +2 "$dir/coverage.txt"
  stop_server
  stop_mailbox
  # Requests the HTTP parser refuses (a NUL byte in a header) are logged by actix as errors; the
  # fuzzer sends them on purpose. Any other error line is worth a look.
  local errors
  errors="$(grep '"level":"ERROR"' "$dir/server.log" | grep -v 'request parse error' || true)"
  if [ -n "$errors" ]; then
    say "[$label] the server logged errors:"
    echo "$errors" | head -n 20
  fi
}

fuzz_database sqlite "sqlite://$WORK/sqlite/mentorship.db"

if [ -n "${FUZZ_POSTGRES_URL:-}" ]; then
  PG_ADMIN_URL="$FUZZ_POSTGRES_URL"
  PG_DB="mentorship_fuzz_$$_$(date +%s)"
  psql "$PG_ADMIN_URL" -q -v ON_ERROR_STOP=1 -c "CREATE DATABASE \"$PG_DB\"" >/dev/null
  fuzz_database postgres "${PG_ADMIN_URL%/*}/$PG_DB"
  drop_pg_db
else
  say "PostgreSQL skipped: set FUZZ_POSTGRES_URL (e.g. postgres://postgres@127.0.0.1:5432/postgres)"
fi

say "summary (seed $SEED, at most $MAX_EXAMPLES cases per operation and phase):"
for line in "${RESULTS[@]}"; do echo "  $line"; done
exit "$FAILED"
