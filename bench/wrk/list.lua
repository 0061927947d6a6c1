-- GET /items?limit=20&min_price=LO&max_price=LO+100, LO random in 0..900.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
request = function() return req_list() end
