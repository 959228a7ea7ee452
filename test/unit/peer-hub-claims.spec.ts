import { LayerUnavailableError } from '../../src/layer/channel-layer';
import { groupName } from '../../src/layer/group-name';
import { InMemoryChannelLayer } from '../../src/layer/in-memory-channel-layer';
import { loadConfig } from '../../src/config/app-config';
import { Metrics } from '../../src/metrics/metrics.service';
import { PeerHub } from '../../src/ws/peers/peer-hub';
import { TokenExpiry } from '../../src/ws/handshake/token-expiry';
import { HandshakeRefusal } from '../../src/ws/ws-route';

/**
 * `PeerHub` and socket claims: a peer is open only with a claim, a refusal is a 429 counted in
 * `ws_rate_limited_total{limit="connections"}`, a close gives the claim back once, and an open
 * that fails after its claim gives it back too.
 */
const alice = { id: 'alice', roles: [] };
const group = groupName('room.lobby');

let layer: InMemoryChannelLayer;
let metrics: Metrics;
let hub: PeerHub;

beforeEach(() => {
  layer = new InMemoryChannelLayer({ size: 10, ttlMs: 60_000 });
  metrics = new Metrics();
  hub = new PeerHub(layer, layer, loadConfig({ WS_MAX_CONNECTIONS_PER_USER: '2' }), metrics, new TokenExpiry());
});
afterEach(() => {
  hub.onApplicationShutdown();
  layer.onApplicationShutdown();
});

async function connectionRefusals(): Promise<number> {
  const metric = await metrics.rateLimited.get();
  return metric.values.find((value) => value.labels.limit === 'connections')?.value ?? 0;
}

it('opens up to the limit, then refuses with 429 and counts the refusal', async () => {
  await hub.open(alice, {}, [group]);
  await hub.open(alice, {}, [group]);
  const refused = hub.open(alice, {}, [group]);
  await expect(refused).rejects.toBeInstanceOf(HandshakeRefusal);
  await expect(refused).rejects.toMatchObject({ status: 429, message: 'too many open sockets for this user' });
  expect(await connectionRefusals()).toBe(1);
  // The refused peer joined nothing.
  expect(await layer.countMembers(group)).toBe(2);
  await hub.open({ id: 'bob', roles: [] }, {}, [group]);
});

it('gives a claim back on close, once however often the peer is closed', async () => {
  const first = await hub.open(alice, {}, [group]);
  await hub.open(alice, {}, [group]);
  await hub.close(first);
  await hub.close(first);
  await hub.open(alice, {}, [group]);
  await expect(hub.open(alice, {}, [group])).rejects.toMatchObject({ status: 429 });
});

it('gives the claim back when the open fails after it', async () => {
  jest.spyOn(layer, 'join').mockRejectedValueOnce(new LayerUnavailableError());
  await expect(hub.open(alice, {}, [group])).rejects.toBeInstanceOf(LayerUnavailableError);
  await hub.open(alice, {}, [group]);
  await hub.open(alice, {}, [group]);
  await expect(hub.open(alice, {}, [group])).rejects.toMatchObject({ status: 429 });
  expect(await connectionRefusals()).toBe(1);
});
