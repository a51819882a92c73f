--[[
  Reserves up to ARGV[1] jobs: migrates due delayed jobs and expired reservations to the waiting list,
  pops, increments attempts and records a reservation (token + expiry).

  KEYS[1] waiting list      queues:{q}
  KEYS[2] delayed set       queues:{q}:delayed     (score: available at, server ms)
  KEYS[3] reserved set      queues:{q}:reserved    (score: reservation expiry, server ms)
  KEYS[4] wake-up list      queues:{q}:notify
  KEYS[5] job bodies hash   queues:{q}:jobs
  KEYS[6] attempts hash     queues:{q}:attempts
  KEYS[7] tokens hash       queues:{q}:tokens      (id -> token of its live reservation)
  KEYS[8] id counter        queues:{q}:id
  KEYS[9] restart marker    queues:{q}:boot        (hash: lastsave, run_id, hold_until; see restart-hold.lua)

  ARGV[1] max jobs
  ARGV[2] retry_after in ms
  ARGV[3] nonce (reservation tokens are nonce.N)

  Returns {ms until the next delayed job or -1, id, body, attempts, token, ...}.
]]
--- @include "pop-jobs"

return popJobs(KEYS[1], KEYS[2], KEYS[3], KEYS[4], KEYS[5], KEYS[6], KEYS[7], KEYS[8], KEYS[9],
  tonumber(ARGV[1]), tonumber(ARGV[2]), ARGV[3])
