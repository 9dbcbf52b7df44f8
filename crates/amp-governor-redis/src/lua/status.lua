-- Reads a rate class's state without changing it.
-- KEYS: the window set, the lease set, the pause key.
-- ARGV: a span in ms and a ceiling for each window.
-- Returns {in flight, cost in flight, pause ms left, then what each window may still admit}.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local function amount(member)
  return tonumber(string.match(member, ':(%d+)$'))
end

local leases = redis.call('ZRANGEBYSCORE', KEYS[2], '(' .. now, '+inf')
local held = 0
for _, member in ipairs(leases) do
  held = held + amount(member)
end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
local answer = {#leases, held, math.max(paused - now, 0)}
for i = 1, #ARGV, 2 do
  local span, ceiling = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local used = 0
  for _, member in ipairs(redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - span), '+inf')) do
    used = used + amount(member)
  end
  answer[#answer + 1] = math.max(ceiling - used, 0)
end
return answer
