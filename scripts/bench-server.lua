-- wrk script for scripts/bench-server.sh: every request is an idempotent submission with its own
-- Idempotency-Key (thread number + counter), as a phone's outbox would send it.
local counter = 0
local thread_id = 0
local threads = {}

function setup(thread)
  thread_id = thread_id + 1
  thread:set("tid", thread_id)
  table.insert(threads, thread)
end

function init(args)
  created = 0
  other = 0
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. os.getenv("HUOSHUI_BENCH_TOKEN")
  wrk.body = '{"product_id":"' .. os.getenv("HUOSHUI_BENCH_PRODUCT") .. '","amount_fen":1000000,"months":12}'
end

function request()
  counter = counter + 1
  wrk.headers["Idempotency-Key"] = "bench-" .. os.getenv("HUOSHUI_BENCH_RUN") .. "-" .. tid .. "-" .. counter
  return wrk.format()
end

function response(status, headers, body)
  if status == 201 then created = created + 1 else other = other + 1 end
end

function done(summary, latency, requests)
  local c, o = 0, 0
  for _, t in ipairs(threads) do
    c = c + t:get("created")
    o = o + t:get("other")
  end
  local secs = summary.duration / 1e6
  io.write(string.format("submissions created (201): %d, other answers: %d, socket errors: %d\n",
    c, o, summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout))
  io.write(string.format("submissions/s: %.0f\n", c / secs))
  for _, p in ipairs({50, 90, 99, 99.9}) do
    io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end
