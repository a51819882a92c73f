--[[
  Acknowledges several reservations and reserves the next jobs in one round trip: a busy worker's
  finished jobs of one tick, each checked against its own token, and the jobs that take their slots.

  KEYS[1..9] as pop-9.lua

  ARGV[1] max jobs to reserve next
  ARGV[2] retry_after in ms
  ARGV[3] nonce
  ARGV[4], ARGV[5], ... pairs of (finished job id, its reservation token); a stale token deletes nothing

  Returns pop-9.lua's reply with, in front, one character per pair: '1' deleted, '0' token stale.
]]
--- @include "pop-jobs"

local flags = {}
for i = 4, #ARGV - 1, 2 do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[7], id) == ARGV[i + 1] then
    redis.call('ZREM', KEYS[3], id)
    redis.call('HDEL', KEYS[7], id)
    redis.call('HDEL', KEYS[5], id)
    redis.call('HDEL', KEYS[6], id)
    flags[#flags + 1] = '1'
  else
    flags[#flags + 1] = '0'
  end
end
local result = popJobs(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9],
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
table.insert(result, 1, table.concat(flags))
return result
