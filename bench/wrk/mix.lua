-- The mix: 80% reads (60% GET /items/{id}, 20% the filtered list),
-- 15% POST /items, 5% PATCH /items/{id} (stock and price).
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
request = function()
	local r = math.random(1, 100)
	if r <= 60 then return req_get()
	elseif r <= 80 then return req_list()
	elseif r <= 95 then return req_create()
	else return req_patch() end
end
