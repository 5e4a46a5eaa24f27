"""The Lua scripts of the Redis ledger: each change to the books is one atomic script.

Every script first checks the generation key: a Redis that lost its data (restarted without
persistence) has none, or a new one, and the instances must restore what they know before they
write again (:mod:`openbid.pacing.redis_ledger`). Times come from Redis (``TIME``), so instances
need not agree on the clock. Amounts are integer micros (exact in Lua's doubles up to 2**53).
"""

_GENERATION = """
local generation = redis.call('GET', KEYS[1])
if not generation then return {'nogen'} end
if generation ~= ARGV[1] then return {'gen'} end
local clock = redis.call('TIME')
local now_s = tonumber(clock[1])
local now_ms = now_s * 1000 + math.floor(tonumber(clock[2]) / 1000)
"""

HELLO = """
local generation = redis.call('GET', KEYS[1])
if generation then return generation end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
"""

# KEYS: generation, leases (hash), exposure (hash), held line item, held campaign,
#       spent line item total, spent line item day, spent campaign total, spent campaign day
# ARGV: generation, instance, lease ms, exposure window s, settle ms, the four budgets (-1: none),
#       holding, want, min grant, sequence, then (second, micros) pairs of consumption
RENEW = (
    _GENERATION
    + """
local instance = ARGV[2]
local lease_ms, window, settle_ms = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local created_ms = tonumber(string.match(ARGV[1], '|(%d+)$')) or 0
local delta = 0
local lease, sequence, covered = 0, 0, false
local leases = redis.call('HGETALL', KEYS[2])
for i = 1, #leases, 2 do
  local amount, expires, seq = string.match(leases[i + 1], '^(-?%d+)|(%d+)|(%d+)$')
  amount, expires, seq = tonumber(amount), tonumber(expires), tonumber(seq)
  if leases[i] == instance then
    sequence = seq
    if expires >= now_ms then lease, covered = amount, true else delta = delta - amount end
  elseif expires < now_ms then
    delta = delta - amount
    redis.call('HDEL', KEYS[2], leases[i])
  end
end
local buckets = redis.call('HGETALL', KEYS[3])
for i = 1, #buckets, 2 do
  if tonumber(buckets[i]) < now_s - window then
    delta = delta - tonumber(buckets[i + 1])
    redis.call('HDEL', KEYS[3], buckets[i])
  end
end
local seq = tonumber(ARGV[13])
if seq > sequence then
  sequence = seq
  for i = 14, #ARGV, 2 do
    local second, amount = tonumber(ARGV[i]), tonumber(ARGV[i + 1])
    if covered then lease = lease - amount; delta = delta - amount end
    if second >= now_s - window then
      redis.call('HINCRBY', KEYS[3], ARGV[i], amount)
      delta = delta + amount
    end
  end
end
if lease < 0 then delta = delta - lease; lease = 0 end
local holding = tonumber(ARGV[10])
if lease > holding then delta = delta - (lease - holding); lease = holding end
local held_item = redis.call('INCRBY', KEYS[4], delta)
local held_campaign = redis.call('INCRBY', KEYS[5], delta)
local spent = {}
for i = 6, 9 do spent[i] = tonumber(redis.call('GET', KEYS[i]) or '0') end
local available = 2^53
local limits = {{ARGV[6], spent[6], held_item}, {ARGV[7], spent[7], held_item},
                {ARGV[8], spent[8], held_campaign}, {ARGV[9], spent[9], held_campaign}}
for _, limit in ipairs(limits) do
  local budget = tonumber(limit[1])
  if budget >= 0 then available = math.min(available, budget - limit[2] - limit[3]) end
end
local granted = 0
local want, min_grant = tonumber(ARGV[11]), tonumber(ARGV[12])
if want > lease and available >= min_grant and now_ms >= created_ms + settle_ms then
  granted = math.min(want - lease, available)
  lease = lease + granted
  available = available - granted
  redis.call('INCRBY', KEYS[4], granted)
  redis.call('INCRBY', KEYS[5], granted)
end
if lease == 0 and holding == 0 and want == 0 then
  redis.call('HDEL', KEYS[2], instance)
else
  redis.call('HSET', KEYS[2], instance, lease .. '|' .. (now_ms + lease_ms) .. '|' .. sequence)
end
return {'ok', granted, available, spent[7], spent[6], spent[9], spent[8]}
"""
)

