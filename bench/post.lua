-- wrk script: every request POSTs the JSON body given in $BENCH_BODY.
--   BENCH_BODY='{"username":"u","password":"p"}' wrk -s bench/post.lua URL
wrk.method = "POST"
wrk.body = assert(os.getenv("BENCH_BODY"), "bench/post.lua: BENCH_BODY is not set")
wrk.headers["Content-Type"] = "application/json"
