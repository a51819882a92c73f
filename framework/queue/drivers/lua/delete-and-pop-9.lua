--[[
  Acknowledges one reservation and reserves the next jobs in the same round trip (BullMQ's
  moveToFinished): the cheapest loop for a busy worker.

  KEYS[1..9] as pop-9.lua

  ARGV[1] id of the finished job
  ARGV[2] its reservation token (a stale token deletes nothing)
  ARGV[3] max jobs to reserve next
  ARGV[4] retry_after in ms
  ARGV[5] nonce

  Returns pop-9.lua's reply, with the deleted flag (1/0) in front.
]]
--- @include "pop-jobs"

local deleted = 0
if redis.call('HGET', KEYS[7], ARGV[1]) == ARGV[2] then
  redis.call('ZREM', KEYS[3], ARGV[1])
  redis.call('HDEL', KEYS[7], ARGV[1])
  redis.call('HDEL', KEYS[5], ARGV[1])
  redis.call('HDEL', KEYS[6], ARGV[1])
  deleted = 1
end
local result = popJobs(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9],
  tonumber(ARGV[3]), tonumber(ARGV[4]), ARGV[5])
table.insert(result, 1, deleted)
return result
