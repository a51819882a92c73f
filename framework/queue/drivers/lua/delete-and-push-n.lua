--[[
  Acknowledges a reservation and stores follow-up jobs (a chain's next link, a batch's callbacks) in one
  atomic step: both happen, or, when the token no longer owns the job, neither.

  The number of keys varies (the caller passes it first): 4 keys of the job's queue, then 5 per queue
  the follow-ups go to.
  KEYS[1] reserved set      queues:{q}:reserved
  KEYS[2] tokens hash       queues:{q}:tokens
  KEYS[3] job bodies hash   queues:{q}:jobs
  KEYS[4] attempts hash     queues:{q}:attempts
  KEYS[5 + 5(t-1) ..]       target queue t: waiting list, delayed set, wake-up list, job bodies hash,
                            id counter (as push-5.lua)

  ARGV[1] job id
  ARGV[2] reservation token
  ARGV[3..] per follow-up, three values: target number t (1-based), delay in ms (0 = now), payload

  Returns {1, id, id, ...} (the follow-ups' ids, in order) when deleted, {0} when the token no longer
  owns the job (expired and handed out again): nothing is stored then.
]]
--- @include "now"
--- @include "sync-notify"

if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return {0} end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])

local result = {1}
local woken = {}
local now = nil
for i = 3, #ARGV, 3 do
  local base = 4 + (tonumber(ARGV[i]) - 1) * 5
  local waiting, delayed, jobs, idKey = KEYS[base + 1], KEYS[base + 2], KEYS[base + 4], KEYS[base + 5]
  local delay = tonumber(ARGV[i + 1])
  local id = tostring(redis.call('INCR', idKey))
  redis.call('HSET', jobs, id, ARGV[i + 2])
  if delay > 0 then
    now = now or nowMs()
    redis.call('ZADD', delayed, now + delay, id)
  else
    redis.call('RPUSH', waiting, id)
    woken[base] = true
  end
  result[#result + 1] = id
end
for base in pairs(woken) do syncNotify(KEYS[base + 3], KEYS[base + 1]) end
return result
