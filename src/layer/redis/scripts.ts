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
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return await redis.eval(this.lua, keys.length, ...keys, ...args);
    }
  }
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

/** Takes a group's next id: INCR, or, when the counter was missing, now in microseconds. */
const TAKE_ID = `
local function take_id(seq)
  local id = redis.call('INCR', seq)
  if id == 1 then
    local t = redis.call('TIME')
    id = tonumber(t[1]) * 1000000 + tonumber(t[2])
    redis.call('SET', seq, string.format('%.0f', id))
  end
  return id
end
`;

/** Appends `,"id":<id>` to a JSON object's text, as `stampId` does, and publishes it. */
const PUBLISH_WITH_ID = `
local function publish_with_id(channel, frame, id)
  redis.call('PUBLISH', channel, string.sub(frame, 1, -2) .. ',"id":' .. string.format('%.0f', id) .. '}')
end
`;

/**
 * KEYS: seq [, snapshot]. ARGV: channel, frame (JSON object text without id) [, snapshot value].
 * One script, so ids reach every subscriber in increasing order (Redis runs scripts one at a time
 * and delivers PUBLISH in order), and a snapshot and its broadcast are never split.
 */
export const sendScript = new RedisScript(
  'send',
  `${TAKE_ID}${PUBLISH_WITH_ID}
local id = take_id(KEYS[1])
if #KEYS == 2 then redis.call('SET', KEYS[2], ARGV[3]) end
publish_with_id(ARGV[1], ARGV[2], id)
return id
`,
);

/** KEYS: seq. */
export const nextIdScript = new RedisScript('nextId', `${TAKE_ID}\nreturn take_id(KEYS[1])\n`);

/**
 * KEYS: conns, users. ARGV: instance id, its member count, then pairs of user id and that user's
 * member count. Absolute values, never increments: a write can be repeated or replayed after a
 * Redis restart and converges on this instance's local state. A zero deletes the field.
 */
export const writePresenceScript = new RedisScript(
  'writePresence',
  `
local function put(key, field, n)
  if tonumber(n) > 0 then redis.call('HSET', key, field, n) else redis.call('HDEL', key, field) end
end
put(KEYS[1], ARGV[1], ARGV[2])
for i = 3, #ARGV, 2 do put(KEYS[2], ARGV[1] .. ':' .. ARGV[i], ARGV[i + 1]) end
return 0
`,
);

/**
 * Shared by the two presence reads. KEYS: conns, users. ARGV[1]: the instance channel prefix.
 * An instance is live while its instance channel has a subscriber: its `sub` connection, which
 * Redis drops when the process dies (the kernel closes the socket). So liveness needs no
 * heartbeat. Reads the instances that have members in the group, keeps the live ones, and
 * deletes the fields of the others from both hashes (an instance killed without cleanup).
 */
const LIVE_INSTANCES = `
local flat = redis.call('HGETALL', KEYS[1])
local live, dead, any_dead = {}, {}, false
if #flat > 0 then
  local channels = {}
  for i = 1, #flat, 2 do channels[#channels + 1] = ARGV[1] .. flat[i] end
  local subscribers = redis.call('PUBSUB', 'NUMSUB', unpack(channels))
  for i = 1, #flat, 2 do
    if tonumber(subscribers[i + 1]) > 0 then
      live[#live + 1] = { flat[i], tonumber(flat[i + 1]) }
    else
      dead[flat[i]] = true
      any_dead = true
      redis.call('HDEL', KEYS[1], flat[i])
    end
  end
end
if any_dead then
  local users = redis.call('HKEYS', KEYS[2])
  for _, field in ipairs(users) do
    local colon = string.find(field, ':', 1, true)
    if colon and dead[string.sub(field, 1, colon - 1)] then redis.call('HDEL', KEYS[2], field) end
  end
end
`;

/** After LIVE_INSTANCES: whether `user` has a member on a live instance. KEYS[2]: users. */
const USER_PRESENT = `
local function user_present(user)
  for _, entry in ipairs(live) do
    local n = redis.call('HGET', KEYS[2], entry[1] .. ':' .. user)
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
for _, entry in ipairs(live) do total = total + entry[2] end
return total
`,
);

/** KEYS: conns, users. ARGV: instance channel prefix, user id. 1 when the user has a live member. */
export const hasUserScript = new RedisScript(
  'hasUser',
  `${LIVE_INSTANCES}${USER_PRESENT}
if user_present(ARGV[2]) then return 1 end
return 0
`,
);

/**
 * KEYS: conns, users, seq. ARGV: instance channel prefix, user id, channel, frame. `hasUser`, then
 * `send` when it is true, in one script. Returns the id, or -1 when the user has no live member.
 */
export const sendIfPresentScript = new RedisScript(
  'sendIfPresent',
  `${LIVE_INSTANCES}${USER_PRESENT}${TAKE_ID}${PUBLISH_WITH_ID}
if not user_present(ARGV[2]) then return -1 end
local id = take_id(KEYS[3])
publish_with_id(ARGV[3], ARGV[4], id)
return id
`,
);
