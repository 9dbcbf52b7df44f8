-- Admits one request into a rate class's budget, or says how long to wait. Atomic: Redis runs
-- one script at a time, and every process reads the same clock, Redis's.
-- KEYS: the window set (member "id:weight", scored by start ms), the lease set (member
--       "id:cost", scored by expiry ms), the pause key (until ms), the id counter, the waiters
--       (processes waiting for a lease to come back, scored by when they began to wait), the
--       epoch (which life of the books this is), the members (processes seen, by when).
-- ARGV: cost, weight, max in flight (-1: none), max cost in flight (-1: none), lease ms, this
--       process's name, the epoch it last saw ('' for none), then a span in ms and a ceiling
--       for each window.
-- Returns {code, value, epoch, processes, room}, room what each window can still admit across
-- the fleet (empty when the windows were not read): {1, id} when admitted; {0, ms} to wait that long,
-- {0, 0} to wait for a lease (the process joins the waiters, and a returned lease wakes the
-- first of them); {2, 0} when the books were lost since the process last saw them (a restart):
-- it puts its part back, then asks again. The first to find them lost pauses the class for a
-- second, so that the others can put theirs back before anything starts.
local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)

local cost, weight = tonumber(ARGV[1]), tonumber(ARGV[2])
local max_in_flight, max_cost = tonumber(ARGV[3]), tonumber(ARGV[4])
local lease_ms = tonumber(ARGV[5])
local waiter, seen = ARGV[6], ARGV[7]
local longest = lease_ms
for i = 8, #ARGV, 2 do
  longest = math.max(longest, tonumber(ARGV[i]))
end

-- Who shares the budget: every process that asked within three lease lifetimes.
redis.call('ZADD', KEYS[7], now, waiter)
redis.call('ZREMRANGEBYSCORE', KEYS[7], '-inf', now - 3 * lease_ms)
redis.call('PEXPIRE', KEYS[7], 3 * lease_ms)
local processes = redis.call('ZCARD', KEYS[7])

local epoch = redis.call('GET', KEYS[6])
if not epoch then
  epoch = now .. '-' .. waiter
  if seen ~= '' then
    -- The first process to find the books gone: nobody starts anything for a second, while
    -- every busy process puts its part back.
    redis.call('SET', KEYS[3], now + 1000, 'PX', 1000)
  end
end
redis.call('SET', KEYS[6], epoch, 'PX', 2 * longest)
if seen ~= '' and seen ~= epoch then
  return {2, 0, epoch, processes, {}}
end

-- What each window can still admit across the fleet, once the windows are read.
local room = {}
local function answer(code, value)
  return {code, value, epoch, processes, room}
end
local paused = tonumber(redis.call('GET', KEYS[3]) or '0')
if paused > now then
  return answer(0, paused - now)
end
local function wait_for_lease()
  redis.call('ZADD', KEYS[5], 'NX', now, waiter)
  redis.call('PEXPIRE', KEYS[5], 60000)
  return answer(0, 0)
end
local function amount(member)
  return tonumber(string.match(member, ':(%d+)$'))
end

-- Leases of processes that died expire here.
redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', now)
local leases = redis.call('ZRANGE', KEYS[2], 0, -1)
if max_in_flight >= 0 and #leases >= max_in_flight then
  return wait_for_lease()
end
if max_cost >= 0 then
  local held = 0
  for _, member in ipairs(leases) do
    held = held + amount(member)
  end
  if held + cost > max_cost then
    return wait_for_lease()
  end
end

-- Each window: if the request does not fit, wait until enough of the oldest starts roll off.
local wait = 0
for i = 8, #ARGV, 2 do
  local span, ceiling = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
  local inside = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. (now - span), '+inf', 'WITHSCORES')
  local used = 0
  for j = 1, #inside, 2 do
    used = used + amount(inside[j])
  end
  room[#room + 1] = math.max(ceiling - used, 0)
  for j = 1, #inside, 2 do
    if used + weight <= ceiling then
      break
    end
    used = used - amount(inside[j])
    if used + weight <= ceiling then
      wait = math.max(wait, tonumber(inside[j + 1]) + span - now)
    end
  end
end
if wait > 0 then
  return answer(0, wait)
end

for i = 1, #room do
  room[i] = math.max(room[i] - weight, 0)
end
redis.call('ZREM', KEYS[5], waiter)
local id = redis.call('INCR', KEYS[4])
redis.call('ZADD', KEYS[2], now + lease_ms, id .. ':' .. cost)
redis.call('PEXPIRE', KEYS[2], lease_ms)
redis.call('ZADD', KEYS[1], now, id .. ':' .. weight)
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - longest)
redis.call('PEXPIRE', KEYS[1], longest)
return answer(1, id)
