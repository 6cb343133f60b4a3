-- wrk script of `make bench`: the request to send, from the environment, and one line of JSON
-- written to $BENCH_OUT when the run is done (the shape `mentorship-bench report` reads).
--   BENCH_METHOD    GET (default) or POST
--   BENCH_BODY      a JSON body (sent with content-type application/json)
--   BENCH_DELAY_MS  pause before each request on each connection: a fixed, paced rate
--   BENCH_BODIES    a file of JSON bodies, one per line: each request POSTs the next one (for
--                   writes that must not repeat, such as bookings); run with one thread
--   BENCH_BODIES_FROM  the line to start at (0-based): where the previous run stopped
--   BENCH_OUT       where to write the result

local method = os.getenv("BENCH_METHOD")
if method and method ~= "" then
  wrk.method = method
end

local body = os.getenv("BENCH_BODY")
if body and body ~= "" then
  wrk.body = body
  wrk.headers["Content-Type"] = "application/json"
end

local bodies_file = os.getenv("BENCH_BODIES")
if bodies_file and bodies_file ~= "" then
  local bodies = {}
  for line in io.lines(bodies_file) do
    bodies[#bodies + 1] = line
  end
  local next_body = tonumber(os.getenv("BENCH_BODIES_FROM") or "0") + 1
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  function request()
    -- Past the last body the request has none, and its 4xx counts as an error of the run.
    local body = bodies[next_body]
    next_body = next_body + 1
    return wrk.format(nil, nil, nil, body)
  end
end

local pause = tonumber(os.getenv("BENCH_DELAY_MS") or "")
if pause and pause > 0 then
  function delay()
    return pause
  end
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  local e = summary.errors
  local out = assert(io.open(os.getenv("BENCH_OUT"), "w"))
  out:write(string.format(
    '{"requests": %d, "seconds": %.3f, "rps": %.1f, "p50_ms": %.3f, "p99_ms": %.3f, "errors": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    e.connect + e.read + e.write + e.status + e.timeout))
  out:close()
end
