-- post.lua -- wrk script for the load tests: POST /items with a body
-- whose sku is unique per run, thread and request.
local tag = os.getenv("WRK_TAG") or tostring(os.time())
local n = 0
local counter = 0

function setup(thread)
	n = n + 1
	thread:set("tid", n)
end

function request()
	counter = counter + 1
	return wrk.format("POST", "/items",
	    { ["Content-Type"] = "application/json" },
	    '{"sku":"R-' .. tag .. '-' .. tid .. '-' .. counter ..
	    '","name":"rollout ' .. counter .. '","price":1.25}')
end
