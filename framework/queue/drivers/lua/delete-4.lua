--[[
  Acknowledges a reservation: removes the job for good, if the token still owns it.

  KEYS[1] reserved set      queues:{q}:reserved
  KEYS[2] tokens hash       queues:{q}:tokens
  KEYS[3] job bodies hash   queues:{q}:jobs
  KEYS[4] attempts hash     queues:{q}:attempts

  ARGV[1] job id
  ARGV[2] reservation token

  Returns 1 when deleted, 0 when the token no longer owns the job (expired and handed out again).
]]
if redis.call('HGET', KEYS[2], ARGV[1]) ~= ARGV[2] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
return 1
