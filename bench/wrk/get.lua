-- GET /items/{id}, ids uniformly random in 1..BENCH_ROWS.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
request = function() return req_get() end
