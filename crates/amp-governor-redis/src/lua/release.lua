-- Returns a lease, and counts its request in the windows from now, when its response arrived:
-- the server counts a request from its arrival, a little after its admission.
-- KEYS: the window set, the lease set. ARGV: id, cost, weight.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
redis.call('ZREM', KEYS[2], ARGV[1] .. ':' .. ARGV[2])
redis.call('ZADD', KEYS[1], 'XX', 'GT', now, ARGV[1] .. ':' .. ARGV[3])
return 1
