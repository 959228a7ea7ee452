import 'reflect-metadata';
import { DiagnosticSeverity, Parser } from '@asyncapi/parser';
import { getMetadataStorage } from 'class-validator';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { parse as parseYaml, stringify as stringifyYaml } from 'yaml';
import { frameMethodOf } from '../../src/ws/frames/on-frame.decorator';
import { routeOf } from '../../src/ws/routed-gateway.decorator';
import type { WsRoute } from '../../src/ws/ws-route';

/**
 * docs/asyncapi.yaml against the source: a valid AsyncAPI 3 document, a channel for every
 * WebSocket route a gateway declares (with its parameters and query), the client frames with
 * their DTOs' fields, and tables that hold every close code, error-frame code and handshake
 * status the source can produce.
 */

const ROOT = join(__dirname, '..', '..');
const SPEC_PATH = join(ROOT, 'docs', 'asyncapi.yaml');
const SRC = join(ROOT, 'src');

/** Close codes `ws` itself sends on its own checks (`lib/receiver.js`), which no source line names. */
const WS_LIBRARY_CLOSE_CODES = [1002, 1007, 1008, 1009];
/** Never sent: what a client reports when the connection ends without a close frame. */
const ABNORMAL_CLOSURE = 1006;

interface Channel {
  address: string;
  parameters?: Record<string, unknown>;
  messages: Record<string, { $ref?: string }>;
  bindings?: { ws?: { query?: { $ref?: string; properties?: Record<string, unknown> } } };
}
interface Operation {
  action: 'send' | 'receive';
  channel: { $ref: string };
  messages: { $ref: string }[];
}
interface Message {
  contentType?: string;
  payload: { $ref?: string; type?: string; required?: string[]; properties?: Record<string, unknown> };
}
interface Spec {
  asyncapi: string;
  info: { description: string };
  channels: Record<string, Channel>;
  operations: Record<string, Operation>;
  components: { messages: Record<string, Message>; schemas: Record<string, Message['payload']> };
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });
}

/** Every match of `pattern`'s first group in the source, as numbers, with where each was found. */
function scan(pattern: RegExp, files = sourceFiles(SRC)): Map<number, string> {
  const found = new Map<number, string>();
  for (const file of files) {
    for (const match of readFileSync(file, 'utf8').matchAll(pattern)) {
      found.set(Number(match[1]), relative(ROOT, file));
    }
  }
  return found;
}

