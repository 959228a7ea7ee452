import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';

/**
 * A Lua script run with EVALSHA, falling back to EVAL when Redis answers NOSCRIPT (first use, or a
 * Redis restarted empty). EVAL caches the script again, so the fallback happens once per restart.
 * See https://redis.io/docs/latest/commands/evalsha/.
 */
export class RedisScript {
  private readonly sha: string;

  constructor(
    readonly name: string,
    private readonly lua: string,
  ) {
    this.sha = createHash('sha1').update(lua).digest('hex');
  }

  async run(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.evalsha(this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }

  /** `run`, with string replies as Buffers: frames go to sockets as the bytes Redis holds. */
  async runBuffer(redis: Redis, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await redis.callBuffer('evalsha', this.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!isNoScript(error)) throw error;
      return await redis.callBuffer('eval', this.lua, keys.length, ...keys, ...args);
    }
  }
}

function isNoScript(error: unknown): boolean {
  return error instanceof Error && error.message.startsWith('NOSCRIPT');
}

/** Integer replies arrive as numbers; anything else is a bug in a script below. */
export function integerReply(reply: unknown, script: string): number {
  if (typeof reply !== 'number' || !Number.isSafeInteger(reply)) {
    throw new TypeError(`script ${script} returned ${String(reply)}, not an integer`);
  }
  return reply;
}

/*
 * Lua 5.1 notes. Numbers are doubles and `tostring` keeps 14 digits, so a 16-digit id must go
 * through string.format('%.0f'), both into keys and into frames. An integer reply converts a Lua
 * number exactly up to 2^53. Scripts may call TIME (and PUBSUB) before writing: Redis 7
 * replicates effects, not scripts.
 */

/**
 * A group's state is a hash (`last`, `first`: ids; `received`: an inbox's mark) and its history a
 * list of numbered frames; both, and the idempotency keys, expire `ttl` ms after the last send.
 */
const HISTORY = `
local function take_id(state)
  local id = redis.call('HINCRBY', state, 'last', 1)
  if id == 1 then
    local t = redis.call('TIME')
    id = tonumber(t[1]) * 1000000 + tonumber(t[2])
    local text = string.format('%.0f', id)
    redis.call('HSET', state, 'last', text, 'first', text)
  end
  return id
end

local function stamp(frame, id)
  return string.sub(frame, 1, -2) .. ',"id":' .. string.format('%.0f', id) .. '}'
end

local function oldest_id(history)
  local entry = redis.call('LINDEX', history, 0)
  if not entry then return nil end
  return tonumber(string.match(string.sub(entry, -24), '"id":(%d+)}$'))
end

local function original_id(history, idem, key)
  if key == '' then return nil end
  local id = redis.call('HGET', idem, key)
  local oldest = id and oldest_id(history)
  if oldest and tonumber(id) >= oldest then return tonumber(id) end
  return nil
end

local function forget_trimmed_keys(history, idem, size)
  if redis.call('HLEN', idem) <= 2 * size then return end
  local oldest = oldest_id(history) or 0
  local flat = redis.call('HGETALL', idem)
  for i = 1, #flat, 2 do
    if tonumber(flat[i + 1]) < oldest then redis.call('HDEL', idem, flat[i]) end
  end
end

local function keep(state, history, idem, text, id, key, size, ttl)
  redis.call('RPUSH', history, text)
  redis.call('LTRIM', history, -size, -1)
  redis.call('PEXPIRE', state, ttl)
  redis.call('PEXPIRE', history, ttl)
  if key ~= '' then
    redis.call('HSET', idem, key, string.format('%.0f', id))
    redis.call('PEXPIRE', idem, ttl)
    forget_trimmed_keys(history, idem, size)
  end
end

local function number_and_keep(state, history, idem, frame, key, size, ttl)
  local id = take_id(state)
  local text = stamp(frame, id)
  keep(state, history, idem, text, id, key, size, ttl)
  return id, text
end
`;
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
const LIVE_INSTANCES = `
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

/** Publishes a kept frame; for an inbox with a member on a live instance, it counts as received. */
const PUBLISH = `
local function publish(state, conns, users, channel, text, id, inbox, channel_prefix)
  redis.call('PUBLISH', channel, text)
  if inbox and #live_instances(conns, users, channel_prefix) > 0 then
    redis.call('HSET', state, 'received', string.format('%.0f', id))
  end
