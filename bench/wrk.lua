-- wrk script of the benchmark (bench/run.py), set by the environment:
--
--   (nothing)                         GET the URL (wrk's default request)
--   BENCH_WRK_POST_FILE=FILE          POST the prepared requests in FILE, each once per pass:
--   BENCH_WRK_THREADS=N               thread k takes requests k, k+N, k+2N, ... (all of
--                                     them when there are fewer than N)
--
-- FILE holds, for each request, a line "<Stripe-Signature> <body length in bytes>" followed by
-- the body and a newline. When posting, the answers are counted by status and body
-- ("200 processed", "200 duplicate", ...), and how often a thread ran out of requests and
-- started over. (Only then: reading every answer's body costs wrk time, which a GET run
-- should not pay on a machine it shares with the server.)
--
-- At the end one line "BENCH_JSON {...}" sums the run up for run.py (latencies in
-- microseconds).

local threads = {}

function setup(thread)
   thread:set("tid", #threads)
   table.insert(threads, thread)
end

local pool = nil
local next_index = 0
wraps = 0
answers = {}

local post_file = os.getenv("BENCH_WRK_POST_FILE")

function init(args)
   if post_file == nil or post_file == "" then
      return
   end
   local path, nthreads = post_file, tonumber(os.getenv("BENCH_WRK_THREADS"))
   local file = assert(io.open(path, "rb"))
   local all = {}
   while true do
      local header = file:read("*l")
      if not header then
         break
      end
      local signature, length = header:match("^(%S+) (%d+)$")
      assert(signature, "malformed request file " .. path)
      local body = file:read(tonumber(length))
      file:read(1) -- the newline after the body
      all[#all + 1] = wrk.format("POST", nil, {
         ["Host"] = wrk.headers["Host"],
         ["Content-Type"] = "application/json; charset=utf-8",
         ["Stripe-Signature"] = signature,
      }, body)
   end
   file:close()
   pool = {}
   for index, req in ipairs(all) do
      -- Fewer requests than threads (the duplicate): every thread sends them all.
      if #all < nthreads or (index - 1) % nthreads == tid then
         pool[#pool + 1] = req
      end
   end
   assert(#pool > 0, "no request for thread " .. tid .. " in " .. path)
end

if post_file ~= nil and post_file ~= "" then
   function request()
      next_index = next_index + 1
      if next_index > #pool then
         next_index = 1
         wraps = wraps + 1
      end
      return pool[next_index]
   end

   function response(status, headers, body)
      local key = tostring(status) .. " " .. string.sub(body or "", 1, 40)
      answers[key] = (answers[key] or 0) + 1
   end
end

local function json_string(text)
   return '"' .. text:gsub('[%c"\\]', function(c)
      return string.format("\\u%04x", c:byte())
   end) .. '"'
end

function done(summary, latency, requests)
   local counts = {}
   local total_wraps = 0
   for _, thread in ipairs(threads) do
      total_wraps = total_wraps + (thread:get("wraps") or 0)
      local thread_answers = thread:get("answers") or {}
      for key, count in pairs(thread_answers) do
         counts[key] = (counts[key] or 0) + count
      end
   end
   local parts = {}
   for key, count in pairs(counts) do
      parts[#parts + 1] = json_string(key) .. ":" .. count
   end
   local e = summary.errors
   io.write(string.format(
      'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,' ..
      '"errors":{"connect":%d,"read":%d,"write":%d,"status":%d,"timeout":%d},' ..
      '"latency_us":{"mean":%.1f,"p50":%d,"p90":%d,"p99":%d,"max":%d},' ..
      '"wraps":%d,"answers":{%s}}\n',
      summary.requests, summary.duration, summary.bytes,
      e.connect, e.read, e.write, e.status, e.timeout,
      latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(99),
      latency.max, total_wraps, table.concat(parts, ",")))
end
