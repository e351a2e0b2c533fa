--[[
  After a send: frees the job's place in flight, logs the send at the time Graph answered, and drops
  the job's slot unless a later run has reserved another since. Only the job's latest admission for
  this mailbox may do this (matched by its stamp): otherwise a later run of the job owns them.

  All KEYS carry the tenant's hash tag: one Redis Cluster slot.

  Input:
    KEYS[1] holders         sorted set of job ids in flight
    KEYS[2] job's slot      this job's reserved slot
    KEYS[3] send log        sorted set of job ids scored by send time
    KEYS[4] job's admission "stamp|slot at admission"

    ARGV[1] job id
    ARGV[2] answered at     ms, when Graph's answer arrived
    ARGV[3] stamp           the stamp of the admission being released

  Output:
    1   released
    0   nothing done: no admission, or a later admission's stamp
]]
local admission = redis.call('GET', KEYS[4])
if not admission then return 0 end
local bar = string.find(admission, '|', 1, true)
if string.sub(admission, 1, bar - 1) ~= ARGV[3] then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[4])
if redis.call('GET', KEYS[2]) == string.sub(admission, bar + 1) then redis.call('DEL', KEYS[2]) end
redis.call('ZADD', KEYS[3], 'XX', ARGV[2], ARGV[1])
return 1