end
`;

/** The keys of one group, in the order every send script takes them. */
export const GROUP_KEYS = ['state', 'history', 'idempotency', 'conns', 'users'] as const;

/**
 * `ChannelLayer.send` without `unlessAbsent`. KEYS: the group's five (`GROUP_KEYS`) [, snapshot].
 * ARGV: channel, frame (JSON object text without id), history size, ttl ms, idempotency key ('' for
 * none), '1' for an inbox, instance channel prefix [, snapshot value]. One script, so ids reach
 * every subscriber in increasing order (Redis runs scripts one at a time and delivers PUBLISH in
 * order), and history, snapshot and broadcast are never split. Returns the id (the original's for
 * a known idempotency key, with nothing sent).
 */
export const sendScript = new RedisScript(
  'send',
  `${HISTORY}${LIVE_INSTANCES}${PUBLISH}
local original = original_id(KEYS[2], KEYS[3], ARGV[5])
if original then return original end
if #KEYS == 6 then redis.call('SET', KEYS[6], ARGV[8]) end
local id, text = number_and_keep(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[5], tonumber(ARGV[3]), ARGV[4])
publish(KEYS[1], KEYS[4], KEYS[5], ARGV[1], text, id, ARGV[6] == '1', ARGV[7])
return id
`,
);

/**
 * `ChannelLayer.send` with `unlessAbsent`. KEYS: the group's five, then the forward (inbox)
 * group's five. ARGV: channel, frame, history size, ttl ms, idempotency key, instance channel
 * prefix, the user who must be present, the forward group's channel and history size. Present:
 * as `send`.
 * Absent: the frame is numbered and kept unsent, and `{"event": <it>}` is sent to the inbox
 * (as `eventFrame` builds it). Returns the id in the group.
 */
export const sendUnlessAbsentScript = new RedisScript(
  'sendUnlessAbsent',
  `${HISTORY}${LIVE_INSTANCES}${PUBLISH}
local original = original_id(KEYS[2], KEYS[3], ARGV[5])
if original then return original end
local size = tonumber(ARGV[3])
local id, text = number_and_keep(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[5], size, ARGV[4])
if user_present(live_instances(KEYS[4], KEYS[5], ARGV[6]), KEYS[5], ARGV[7]) then
  publish(KEYS[1], KEYS[4], KEYS[5], ARGV[1], text, id, false, ARGV[6])
  return id
end
local event = '{"event":' .. text .. '}'
local event_id, event_text = number_and_keep(KEYS[6], KEYS[7], KEYS[8], event, '', tonumber(ARGV[9]), ARGV[4])
publish(KEYS[6], KEYS[9], KEYS[10], ARGV[8], event_text, event_id, true, ARGV[6])
return id
`,
);

/**
 * `ChannelLayer.history`. KEYS: state, history. ARGV: the id to read after, or 'received' (the
 * inbox's mark); '1' to mark everything up to now as received. Returns first, last, the oldest
 * id in history (-1 for none or no state), the start id, then the frames after it.
 */
export const historyScript = new RedisScript(
  'history',
  `${HISTORY}
local state = redis.call('HMGET', KEYS[1], 'first', 'last', 'received')
local start = tonumber(ARGV[1] == 'received' and (state[3] or '0') or ARGV[1])
if not state[1] or not state[2] then return { -1, -1, -1, start } end
local first, last = tonumber(state[1]), tonumber(state[2])
if ARGV[2] == '1' then redis.call('HSET', KEYS[1], 'received', state[2]) end
local oldest = oldest_id(KEYS[2])
if start >= last or not oldest then return { first, last, oldest or -1, start } end
local reply = { first, last, oldest, start }
for _, frame in ipairs(redis.call('LRANGE', KEYS[2], math.max(0, start + 1 - oldest), -1)) do
  reply[#reply + 1] = frame
end
return reply
`,
);
