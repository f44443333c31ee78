-- 4 KiB POST bodies to /echo, shared allocator.
wrk.method = "POST"
wrk.body = string.rep("allocshim ", 410):sub(1, 4096)
wrk.headers["Content-Type"] = "application/octet-stream"
