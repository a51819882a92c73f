--[[
  Withdraws jobs whose push was answered as failed although Redis may have run it (the connection closed
  before the reply came): finds them by their exact payload among the newest ids and removes those still
  waiting or delayed. Payloads carry a uuid, so a body matches one push only.

  KEYS[1] waiting list      queues:{q}
  KEYS[2] delayed set       queues:{q}:delayed
  KEYS[3] job bodies hash   queues:{q}:jobs
  KEYS[4] attempts hash     queues:{q}:attempts
  KEYS[5] id counter        queues:{q}:id

  ARGV[1] how many of the newest ids to look through
  ARGV[2..] payloads

  Returns {withdrawn, claimed}: claimed jobs were stored and are already reserved by a worker (they run).
  A payload found nowhere was never stored, or has already run and been acknowledged.
]]
local wanted, remaining = {}, #ARGV - 1
for i = 2, #ARGV do wanted[ARGV[i]] = true end

local last = tonumber(redis.call('GET', KEYS[5]) or '0')
local stop = math.max(0, last - tonumber(ARGV[1]))
local withdrawn, claimed = 0, 0
local id = last
while id > stop and remaining > 0 do
  local key = tostring(id)
  local body = redis.call('HGET', KEYS[3], key)
  if body and wanted[body] then
    wanted[body] = nil
    remaining = remaining - 1
    -- The job was pushed last before the outage: look for it from the tail.
    if redis.call('LREM', KEYS[1], -1, key) + redis.call('ZREM', KEYS[2], key) > 0 then
      redis.call('HDEL', KEYS[3], key)
      redis.call('HDEL', KEYS[4], key)
      withdrawn = withdrawn + 1
    else
      claimed = claimed + 1
    end
  end
  id = id - 1
end
return {withdrawn, claimed}
