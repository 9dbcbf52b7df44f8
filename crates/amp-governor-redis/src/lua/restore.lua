-- Puts back one process's part of a rate class's books after Redis lost them (a restart): its
-- requests started within the longest window, at the times they started, and its leases still
-- held, for another lease lifetime.
-- KEYS: the window set, the lease set.
-- ARGV: lease ms, the process's name, the number S of starts, S pairs (ms ago, weight), then
--       the leases ("id:cost").
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local lease_ms, name, starts = tonumber(ARGV[1]), ARGV[2], tonumber(ARGV[3])
for i = 0, starts - 1 do
  local ago, weight = tonumber(ARGV[4 + 2 * i]), ARGV[5 + 2 * i]
  redis.call('ZADD', KEYS[1], now - ago, name .. '/r' .. i .. ':' .. weight)
end
for i = 4 + 2 * starts, #ARGV do
  redis.call('ZADD', KEYS[2], now + lease_ms, name .. '/' .. ARGV[i])
end
-- Admissions set the exact lifetimes; an hour bounds keys no admission touches again.
redis.call('PEXPIRE', KEYS[1], 3600000, 'NX')
redis.call('PEXPIRE', KEYS[2], lease_ms, 'NX')
return 1
