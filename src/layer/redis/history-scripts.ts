import { LIVE_INSTANCES } from './presence-scripts';
import { RedisScript } from './redis-script';

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

-- The twin of stampId in src/wire/numbered.ts; the layer contract suite holds the two byte-equal.
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
/** Publishes a kept frame; for an inbox with a member on a live instance, it counts as received. */
const PUBLISH = `
local function publish(state, conns, users, leases, channel, text, id, inbox, channel_prefix)
  redis.call('PUBLISH', channel, text)
  if inbox and #live_instances(conns, users, leases, channel_prefix) > 0 then
    redis.call('HSET', state, 'received', string.format('%.0f', id))
  end
end
`;

/**
 * `ChannelLayer.send` without `unlessAbsent`. KEYS: the group's five (state, history, idempotency, conns, users), the instance
 * leases [, snapshot].
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
if #KEYS == 7 then redis.call('SET', KEYS[7], ARGV[8]) end
local id, text = number_and_keep(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[5], tonumber(ARGV[3]), ARGV[4])
publish(KEYS[1], KEYS[4], KEYS[5], KEYS[6], ARGV[1], text, id, ARGV[6] == '1', ARGV[7])
return id
`,
);

/**
 * `ChannelLayer.send` with `unlessAbsent`. KEYS: the group's five, then the forward (inbox)
 * group's five, then the instance leases. ARGV: channel, frame, history size, ttl ms, idempotency key, instance channel
 * prefix, the user who must be present, the forward group's channel and history size. Present:
 * as `send`.
 * Absent: the frame is numbered and kept unsent, and `{"event": <it>}` is sent to the inbox
 * (as `eventFrame` in `src/wire/serialise.ts` builds it). Returns the id in the group.
 */
export const sendUnlessAbsentScript = new RedisScript(
  'sendUnlessAbsent',
  `${HISTORY}${LIVE_INSTANCES}${PUBLISH}
local original = original_id(KEYS[2], KEYS[3], ARGV[5])
if original then return original end
local size = tonumber(ARGV[3])
local id, text = number_and_keep(KEYS[1], KEYS[2], KEYS[3], ARGV[2], ARGV[5], size, ARGV[4])
if user_present(live_instances(KEYS[4], KEYS[5], KEYS[11], ARGV[6]), KEYS[5], ARGV[7]) then
  publish(KEYS[1], KEYS[4], KEYS[5], KEYS[11], ARGV[1], text, id, false, ARGV[6])
  return id
end
local event = '{"event":' .. text .. '}'
local event_id, event_text = number_and_keep(KEYS[6], KEYS[7], KEYS[8], event, '', tonumber(ARGV[9]), ARGV[4])
publish(KEYS[6], KEYS[9], KEYS[10], KEYS[11], ARGV[8], event_text, event_id, true, ARGV[6])
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
