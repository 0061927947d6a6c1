-- tfb.lua -- bench/tfb.sh's requests: GET of the URL wrk is given (one
-- test type's path and query), and common.lua's done() for the figures.
local dir = os.getenv("BENCH_WRK_DIR") or "bench/wrk"
dofile(dir .. "/common.lua")
