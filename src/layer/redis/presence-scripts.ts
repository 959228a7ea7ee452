import { RedisScript } from './redis-script';

/**
 * KEYS: conns, users, state. ARGV: instance id, its member count, then pairs of user id and that
 * user's member count. Absolute values, never increments: a write can be repeated or replayed
 * after a Redis restart and converges on this instance's local state. A zero deletes the field.
 * Returns the group's last id (0 without state): a joiner has missed nothing up to it.
 */
export const writePresenceScript = new RedisScript(
  'writePresence',
  `
local function put(key, field, n)
  if tonumber(n) > 0 then redis.call('HSET', key, field, n) else redis.call('HDEL', key, field) end
end
put(KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV, 2 do put(KEYS[2], ARGV[1] .. ':' .. ARGV[i], ARGV[i + 1]) end
return tonumber(redis.call('HGET', KEYS[3], 'last') or '0')
`,
);

/**
 * An instance is live while its instance channel has a subscriber AND its lease has not lapsed.
 * The channel is held by its `sub` connection, which Redis drops when the process dies (the
 * kernel closes the socket): a killed instance is dead at once. The lease (hash `leases`: instance
 * id → expiry in ms, Redis' own clock) is renewed by the instance every third of its length: one
 * that is frozen with its connections up (SIGSTOP, a stuck event loop, a partition Redis has not
 * noticed) is dead when it lapses. Reads the instances that have members in a group (hash
 * `conns`), keeps the live ones, and deletes the fields of the others from both hashes; an
 * instance finds its own lease lapsed when it renews, and writes all of its presence again.
 */
export const LIVE_INSTANCES = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function alive(ids, leases, channel_prefix)
  local live = {}
  if #ids == 0 then return live end
  local channels = {}
  for i, id in ipairs(ids) do channels[i] = channel_prefix .. id end
  local subscribers = redis.call('PUBSUB', 'NUMSUB', unpack(channels))
  local expiries = redis.call('HMGET', leases, unpack(ids))
  local now = now_ms()
  for i = 1, #ids do
    live[i] = tonumber(subscribers[2 * i]) > 0 and tonumber(expiries[i] or 0) > now
  end
  return live
end

local function live_instances(conns, users, leases, channel_prefix)
  local flat = redis.call('HGETALL', conns)
  local live, dead, any_dead = {}, {}, false
  if #flat == 0 then return live end
  local ids = {}
  for i = 1, #flat, 2 do ids[#ids + 1] = flat[i] end
  local up = alive(ids, leases, channel_prefix)
  for i, id in ipairs(ids) do
    if up[i] then
      live[#live + 1] = { id, tonumber(flat[2 * i]) }
    else
      dead[id] = true
      any_dead = true
      redis.call('HDEL', conns, id)
    end
  end
  if any_dead then
    for _, field in ipairs(redis.call('HKEYS', users)) do
      local colon = string.find(field, ':', 1, true)
      if colon and dead[string.sub(field, 1, colon - 1)] then redis.call('HDEL', users, field) end
    end
  end
  return live
end

local function user_present(live, users, user)
  for _, entry in ipairs(live) do
    local n = redis.call('HGET', users, entry[1] .. ':' .. user)
    if n and tonumber(n) > 0 then return true end
  end
  return false
end
`;

/** KEYS: conns, users, leases. ARGV: instance channel prefix. Members on live instances. */
export const countMembersScript = new RedisScript(
  'countMembers',
  `${LIVE_INSTANCES}
local total = 0
for _, entry in ipairs(live_instances(KEYS[1], KEYS[2], KEYS[3], ARGV[1])) do total = total + entry[2] end
return total
`,
);

/** KEYS: conns, users, leases. ARGV: instance channel prefix, user id. 1: the user has a live member. */
export const hasUserScript = new RedisScript(
  'hasUser',
  `${LIVE_INSTANCES}
if user_present(live_instances(KEYS[1], KEYS[2], KEYS[3], ARGV[1]), KEYS[2], ARGV[2]) then return 1 end
return 0
`,
);

/**
 * KEYS: leases. ARGV: instance id, lease ms. Extends the instance's lease to now + lease ms, by
 * Redis' clock (instances' clocks may disagree; only Redis' counts). Returns 1 when the lease
 * had not lapsed, 0 when it had (or was never taken): readers may have deleted the instance's
 * presence meanwhile. Lapsed leases of other instances are deleted (missing reads as lapsed).
 */
export const renewLeaseScript = new RedisScript(
  'renewLease',
  `${LIVE_INSTANCES}
local now = now_ms()
local held = tonumber(redis.call('HGET', KEYS[1], ARGV[1]) or 0) > now
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  if tonumber(flat[i + 1]) <= now then redis.call('HDEL', KEYS[1], flat[i]) end
end
redis.call('HSET', KEYS[1], ARGV[1], string.format('%.0f', now + tonumber(ARGV[2])))
if held then return 1 end
return 0
`,
);

/**
 * A user's open sockets are a set of member ids (`<instance id>.<n>`, so each names its
 * instance). KEYS: the user's sockets set, leases. ARGV: instance channel prefix, member id,
 * limit. Deletes the members of dead instances, then adds the member if fewer than `limit` are
 * left: 1, or 0 when the user is at the limit. A member already in the set is 1, unchanged.
 */
export const claimSocketScript = new RedisScript(
  'claimSocket',
  `${LIVE_INSTANCES}
if redis.call('SISMEMBER', KEYS[1], ARGV[2]) == 1 then return 1 end
local members = redis.call('SMEMBERS', KEYS[1])
local index, ids, owner = {}, {}, {}
for i, member in ipairs(members) do
  local instance = string.match(member, '^([^.]*)%.') or member
  if not index[instance] then
    ids[#ids + 1] = instance
    index[instance] = #ids
  end
  owner[i] = index[instance]
end
local up = alive(ids, KEYS[2], ARGV[1])
local count = 0
for i, member in ipairs(members) do
  if up[owner[i]] then count = count + 1 else redis.call('SREM', KEYS[1], member) end
end
if count >= tonumber(ARGV[3]) then return 0 end
redis.call('SADD', KEYS[1], ARGV[2])
return 1
`,
);

/**
 * KEYS: a user's sockets set. ARGV: instance id, then that instance's claimed member ids for the
 * user. Makes the set hold exactly these of the instance's members (absolute, like presence
 * writes: it can be repeated, and repairs a set that a reader pruned or a restart emptied).
 */
export const writeSocketsScript = new RedisScript(
  'writeSockets',
  `
local own = ARGV[1] .. '.'
local keep = {}
for i = 2, #ARGV do keep[ARGV[i]] = true end
for _, member in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  if string.sub(member, 1, #own) == own and not keep[member] then redis.call('SREM', KEYS[1], member) end
end
if #ARGV > 1 then redis.call('SADD', KEYS[1], unpack(ARGV, 2)) end
return 0
`,
);
