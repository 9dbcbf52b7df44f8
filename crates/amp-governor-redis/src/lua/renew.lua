-- Extends the life of leases whose requests are still in flight: each one still there expires
-- a lease lifetime from now. A lease that already expired is not brought back.
-- KEYS: the lease set. ARGV: lease ms, then the members ("id:cost").
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease_ms = tonumber(ARGV[1])
for i = 2, #ARGV do
  redis.call('ZADD', KEYS[1], 'XX', now + lease_ms, ARGV[i])
end
redis.call('PEXPIRE', KEYS[1], lease_ms)
return 1
