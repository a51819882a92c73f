--[[
  Stores jobs and makes them available now (waiting list + a wake-up entry) or later (delayed set).

  KEYS[1] waiting list      queues:{q}
  KEYS[2] delayed set       queues:{q}:delayed     (score: available at, server ms)
  KEYS[3] wake-up list      queues:{q}:notify
  KEYS[4] job bodies hash   queues:{q}:jobs        (id -> payload)
  KEYS[5] id counter        queues:{q}:id

  ARGV[1] delay in ms (0 = now)
  ARGV[2..] payloads

  Returns the id of the last job; the ids are consecutive.
]]
--- @include "now"
--- @include "sync-notify"

local delay = tonumber(ARGV[1])
local count = #ARGV - 1
local last = redis.call('INCRBY', KEYS[5], count)
local availableAt = delay > 0 and nowMs() + delay or nil

-- One job (a dispatch awaited on its own): no tables to build and unpack.
if count == 1 then
  redis.call('HSET', KEYS[4], last, ARGV[2])
  if availableAt then
    redis.call('ZADD', KEYS[2], availableAt, last)
  else
    syncNotify(KEYS[3], KEYS[1], redis.call('RPUSH', KEYS[1], last))
  end
  return last
end

local first = last - count + 1
-- In chunks, so unpack() stays well inside Lua's stack limit for large bulks.
local chunk = 500
local waitingLength
for start = 0, count - 1, chunk do
  local bodies, members = {}, {}
  for i = start, math.min(start + chunk, count) - 1 do
    local id = tostring(first + i)
    bodies[#bodies + 1] = id
    bodies[#bodies + 1] = ARGV[i + 2]
    if availableAt then members[#members + 1] = availableAt end
    members[#members + 1] = id
  end
  redis.call('HSET', KEYS[4], unpack(bodies))
  if availableAt then
    redis.call('ZADD', KEYS[2], unpack(members))
  else
    waitingLength = redis.call('RPUSH', KEYS[1], unpack(members))
  end
end
-- RPUSH replied with the waiting list's length: no LLEN needed to size the wake-up list.
if not availableAt then syncNotify(KEYS[3], KEYS[1], waitingLength) end
return last
