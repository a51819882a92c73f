--- @include "now"
--- @include "sync-notify"
--- @include "restart-hold"

-- Moves up to 1000 members of sorted set `from` whose score is due to the end of the waiting list.
local function migrateDue(from, waiting, now, tokens)
  local ids = redis.call('ZRANGEBYSCORE', from, '-inf', now, 'LIMIT', 0, 1000)
  if #ids > 0 then
    redis.call('ZREM', from, unpack(ids))
    redis.call('RPUSH', waiting, unpack(ids))
    -- An expired reservation's token dies with it: its late worker can no longer ack or release.
    if tokens then redis.call('HDEL', tokens, unpack(ids)) end
  end
end

-- Reserves up to `max` waiting jobs after migrating due delayed jobs and expired reservations.
-- Keys in the order of pop-9.lua. Returns {msUntilNextDue or -1, id, body, attempts, token, ...}:
-- the next due time is the first delayed job's, or, when nothing was popped (the worker may go idle), the
-- earlier of that and the first reservation's expiry; while the queue is held after a restart, the hold's end.
local function popJobs(waiting, delayed, reserved, notify, jobs, attempts, tokens, idKey, boot, max, retryAfterMs, nonce)
  local now = nowMs()
  migrateDue(delayed, waiting, now, nil)
  migrateDue(reserved, waiting, now, tokens)
  local held = max > 0 and restartHold(boot, now) or 0
  if held > 0 then return {held} end

  local result = {-1}
  local ids = max > 0 and redis.call('LPOP', waiting, max)
  if ids then
    local expiry = now + retryAfterMs
    for i, id in ipairs(ids) do
      local body = redis.call('HGET', jobs, id)
      if not body then
        -- Not a Kiln job id (a value pushed onto the list by hand): it becomes the body of a new job,
        -- so the worker can fail it readably instead of it vanishing.
        body = id
        id = tostring(redis.call('INCR', idKey))
        redis.call('HSET', jobs, id, body)
      end
      local token = nonce .. '.' .. i
      result[#result + 1] = id
      result[#result + 1] = body
      result[#result + 1] = redis.call('HINCRBY', attempts, id, 1)
      result[#result + 1] = token
      redis.call('HSET', tokens, id, token)
      redis.call('ZADD', reserved, expiry, id)
    end
  end
  syncNotify(notify, waiting)

  local nextDue = redis.call('ZRANGE', delayed, 0, 0, 'WITHSCORES')[2]
  if #result == 1 then
    local expiry = redis.call('ZRANGE', reserved, 0, 0, 'WITHSCORES')[2]
    if expiry and (not nextDue or tonumber(expiry) < tonumber(nextDue)) then nextDue = expiry end
  end
  if nextDue then result[1] = math.max(0, tonumber(nextDue) - now) end
  return result
end
