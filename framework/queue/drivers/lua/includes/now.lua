-- The server's clock in milliseconds: every worker and producer agrees on it, whatever their own clocks say.
local function nowMs()
  local time = redis.call('TIME')
  return tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
end
