--[[
  Admits one send of a mailbox, or says how long to wait, in one atomic step across processes.

  The rules it keeps:
  1. Sends are evenly spaced: each job reserves the mailbox's next free slot once and keeps it until
     it sends. A pause (after Graph throttles) moves every later slot, and any slot held from before it.
  2. Two lanes. A bulk job reserves the slot after every one reserved so far. An interactive job takes
     the earliest slot a bulk job holds (or the one after the last interactive job's), and every bulk
     slot moves one interval on: bulk slots are stored net of the mailbox's `shift`, so the move is one
     write, and a bulk job that wakes before its moved slot waits once more.
  3. At most `concurrency` sends in flight per mailbox, each holder with a lease (a dead worker's place
     frees itself). A job that runs again keeps its one place.
  4. At most `limit` sends per `window`, counted from a log of sends: in flight with a score in the
     future, answered at the time Graph's answer came. The log has no arrival allowance (the slots
     have it), so a send answered a little late does not hold back the next window.
  5. Each admission is stamped (per job and mailbox); only the release carrying that stamp frees it.
  6. Times are whole milliseconds, because Redis returns Lua numbers as integers: a slot within the
     current millisecond admits, and every "wait" time returned is later than `now`.

  All KEYS carry the tenant's hash tag: one Redis Cluster slot.

  Input:
    KEYS[1] next slot       mailbox's next free slot (string, ms)
    KEYS[2] job's slot      this job's reserved slot (string, ms; bulk slots net of the shift)
    KEYS[3] mailbox pause   paused until (string, ms), set when Graph throttles the mailbox
    KEYS[4] app pause       paused until (string, ms), set when Graph throttles the app in the tenant
    KEYS[5] send log        sorted set of job ids scored by answer time (now + window while in flight)
    KEYS[6] holders         sorted set of job ids in flight, scored by lease end
    KEYS[7] job's admission "stamp|slot at admission" of this job's latest admission
    KEYS[8] lanes           hash: shift (bulk slots' move), next (after the last interactive slot)

    ARGV[1]  now            ms
    ARGV[2]  interval       ms between slots
    ARGV[3]  slack          ms every key lives beyond its last use
    ARGV[4]  window         ms of the send log
    ARGV[5]  limit          sends per window
    ARGV[6]  job id
    ARGV[7]  concurrency    sends in flight at most
    ARGV[8]  lease          ms a holder keeps its place without a release
    ARGV[9]  stamp          this admission's stamp
    ARGV[10] interactive    '1' interactive lane, '0' bulk

  Output: {time, reason}
    {now, 0}    admitted: the place, the send in the log and the admission are recorded
    {time, 1}   rate: wait until time (the job's slot, or the window's oldest send ageing out)
    {time, 2}   concurrency: every place is held; try again at time
]]
local now = tonumber(ARGV[1])
local interval = tonumber(ARGV[2])
local slack = tonumber(ARGV[3])
local window = tonumber(ARGV[4])
local limit = tonumber(ARGV[5])
local job = ARGV[6]
local interactive = ARGV[10] == '1'
local paused = math.max(tonumber(redis.call('GET', KEYS[3]) or '0'), tonumber(redis.call('GET', KEYS[4]) or '0'))
local shift = tonumber(redis.call('HGET', KEYS[8], 'shift') or '0')
local stored = redis.call('GET', KEYS[2])
local slot = -1
if stored then
  slot = tonumber(stored)
  if not interactive then slot = slot + shift end
end
if slot < 0 or slot < paused then
  local from = math.max(now, paused)
  local nextSlot = tonumber(redis.call('GET', KEYS[1]) or '0')
  if interactive and nextSlot > from then
    -- Bulk jobs hold the slots ahead: take the earliest of them (or the one after the last
    -- interactive job's) and move every bulk slot one interval on.
    slot = math.max(nextSlot - math.floor((nextSlot - from) / interval) * interval, tonumber(redis.call('HGET', KEYS[8], 'next') or '0'))
    shift = shift + interval
    nextSlot = nextSlot + interval
  else
    slot = math.max(nextSlot, from)
    nextSlot = slot + interval
  end
  redis.call('SET', KEYS[1], nextSlot, 'PX', math.ceil(nextSlot - now + slack))
  if interactive then
    redis.call('HSET', KEYS[8], 'shift', shift, 'next', slot + interval)
    redis.call('SET', KEYS[2], slot, 'PX', math.ceil(slot - now + slack))
  else
    -- A bulk slot is kept net of the moves so far; later ones apply when it is read.
    redis.call('SET', KEYS[2], slot - shift, 'PX', math.ceil(slot - now + slack))
  end
  redis.call('PEXPIRE', KEYS[8], math.ceil(nextSlot - now + slack))
end
-- Whole milliseconds: a slot within this one goes.
if math.floor(slot) > now then
  if not interactive then redis.call('PEXPIRE', KEYS[2], math.ceil(slot - now + slack)) end
  return {math.floor(slot), 1}
end
redis.call('ZREMRANGEBYSCORE', KEYS[6], '-inf', now)
if redis.call('ZCARD', KEYS[6]) >= tonumber(ARGV[7]) and redis.call('ZSCORE', KEYS[6], job) == false then return {now + 250, 2} end
redis.call('ZREMRANGEBYSCORE', KEYS[5], '-inf', now - window)
if redis.call('ZCARD', KEYS[5]) >= limit and redis.call('ZSCORE', KEYS[5], job) == false then
  return {math.ceil(tonumber(redis.call('ZRANGE', KEYS[5], 0, 0, 'WITHSCORES')[2]) + window), 1}
end
redis.call('ZADD', KEYS[6], now + tonumber(ARGV[8]), job)
redis.call('PEXPIRE', KEYS[6], math.ceil(tonumber(ARGV[8]) + slack))
redis.call('SET', KEYS[7], ARGV[9] .. '|' .. (redis.call('GET', KEYS[2]) or ''), 'PX', math.ceil(tonumber(ARGV[8]) + slack))
redis.call('ZADD', KEYS[5], now + window, job)
redis.call('PEXPIRE', KEYS[5], math.ceil(window + slack))
return {now, 0}
