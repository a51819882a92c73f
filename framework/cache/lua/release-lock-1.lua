--[[
  Releases a lock only when the caller owns it (Laravel's LuaScripts::releaseLock).

  KEYS[1] the lock key
  ARGV[1] the owner token of the caller

  Returns 1 when the lock was released, 0 when it is held by someone else or already gone.
]]
if redis.call('get', KEYS[1]) == ARGV[1] then
  return redis.call('del', KEYS[1])
end
return 0
