-- wrk script for bench/ingest.py: unique response ids, realistic bodies, acks counted.
-- Environment: BENCH_PATH (the public key prefix), BENCH_SURVEY, BENCH_UPSERT_SECONDS
-- (after that many seconds only GET /healthz is sent, so no upsert is cut off mid-flight).
local counter = 0
local threads = {}

function setup(thread)
  thread:set("tid", counter)
  counter = counter + 1
  table.insert(threads, thread)
end

local prefixes = {"Search is slow", "Love the reports", "Pricing is steep", "Support was great",
                  "The export keeps failing", "Setup took ages", "Mobile app crashes"}
local plans = {"Free", "Starter", "Pro", "Enterprise"}

function init(args)
  n = 0
  created = 0
  updated = 0
  other = 0
  start = os.time()
  limit = tonumber(os.getenv("BENCH_UPSERT_SECONDS") or "0")
  base = os.getenv("BENCH_PATH")
  survey = os.getenv("BENCH_SURVEY")
  run = os.getenv("BENCH_RUN") or "r"
  math.randomseed(tid * 7919 + 17)
end

function request()
  if limit > 0 and os.time() - start >= limit then
    return wrk.format("GET", "/healthz")
  end
  n = n + 1
  local score = math.random(0, 10)
  local fid = score <= 6 and "improve" or (score <= 8 and "make_it_10" or "love")
  local text = prefixes[math.random(#prefixes)] .. " (" .. tid .. "-" .. n .. ")"
  local body = string.format(
    '{"survey":"%s","score":%d,"answers":{"%s":"%s"},"context":{"plan":"%s"},"respondent":{"id":"u-%d-%d"}}',
    survey, score, fid, text, plans[math.random(#plans)], tid, n % 500)
  local path = string.format("%s/responses/%s-%02d-%09d", base, run, tid, n)
  return wrk.format("PUT", path, {["Content-Type"] = "application/json"}, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  elseif status == 200 then
    updated = updated + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local acked, upd, bad = 0, 0, 0
  for _, t in ipairs(threads) do
    acked = acked + t:get("created")
    upd = upd + t:get("updated")
    bad = bad + t:get("other")
  end
  io.write(string.format(
    'WRK {"requests": %d, "duration_us": %d, "created": %d, "ok_other": %d, "errors": %d, ' ..
    '"socket_errors": %d, "p50_ms": %.2f, "p99_ms": %.2f}\n',
    summary.requests, summary.duration, acked, upd, bad + summary.errors.status,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000))
end
