--[[
  Reserves an e-mail's upload bytes in the upload budget of one app and mailbox, or says when enough
  of the window's earlier uploads will have aged out. An e-mail larger than the whole budget is
  admitted into an empty window, so it is never stuck.

  Input:
    KEYS[1] upload log   sorted set of "<bytes>:<job>:<nonce>" scored by upload time (ms)

    ARGV[1] now          ms
    ARGV[2] window       ms
    ARGV[3] budget       bytes per window
    ARGV[4] wanted       bytes this e-mail uploads
    ARGV[5] member       "<bytes>:<job>:<nonce>"

  Output:
    0      reserved
    time   ms at which enough bytes will have aged out (later than now)
]]
local now = tonumber(ARGV[1])
local window = tonumber(ARGV[2])
local budget = tonumber(ARGV[3])
local wanted = tonumber(ARGV[4])
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
local entries = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #entries, 2 do used = used + tonumber(string.match(entries[i], '^(%d+):')) end
if used == 0 or used + wanted <= budget then
  redis.call('ZADD', KEYS[1], now, ARGV[5])
  redis.call('PEXPIRE', KEYS[1], window)
  return 0
end
local freed = 0
for i = 1, #entries, 2 do
  freed = freed + tonumber(string.match(entries[i], '^(%d+):'))
  if used - freed + wanted <= budget then return tonumber(entries[i + 1]) + window + 1 end
end
return now + window
