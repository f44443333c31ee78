wrk.method = "POST"
wrk.body = string.rep("a", 1024)
