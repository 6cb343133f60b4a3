#!/usr/bin/env bash
# The Python client check (`make client-python`): generates a client from the committed
# contract with openapi-python-client, checks walk.py on it with mypy --strict, then runs
# walk.py against a server on a fresh SQLite database with the demo data: login, apply,
# accept, read the mentor, list every path page by page.
# Settings: MENTORSHIP_BIN (default $CARGO_TARGET_DIR/debug/mentorship), VENV (default .venv-client).
set -euo pipefail
cd "$(dirname "$0")/../.."
source scripts/demo-server.sh

VENV="${VENV:-.venv-client}"
BIN="${MENTORSHIP_BIN:-${CARGO_TARGET_DIR:-target}/debug/mentorship}"
say() { echo "client-python: $*"; }

if [ ! -x "$VENV/bin/python" ]; then
  python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install --quiet --disable-pip-version-check -r clients/python/requirements.txt

WORK="$(mktemp -d "${TMPDIR:-/tmp}/mentorship-client.XXXXXX")"
cleanup() {
  stop_server
  rm -rf "$WORK"
}
trap cleanup EXIT

say "generating the client from openapi/openapi.json"
# The generator formats its output with ruff when it finds it; without it, it says so and
# goes on: the client is the same, only unformatted.
"$VENV/bin/openapi-python-client" generate --path openapi/openapi.json \
  --config clients/python/config.yaml --meta none \
  --output-path "$WORK/client/mentorship_api_client" >"$WORK/generate.txt" 2>&1 || {
  cat "$WORK/generate.txt"
  exit 1
}
say "mypy --strict on walk.py"
MYPYPATH="$WORK/client" "$VENV/bin/mypy" --strict --cache-dir "$WORK/mypy" clients/python/walk.py

mkdir -p "$WORK/server"
export DATABASE_URL="sqlite://$WORK/server/client.db" APP_ENV=development \
  DATA_DIR="$WORK/server/data" RUST_LOG=warn LOG_FORMAT=json HTTP_WORKERS=1 \
  JWT_SECRET="client-check-$(python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
start_demo_server "$BIN" "$WORK/server"
# seed-demo prints `<created|exists> <role> <email> password: <password>` per account.
read -r _ _ email _ password < <(grep ' admin .* password: ' "$WORK/server/seed.txt")
say "walking the program against $BASE_URL"
PYTHONPATH="$WORK/client" "$VENV/bin/python" clients/python/walk.py "$BASE_URL" "$email" "$password"
