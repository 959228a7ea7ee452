import { RedisScript } from '../layer/redis/redis-script';

/**
 * KEYS: registry (hash: instance id → 0 while last seen live, else the ms it was first seen
 * dead), tickets (list, oldest first: one ticket per delivered copy, listing the instances that
 * still have to skip it). ARGV: alive channel prefix, this instance's id, ticket TTL ms, ms after
 * which a dead instance is forgotten. Returns 1: deliver, 0: a copy another instance delivered.
 *
 * Every instance runs this once per event it receives. A ticket that lists this instance means
 * another instance delivered this copy: strike this instance off it (the ticket goes when nobody
 * is left) and skip. Otherwise this is a new copy: deliver it, and leave a ticket for every other
 * live instance, which will receive the same copy. The count is exact for any interleaving as long
 * as every listed instance receives the event; see the README ("Once per event") for what happens
 * when one does not.
 *
 * LREM removes the first ticket equal to the one found, which is the one found: an earlier equal
 * ticket would list this instance too, and the scan would have stopped there.
 */
export const claimScript = new RedisScript(
  'claim',
  `
local registry, tickets = KEYS[1], KEYS[2]
local alive_prefix, me, ttl, forget_after = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])

local function strike(ticket)
  local rest, found = {}, false
  for id in string.gmatch(ticket, '%S+') do
    if id == me and not found then found = true else rest[#rest + 1] = id end
  end
  return found, table.concat(rest, ' ')
end

for index, ticket in ipairs(redis.call('LRANGE', tickets, 0, -1)) do
  local found, rest = strike(ticket)
  if found then
    if rest == '' then redis.call('LREM', tickets, 1, ticket) else redis.call('LSET', tickets, index - 1, rest) end
    return 0
  end
end

local time = redis.call('TIME')
local now = tonumber(time[1]) * 1000 + math.floor(tonumber(time[2]) / 1000)
local flat = redis.call('HGETALL', registry)
local ids, since, registered = {}, {}, false
for i = 1, #flat, 2 do
  if flat[i] == me then
    registered = flat[i + 1] == '0'
  else
    ids[#ids + 1] = flat[i]
    since[#since + 1] = tonumber(flat[i + 1])
  end
end
-- An instance that receives events is live, whatever the registry lost (a Redis restart).
if not registered then redis.call('HSET', registry, me, 0) end

local others = {}
if #ids > 0 then
  local channels = {}
  for i, id in ipairs(ids) do channels[i] = alive_prefix .. id end
  local subscribers = redis.call('PUBSUB', 'NUMSUB', unpack(channels))
  for i, id in ipairs(ids) do
    if tonumber(subscribers[2 * i]) > 0 then
      others[#others + 1] = id
      if since[i] ~= 0 then redis.call('HSET', registry, id, 0) end
    elseif since[i] == 0 then
      redis.call('HSET', registry, id, now)
    elseif now - since[i] > forget_after then
      redis.call('HDEL', registry, id)
    end
  end
end
if #others > 0 then
  redis.call('RPUSH', tickets, table.concat(others, ' '))
  redis.call('PEXPIRE', tickets, ttl)
end
return 1
`,
);
