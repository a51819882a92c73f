--[[
  Deletes every job of a queue (waiting, delayed, reserved) with their bodies and bookkeeping.
  The id counter is kept, so job ids stay unique for the life of the queue, and so is the restart marker.

  KEYS[1] waiting list      queues:{q}
  KEYS[2] delayed set       queues:{q}:delayed
  KEYS[3] reserved set      queues:{q}:reserved
  KEYS[4] wake-up list      queues:{q}:notify
  KEYS[5] job bodies hash   queues:{q}:jobs
  KEYS[6] attempts hash     queues:{q}:attempts
  KEYS[7] tokens hash       queues:{q}:tokens

  Returns how many jobs were deleted.
]]
local count = redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3])
redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7])
return count