/** The codes in the first column of the Markdown table under `## <heading>` of the description. */
function tableCodes(description: string, heading: string): string[] {
  const section = description.split(/^## /m).find((part) => part.startsWith(`${heading}\n`));
  if (!section) throw new Error(`no "## ${heading}" in info.description`);
  return section
    .split('\n')
    .filter((line) => line.startsWith('| ') && !/^\|\s*(code|status)\s*\|/.test(line))
    .map((line) => line.split('|')[1].trim());
}

/** Every `@RoutedGateway` class exported by `src/**\/*.gateway.ts`, with its route and frame DTO. */
function gateways(): { file: string; route: WsRoute<unknown>; dto?: new () => object; takesText: boolean }[] {
  return sourceFiles(SRC)
    .filter((file) => file.endsWith('.gateway.ts'))
    .flatMap((file) =>
      Object.values(jest.requireActual<Record<string, unknown>>(file))
        .filter((value): value is new () => object => typeof value === 'function')
        .flatMap((gateway) => {
          const route = routeOf(gateway);
          if (!route) return [];
          const spec = frameMethodOf(gateway);
          return [{ file: relative(ROOT, file), route, dto: spec?.dto, takesText: spec !== undefined && !spec.dto }];
        }),
    );
}

const asAddress = (path: string): string => path.replace(/:(\w+)/g, '{$1}');
const refName = (ref: string): string => ref.split('/').pop()!;

describe('docs/asyncapi.yaml', () => {
  const text = readFileSync(SPEC_PATH, 'utf8');
  const spec = parseYaml(text) as Spec;
  const description = spec.info.description;

  function channelAt(address: string): [string, Channel] {
    const found = Object.entries(spec.channels).find(([, channel]) => channel.address === address);
    if (!found) throw new Error(`no channel at ${address}`);
    return found;
  }

  function message(channel: Channel, key: string): Message {
    return spec.components.messages[refName(channel.messages[key].$ref!)];
  }

  function payload(msg: Message): Message['payload'] {
    return msg.payload.$ref ? spec.components.schemas[refName(msg.payload.$ref)] : msg.payload;
  }

  function operationsOf(channelKey: string, action: Operation['action']): string[] {
    return Object.values(spec.operations)
      .filter((op) => op.channel.$ref === `#/channels/${channelKey}` && op.action === action)
      .flatMap((op) => op.messages.map((m) => refName(m.$ref)));
  }

  test('is valid AsyncAPI 3: no error or warning from @asyncapi/parser', async () => {
    const { document, diagnostics } = await new Parser().parse(text);
    // Information (e.g. "a newer version exists") and hints are allowed.
    const serious = [DiagnosticSeverity.Error, DiagnosticSeverity.Warning];
    expect(diagnostics.filter((d) => serious.includes(d.severity)).map((d) => `${d.code}: ${d.message}`)).toEqual([]);
    expect(document?.version()).toMatch(/^3\./);
    expect(spec.asyncapi).toMatch(/^3\./);
  });

  test('the parser does find errors: an operation naming a message its channel does not carry', async () => {
    const broken = parseYaml(text) as Spec;
    broken.operations.sendBroadcast.messages = [{ $ref: '#/channels/chat/messages/chatMessage' }];
    const { diagnostics } = await new Parser().parse(stringifyYaml(broken));
    expect(diagnostics.filter((d) => Number(d.severity) === Number(DiagnosticSeverity.Error)).length).toBeGreaterThan(
      0,
    );
  });

  test('every WebSocket route a gateway declares is a channel, with its parameters and query', () => {
    const routes = gateways();
    expect(routes.map((g) => g.route.path).sort()).toEqual(
      ['/chat/socket/', '/push/:username', '/socket/all', '/ws/chat/:group', '/ws/room/:room'].sort(),
    );
    expect(
      Object.values(spec.channels)
        .map((c) => c.address)
        .sort(),
    ).toEqual(routes.map((g) => asAddress(g.route.path)).sort());
    for (const { route } of routes) {
      const [, channel] = channelAt(asAddress(route.path));
      const params = [...route.path.matchAll(/:(\w+)/g)].map((m) => m[1]);
      expect({ path: route.path, params: Object.keys(channel.parameters ?? {}) }).toEqual({ path: route.path, params });
      const query = channel.bindings?.ws?.query;
      const schema = query?.$ref ? spec.components.schemas[refName(query.$ref)] : query;
      // `since` exactly where the route resumes from history.
      const expected = route.resume ? ['since', 'token'] : ['token'];
      expect({ path: route.path, query: Object.keys(schema?.properties ?? {}).sort() }).toEqual({
        path: route.path,
        query: expected,
      });
    }
  });

  test('every channel carries ping, pong and error frames; every resuming one, gap frames', () => {
    for (const { route } of gateways()) {
      const [key, channel] = channelAt(asAddress(route.path));
      const received = operationsOf(key, 'receive');
      const sent = operationsOf(key, 'send');
      expect({ path: route.path, ping: received.includes('ping'), error: sent.includes('error') }).toEqual({
        path: route.path,
        ping: true,
        error: true,
      });
      expect(payload(message(channel, 'ping'))).toEqual({ type: 'string', const: 'ping' });
      expect(payload(message(channel, 'pong'))).toEqual({ type: 'string', const: 'pong' });
      expect(payload(message(channel, 'error')).required).toEqual(['type', 'code', 'msg']);
      expect({ path: route.path, gap: sent.includes('gap') }).toEqual({
        path: route.path,
        gap: route.resume !== undefined,
      });
    }
  });

  test('the frames a client may send are the gateways’ DTOs: same fields, same required ones', () => {
    const checked: string[] = [];
    for (const { route, dto, takesText } of gateways()) {
      const [key, channel] = channelAt(asAddress(route.path));
      const received = operationsOf(key, 'receive').filter((name) => name !== 'ping');
      if (!dto) {
        // No DTO: the echo takes any text, the push endpoint takes no frame but `ping`.
        const texts = received.map((name) => message(channel, name).contentType);
        expect({ path: route.path, texts }).toEqual({ path: route.path, texts: takesText ? ['text/plain'] : [] });
        continue;
      }
      expect(received).toHaveLength(1);
      const metadata = getMetadataStorage().getTargetValidationMetadatas(dto, '', true, false);
      const fields = [...new Set(metadata.map((m) => m.propertyName))].sort();
      // Optional fields are the ones class-validator checks only when sent (`IsOmittable`, `IsOptional`).
      const optional = new Set(metadata.filter((m) => m.type === 'conditionalValidation').map((m) => m.propertyName));
      const body = payload(message(channel, received[0]));
      expect({ dto: dto.name, fields: Object.keys(body.properties ?? {}).sort() }).toEqual({ dto: dto.name, fields });
      expect({ dto: dto.name, required: body.required }).toEqual({
        dto: dto.name,
        required: fields.filter((field) => !optional.has(field)),
      });
      checked.push(dto.name);
    }
    expect(checked.sort()).toEqual(['SendChatDto', 'SendRoomDto', 'SnapshotRequestDto']);
  });

  test('the close-code table holds every close code the source and ws send, and no other', () => {
    const used = scan(/(?:\.close\(|_CODE = )(\d{4})\b/g);
    // The scan must see the codes known today, or it sees nothing.
    expect([...used.keys()].sort()).toEqual(expect.arrayContaining([1000, 1001, 1008, 1013, 4001]));
    const table = tableCodes(description, 'Close codes').map(Number);
    for (const [code, file] of used)
      expect({ code, file, documented: table.includes(code) }).toMatchObject({ documented: true });
    const expected = new Set([...used.keys(), ...WS_LIBRARY_CLOSE_CODES, ABNORMAL_CLOSURE]);
    expect(table).toEqual([...expected].sort((a, b) => a - b));
  });

  test('the error-frame table holds every code an error frame can carry', () => {
    const used = new Map([
      ...scan(/sendError\((\d{3})\b/g),
      ...scan(/\bcode: (\d{3})\b/g, [join(SRC, 'ws', 'frames', 'frame-errors.ts')]),
      // Every ServiceError's status (an error frame carries it as its code).
      ...scan(/status = (\d{3});/g, [join(SRC, 'common', 'errors.ts'), join(SRC, 'layer', 'channel-layer.ts')]),
    ]);
    expect([...used.keys()].sort()).toEqual([400, 404, 429, 500, 503]);
    // Plus any 4xx a Nest HttpException thrown by a handler carries (`errorReplyOf`).
    expect(tableCodes(description, 'Error frame codes')).toEqual(['400', '404', '429', '500', '503', 'other 4xx']);
  });

  test('the handshake table holds every status a handshake can be refused with', () => {
    const ws = sourceFiles(join(SRC, 'ws'));
    const gatewayFiles = sourceFiles(SRC).filter((file) => file.endsWith('.gateway.ts'));
    const used = new Map([
      ...scan(/HandshakeRefusal\((\d{3})\b/g),
      ...scan(/writeRefusal\(\w+, (\d{3})\b/g, [...ws, ...gatewayFiles]),
      ...scan(/\bstatus: (\d{3})\b/g, ws),
      // What Node's HTTP parser refuses, before any route sees the request (`client-error.ts`).
      ...scan(/return (\d{3});/g, [join(SRC, 'common', 'client-error.ts')]),
    ]);
    // 426: the plain GET's answer (the handshake probe) when the handshake would be accepted.
    expect([...used.keys()].sort()).toEqual([400, 401, 403, 404, 408, 426, 429, 431, 500, 503]);
    const table = tableCodes(description, 'Handshake statuses').map(Number);
    // 101: the accepted upgrade.
    expect(table).toEqual([...used.keys(), 101].sort((a, b) => a - b));
  });
});
