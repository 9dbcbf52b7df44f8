-- Returns a lease, and counts its request in the windows from now, when its response arrived:
-- the server counts a request from its arrival, a little after its admission. Then wakes the
-- process that has waited longest for a lease of the class to come back, if one does.
-- KEYS: the window set, the lease set, the waiters.
-- ARGV: id, cost, weight, the prefix of the waiters' channels, the class, the process's name
--       (a lease put back after a restart is "name/id:cost").
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. ARGV[2], ARGV[6] .. '/' .. ARGV[1] .. ':' .. ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', 'GT', now, ARGV[1] .. ':' .. ARGV[3])
local first = redis.call('ZPOPMIN', KEYS[3])
if first[1] then
  redis.call('PUBLISH', ARGV[4] .. first[1], ARGV[5])
end
return 1
