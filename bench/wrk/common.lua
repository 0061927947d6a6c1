-- common.lua -- loaded by every case script (dofile): per-thread ids and
-- random seeds, the request builders, and done(), which prints wrk's
-- figures as one JSON line prefixed "BENCH " for bench/run.sh.
--
-- Environment: BENCH_ROWS (ids 1..ROWS exist, default 10000),
-- BENCH_TAG (unique per wrk run: keeps created skus unique across runs).

local rows = tonumber(os.getenv("BENCH_ROWS") or "10000")
local tag = os.getenv("BENCH_TAG") or tostring(os.time())
local threads = {}
local nthreads = 0

function setup(thread)
	nthreads = nthreads + 1
	thread:set("tid", nthreads)
	table.insert(threads, thread)
end

local counter = 0
local json_hdr = { ["Content-Type"] = "application/json" }
-- Writes need a shop_admin token (bench/run.sh makes one: BENCH_TOKEN).
local token = os.getenv("BENCH_TOKEN")
if token and token ~= "" then
	json_hdr["Authorization"] = "Bearer " .. token
end

function init(args)
	math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
end

function req_get()
	return wrk.format("GET", "/items/" .. math.random(1, rows))
end

-- Prices are 0.00 .. 999.99, uniform: a 100-wide band holds ~1000 rows.
function req_list()
	local lo = math.random(0, 900)
	return wrk.format("GET", "/items?limit=20&min_price=" .. lo ..
	    "&max_price=" .. (lo + 100))
end

function req_create()
	counter = counter + 1
	local body = '{"sku":"W-' .. tag .. '-' .. tid .. '-' .. counter ..
	    '","name":"Bench item ' .. counter .. '","description":"made by wrk",' ..
	    '"price":' .. math.random(0, 99999) / 100 .. ',"stock":' ..
	    math.random(0, 500) .. ',"attributes":{"color":"blue","size":' ..
	    math.random(1, 50) .. '}}'
	return wrk.format("POST", "/items", json_hdr, body)
end

function req_patch()
	local body = '{"stock":' .. math.random(0, 500) .. ',"price":' ..
	    math.random(0, 99999) / 100 .. '}'
	return wrk.format("PATCH", "/items/" .. math.random(1, rows), json_hdr, body)
end

function done(summary, latency, requests)
	local e = summary.errors
	io.write(string.format('BENCH {"requests":%d,"duration_us":%d,' ..
	    '"bytes":%d,"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,' ..
	    '"mean_us":%.1f,"status_errors":%d,"socket_errors":%d,' ..
	    '"connect":%d,"read":%d,"write":%d,"timeout":%d}\n',
	    summary.requests, summary.duration, summary.bytes,
	    latency:percentile(50), latency:percentile(90),
	    latency:percentile(99), latency.max, latency.mean,
	    e.status, e.connect + e.read + e.write + e.timeout,
	    e.connect, e.read, e.write, e.timeout))
end
