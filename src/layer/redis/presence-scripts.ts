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
 * An instance is live while its instance channel has a subscriber: its `sub` connection, which
 * Redis drops when the process dies (the kernel closes the socket). So liveness needs no
 * heartbeat. Reads the instances that have members in a group (hash `conns`), keeps the live
 * ones, and deletes the fields of the others from both hashes (an instance killed without cleanup).
 */
export const LIVE_INSTANCES = `
local function live_instances(conns, users, channel_prefix)
  local flat = redis.call('HGETALL', conns)
  local live, dead, any_dead = {}, {}, false
  if #flat == 0 then return live end
  local channels = {}
  for i = 1, #flat, 2 do channels[#channels + 1] = channel_prefix .. flat[i] end
  local subscribers = redis.call('PUBSUB', 'NUMSUB', unpack(channels))
  for i = 1, #flat, 2 do
    if tonumber(subscribers[i + 1]) > 0 then
      live[#live + 1] = { flat[i], tonumber(flat[i + 1]) }
    else
      dead[flat[i]] = true
      any_dead = true
      redis.call('HDEL', conns, flat[i])
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

/** KEYS: conns, users. ARGV: instance channel prefix. Members on live instances. */
export const countMembersScript = new RedisScript(
  'countMembers',
  `${LIVE_INSTANCES}
local total = 0
for _, entry in ipairs(live_instances(KEYS[1], KEYS[2], ARGV[1])) do total = total + entry[2] end
return total
`,
);

/** KEYS: conns, users. ARGV: instance channel prefix, user id. 1 when the user has a live member. */
export const hasUserScript = new RedisScript(
  'hasUser',
  `${LIVE_INSTANCES}
if user_present(live_instances(KEYS[1], KEYS[2], ARGV[1]), KEYS[2], ARGV[2]) then return 1 end
return 0
`,
);
