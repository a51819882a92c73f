--[[
  Renews a lease: moves the reservation's expiry to now + retry_after, if the token still owns it.

  KEYS[1] reserved set      queues:{q}:reserved
  KEYS[2] tokens hash       queues:{q}:tokens

  ARGV[1] job id
  ARGV[2] reservation token
  ARGV[3] retry_after in ms

  Returns 1 when renewed, 0 when the reservation was lost (expired and handed out again, or cleared).
]]
--- @include "now"

if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZADD', KEYS[1], nowMs() + tonumber(ARGV[3]), ARGV[1])
return 1
