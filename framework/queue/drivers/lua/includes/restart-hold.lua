-- After Redis restarts, a producer may still have to withdraw jobs whose push it answered as failed (the
-- reply was lost in the shutdown: see in-doubt-pushes.ts). Workers hold off a queue that was in use
-- before the restart for HOLD_MS from the first pop, so the producer's withdrawal, sent as it reconnects,
-- comes first. A start is told by LASTSAVE (reset at every start; RDB saves move it too), confirmed by the
-- server's run_id, so INFO runs only when LASTSAVE changed. LASTSAVE counts whole seconds: a server
-- restarted within the second its predecessor started (one that ran for under a second) is not noticed.
local HOLD_MS = 2000
-- A server up for longer than this has long let every producer reconnect: no hold.
local RECENT_START_S = 60

-- Milliseconds the queue whose restart marker hash is `boot` is still held (0: not held).
local function restartHold(boot, now)
  local stamp = tostring(redis.call('LASTSAVE'))
  local known = redis.call('HMGET', boot, 'lastsave', 'hold_until')
  local holdUntil = tonumber(known[2]) or 0
  if stamp ~= known[1] then
    local info = redis.call('INFO', 'server')
    local runId = string.match(info, 'run_id:(%w+)')
    local uptime = tonumber(string.match(info, 'uptime_in_seconds:(%d+)'))
    local previous = redis.call('HGET', boot, 'run_id')
    if previous and previous ~= runId and uptime < RECENT_START_S then holdUntil = now + HOLD_MS end
    redis.call('HSET', boot, 'lastsave', stamp, 'run_id', runId, 'hold_until', holdUntil)
  end
  return math.max(0, holdUntil - now)
end
