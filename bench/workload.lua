-- One benchmark workload for wrk, configured through the environment:
--   BENCH_METHOD, BENCH_PATH   the request line
--   BENCH_BODY                 the body (may hold {item})
--   BENCH_HEADERS              "Name: value" lines separated by "|" (may hold {item})
--   BENCH_POOL                 a file with one item per line (tokens, codes)
--   BENCH_POOL_ONCE=1          each item may be used once (refresh tokens, codes)
--   BENCH_EXPECT               a string every 2xx body must contain
-- A request whose answer is not 2xx, or whose body lacks BENCH_EXPECT, is
-- counted; done() prints one line "BENCH_JSON {…}" for bench/run.sh.

local method = os.getenv("BENCH_METHOD") or "GET"
local path = os.getenv("BENCH_PATH") or "/"
local body = os.getenv("BENCH_BODY")
local header_spec = os.getenv("BENCH_HEADERS") or ""
local pool_file = os.getenv("BENCH_POOL")
local pool_once = os.getenv("BENCH_POOL_ONCE") == "1"
local expect = os.getenv("BENCH_EXPECT")

-- Per-thread counters: globals, so that done() can read them with get().
non2xx, mismatches, exhausted = 0, 0, 0
local pool, next_item, fixed = {}, 0, nil

local function fill(template, item)
  if template == nil then return nil end
  -- The function form keeps any "%" in the item literal.
  return (template:gsub("{item}", function() return item end))
end

local function request_for(item)
  local headers = {}
  for line in header_spec:gmatch("[^|]+") do
    local name, value = line:match("^%s*([^:]+):%s*(.*)$")
    headers[name] = fill(value, item)
  end
  return wrk.format(method, path, headers, fill(body, item))
end

function init(args)
  if pool_file and pool_file ~= "" then
    for line in io.lines(pool_file) do pool[#pool + 1] = line end
  end
  if #pool == 0 then fixed = request_for("") end
end

function request()
  if fixed then return fixed end
  next_item = next_item + 1
  if next_item > #pool then
    if pool_once then exhausted = 1 end
    next_item = 1
  end
  return request_for(pool[next_item])
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  elseif expect and not body:find(expect, 1, true) then
    mismatches = mismatches + 1
  end
end

local threads = {}

function setup(thread)
  threads[#threads + 1] = thread
end

function done(summary, latency, requests)
  local n, m, e = 0, 0, 0
  for _, thread in ipairs(threads) do
    n = n + thread:get("non2xx")
    m = m + thread:get("mismatches")
    e = math.max(e, thread:get("exhausted"))
  end
  local errors = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_s":%.3f,"rps":%.1f,"non2xx":%d,"mismatches":%d,' ..
    '"pool_exhausted":%d,"socket_errors":%d,"p50_ms":%.3f,"p99_ms":%.3f,"max_ms":%.3f}\n',
    summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6),
    n, m, e, errors.connect + errors.read + errors.write + errors.timeout,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000))
end
