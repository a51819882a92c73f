--[[
  Counts a queue's jobs: waiting + delayed + reserved, read at one instant.

  KEYS[1] waiting list      queues:{q}
  KEYS[2] delayed set       queues:{q}:delayed
  KEYS[3] reserved set      queues:{q}:reserved
]]
return redis.call('LLEN', KEYS[1]) + redis.call('ZCARD', KEYS[2]) + redis.call('ZCARD', KEYS[3])
