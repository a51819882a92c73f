--[[
  Ends a reservation and puts the job back, available now or after a delay. Attempts are kept.

  KEYS[1] reserved set      queues:{q}:reserved
  KEYS[2] tokens hash       queues:{q}:tokens
  KEYS[3] waiting list      queues:{q}
  KEYS[4] delayed set       queues:{q}:delayed
  KEYS[5] wake-up list      queues:{q}:notify

  ARGV[1] job id
  ARGV[2] reservation token
  ARGV[3] delay in ms (0 = now)

  Returns 1 when released, 0 when the token no longer owns the job.
]]
--- @include "now"
--- @include "sync-notify"

if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
local delay = tonumber(ARGV[3])
if delay > 0 then
  redis.call('ZADD', KEYS[4], nowMs() + delay, ARGV[1])
else
  redis.call('RPUSH', KEYS[3], ARGV[1])
  syncNotify(KEYS[5], KEYS[3])
end
return 1
