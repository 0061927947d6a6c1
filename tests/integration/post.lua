-- post.lua -- wrk script for the load tests: POST /items with a body
-- whose sku is unique per run, thread and request, as the admin
-- (ADMIN_TOKEN: tests/run-tests.sh logs in once per stack).
local auth = "Bearer " .. (os.getenv("ADMIN_TOKEN") or "")
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
	    { ["Content-Type"] = "application/json", ["Authorization"] = auth },
	    '{"sku":"R-' .. tag .. '-' .. tid .. '-' .. counter ..
	    '","name":"rollout ' .. counter .. '","price":1.25}')
end
