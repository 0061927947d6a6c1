-- POST /items, a valid body with a sku unique per run, thread and request.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
request = function() return req_create() end
