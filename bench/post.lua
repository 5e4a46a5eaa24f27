-- wrk script of bench/bid_throughput.py: POSTs one bid request on keep-alive connections,
-- counts every response status, and prints one parseable result line when done.
--
-- Environment:
--   OPENBID_BENCH_BODY           file whose bytes are POSTed (required)
--   OPENBID_BENCH_MEAN_DELAY_MS  rate-limited mode: before each request a connection waits an
--                                exponentially distributed pause of this mean (milliseconds)
--
-- Result line (latencies in microseconds, statuses by code, socket errors by kind):
--   OPENBID_BENCH {"requests":N,"duration_us":N,"p50_us":N,...,"statuses":{"200":N},...}
--
-- Rate-limited mode is closed-loop per connection: a connection sends its next request only
-- after the previous answer plus the pause, so a stalled server slows the offered load down
-- (coordinated omission). The caller picks enough connections that the pauses dominate.

local body_path = assert(os.getenv("OPENBID_BENCH_BODY"), "OPENBID_BENCH_BODY is not set")
local file = assert(io.open(body_path, "rb"))
wrk.method = "POST"
wrk.body = file:read("*a")
file:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["x-openrtb-version"] = "2.6"

local mean_delay_ms = tonumber(os.getenv("OPENBID_BENCH_MEAN_DELAY_MS") or "")

if mean_delay_ms then
   -- wrk takes whole milliseconds: round an exponential sample up or down at random, in
   -- proportion to its fraction, so that the mean pause stays exactly mean_delay_ms.
   function delay()
      local pause = -mean_delay_ms * math.log(1 - math.random())
      local whole = math.floor(pause)
      if math.random() < pause - whole then
         whole = whole + 1
      end
      return whole
   end
end

local threads = {}

function setup(thread)
   table.insert(threads, thread)
   thread:set("thread_number", #threads)
end

function init(args)
   math.randomseed(os.time() * 100 + thread_number)
   statuses = {}
end

function response(status, headers, body)
   statuses[status] = (statuses[status] or 0) + 1
end

function done(summary, latency, requests)
   local counts = {}
   for _, thread in ipairs(threads) do
      for code, n in pairs(thread:get("statuses") or {}) do
         counts[code] = (counts[code] or 0) + n
      end
   end
   local parts = {}
   for code, n in pairs(counts) do
      parts[#parts + 1] = string.format('"%d":%d', code, n)
   end
   local errors = summary.errors
   io.write(string.format(
      'OPENBID_BENCH {"requests":%d,"duration_us":%d,"bytes":%d,'
         .. '"p50_us":%d,"p90_us":%d,"p99_us":%d,"p999_us":%d,"max_us":%d,"mean_us":%.1f,'
         .. '"statuses":{%s},'
         .. '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d}}\n',
      summary.requests, summary.duration, summary.bytes,
      latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency:percentile(99.9), latency.max, latency.mean,
      table.concat(parts, ","),
      errors.connect, errors.read, errors.write, errors.status, errors.timeout
   ))
end
