-- Keeps the wake-up list at one entry per waiting job (at most 100): a worker blocked on it (BLPOP)
-- wakes when work exists and sleeps on the server when none does. A woken worker consumes an entry;
-- the next pop puts the count right again, so the list never drifts. `waitingLength`, when the caller
-- already knows it (the reply of its RPUSH), spares the LLEN of the waiting list.
local function syncNotify(notify, waiting, waitingLength)
  local want = math.min(waitingLength or redis.call('LLEN', waiting), 100)
  local have = redis.call('LLEN', notify)
  if have > want then
    if want == 0 then
      redis.call('DEL', notify)
    else
      redis.call('LTRIM', notify, 0, want - 1)
    end
  elseif have < want then
    local entries = {}
    for i = 1, want - have do entries[i] = '1' end
    redis.call('RPUSH', notify, unpack(entries))
  end
end