# KEYS: generation, dedupe, exposure (hash), held line item, held campaign, spent line item
#       total, spent line item day, spent campaign total, spent campaign day, then one sorted
#       set of impressions per capped scope
# ARGV: generation, dedupe s, spend, bid second, exposure, window s, has campaign (0/1), day
#       key ttl s, user, bid id, channel, then (scope, keep s) per capped scope
NOTICE = (
    _GENERATION
    + """
if not redis.call('SET', KEYS[2], '1', 'NX', 'EX', ARGV[2]) then return {'dup'} end
local spend, second, exposure = tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
local campaign = ARGV[7] == '1'
if spend > 0 then
  redis.call('INCRBY', KEYS[6], spend)
  redis.call('INCRBY', KEYS[7], spend)
  redis.call('EXPIRE', KEYS[7], ARGV[8])
  if campaign then
    redis.call('INCRBY', KEYS[8], spend)
    redis.call('INCRBY', KEYS[9], spend)
    redis.call('EXPIRE', KEYS[9], ARGV[8])
  end
end
if exposure > 0 and second >= now_s - tonumber(ARGV[6]) then
  redis.call('HINCRBY', KEYS[3], ARGV[4], -exposure)
  redis.call('DECRBY', KEYS[4], exposure)
  if campaign then redis.call('DECRBY', KEYS[5], exposure) end
end
for j = 10, #KEYS do
  local scope, keep = ARGV[12 + 2 * (j - 10)], tonumber(ARGV[13 + 2 * (j - 10)])
  redis.call('ZADD', KEYS[j], now_ms, ARGV[10])
  redis.call('ZREMRANGEBYSCORE', KEYS[j], '-inf', now_ms - keep * 1000)
  redis.call('PEXPIRE', KEYS[j], keep * 1000)
  redis.call('PUBLISH', ARGV[11],
             ARGV[9] .. ' ' .. scope .. ' ' .. now_ms .. ' ' .. ARGV[10] .. ' ' .. keep)
end
return {'ok'}
"""
)

# KEYS: generation, impressions (sorted set), slot lease
# ARGV: generation, instance, lease ms, then (max, seconds) per cap of the scope
CLAIM = (
    _GENERATION
    + """
local holder = redis.call('GET', KEYS[3])
local granted = 0
if holder == ARGV[2] then
  granted = 1
elseif not holder then
  granted = 1
  for i = 4, #ARGV, 2 do
    local since = now_ms - tonumber(ARGV[i + 1]) * 1000
    if redis.call('ZCOUNT', KEYS[2], '(' .. since, '+inf') + 1 > tonumber(ARGV[i]) then
      granted = 0
    end
  end
end
if granted == 1 then redis.call('SET', KEYS[3], ARGV[2], 'PX', ARGV[3]) end
local history = redis.call('ZRANGE', KEYS[2], 0, -1, 'WITHSCORES')
return {'ok', granted, unpack(history)}
"""
)

# KEYS: generation, a spent counter; ARGV: generation, micros, ttl s (0: none)
RESTORE_SPENT = (
    _GENERATION
    + """
redis.call('INCRBY', KEYS[2], ARGV[2])
if tonumber(ARGV[3]) > 0 then redis.call('EXPIRE', KEYS[2], ARGV[3]) end
return {'ok'}
"""
)

# KEYS: generation, leases (hash), held line item, held campaign
# ARGV: generation, instance, lease ms, micros
RESTORE_LEASE = (
    _GENERATION
    + """
redis.call('HSET', KEYS[2], ARGV[2], ARGV[4] .. '|' .. (now_ms + tonumber(ARGV[3])) .. '|0')
redis.call('INCRBY', KEYS[3], ARGV[4])
redis.call('INCRBY', KEYS[4], ARGV[4])
return {'ok'}
"""
)
