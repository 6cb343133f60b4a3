# Shell functions shared by the checks that run against a live server on demo data
# (fuzz/fuzz-api.sh, clients/python/check.sh). Source it; it defines:
#   free_port                 print a free TCP port on 127.0.0.1
#   start_demo_server BIN DIR seed the demo data (DATABASE_URL and the rest from the caller's
#                             environment) into DIR/seed.txt, serve on a free port, wait until
#                             ready; sets SERVER_PID and BASE_URL, returns 1 (the log shown) if
#                             the server does not become ready
#   stop_server               stop the server started, if any
#   login BASE EMAIL PASSWORD [FIELD]
#                             print the access token of a login (or another FIELD of its answer)

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

SERVER_PID=""
BASE_URL=""

start_demo_server() {
  local bin="$1" dir="$2"
  "$bin" seed-demo >"$dir/seed.txt"
  local port
  port="$(free_port)"
  BASE_URL="http://127.0.0.1:$port"
  BIND_ADDR="127.0.0.1:$port" "$bin" serve >"$dir/server.log" 2>&1 &
  SERVER_PID=$!
  for _ in $(seq 1 100); do
    if curl -sf "$BASE_URL/ready" >/dev/null 2>&1; then return 0; fi
    if ! kill -0 "$SERVER_PID" 2>/dev/null; then break; fi
    sleep 0.1
  done
  echo "the server did not become ready:"
  cat "$dir/server.log"
  return 1
}

stop_server() {
  if [ -n "$SERVER_PID" ]; then
    kill "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
    SERVER_PID=""
  fi
}

login() {
  local base="$1" email="$2" password="$3" field="${4:-access_token}"
  curl -sS --fail-with-body -X POST "$base/v1/auth/login" \
    -H 'content-type: application/json' \
    -d "{\"email\": \"$email\", \"password\": \"$password\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)[sys.argv[1]])' "$field"
}
