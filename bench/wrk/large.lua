-- large.lua -- the large-table cases of bench/run.sh (LARGE_ROWS items,
-- names "<adjective> <material> <object>" from the vocabulary of
-- bench/run.sh's reseed_large: any material with any object matches
-- 1% of the rows).  BENCH_LARGE_CASE picks the request:
--   get     GET /items/{id}, ids uniform in 1..BENCH_ROWS
--   id      GET /items?limit=20                   (keyset, by id)
--   price   GET /items?limit=20&sort=price
--   name    GET /items?limit=20&sort=-name
--   range   GET /items?limit=20&min_price=LO&max_price=LO+1
--   search  GET /items?q=<material>%20<object>&limit=20  (by rank)
--   attr    GET /items?attr.color=C&attr.shape=S&limit=20
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
local rows = tonumber(os.getenv("BENCH_ROWS") or "10000")
local case = os.getenv("BENCH_LARGE_CASE") or "get"
local materials = { "stoneware", "porcelain", "glass", "steel", "oak",
    "linen", "wool", "cotton", "copper", "ceramic" }
local objects = { "mug", "bowl", "plate", "vase", "lamp", "chair", "table",
    "towel", "blanket", "pan" }
local colors = { "red", "green", "blue", "black", "white" }
local shapes = { "round", "square", "oval" }
local pick = function(t) return t[math.random(1, #t)] end

request = function()
	if case == "get" then
		return wrk.format("GET", "/items/" .. math.random(1, rows))
	elseif case == "id" then
		return wrk.format("GET", "/items?limit=20")
	elseif case == "price" then
		return wrk.format("GET", "/items?limit=20&sort=price")
	elseif case == "name" then
		return wrk.format("GET", "/items?limit=20&sort=-name")
	elseif case == "range" then
		local lo = math.random(0, 998)
		return wrk.format("GET", "/items?limit=20&min_price=" .. lo ..
		    "&max_price=" .. (lo + 1))
	elseif case == "search" then
		return wrk.format("GET", "/items?limit=20&q=" .. pick(materials) ..
		    "%20" .. pick(objects))
	else
		return wrk.format("GET", "/items?limit=20&attr.color=" ..
		    pick(colors) .. "&attr.shape=" .. pick(shapes))
	end
end
