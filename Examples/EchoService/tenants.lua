-- 4 KiB POST bodies to /echo, each request for one of 8 tenants (X-Tenant), round robin.
wrk.method = "POST"
wrk.body = string.rep("allocshim ", 410):sub(1, 4096)
wrk.headers["Content-Type"] = "application/octet-stream"
local counter = 0
request = function()
  counter = counter + 1
  wrk.headers["X-Tenant"] = "tenant-" .. (counter % 8)
  return wrk.format()
end
