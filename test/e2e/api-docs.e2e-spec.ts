import { Instance } from '../support/instance';
import { signToken, TEST_SECRET } from '../support/tokens';

/**
 * The OpenAPI document at /api/docs-json against the routes the app really registered and the
 * answers they really give, and the Swagger UI at /api/docs under its Content-Security-Policy.
 */

interface Schema {
  $ref?: string;
  type?: string;
  properties?: Record<string, Schema>;
  required?: string[];
  oneOf?: Schema[];
  nullable?: boolean;
}
interface Operation {
  summary?: string;
  security?: Record<string, string[]>[];
  requestBody?: { required?: boolean; content: Record<string, { schema: Schema }> };
  responses: Record<string, { content?: Record<string, { schema: Schema }> }>;
}
interface OpenApi {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema>; securitySchemes: Record<string, { type: string; in?: string }> };
}

/** What each route answers, by `<method> <OpenAPI path>`: its 2xx first, then every error status. */
const STATUSES: Record<string, number[]> = {
  'get /health': [200, 503],
  'get /health/live': [200],
  'get /health/ready': [200, 503],
  'get /metrics': [200, 401, 503],
  'post /api/auth/dev-login': [200, 400, 413, 415, 429, 503],
  'post /api/notify/{topic}': [202, 400, 401, 403, 404, 413, 415, 429, 503],
  'get /api/notify/{topic}': [200, 401, 403, 404, 429, 503],
  'post /api/push/{username}': [202, 400, 401, 403, 413, 415, 429, 503],
  'get /api/groups/{group}': [200, 400, 401, 429, 503],
};
/** The routes anyone may call; every other one takes a token. */
const OPEN_ROUTES = [
  'get /health',
  'get /health/live',
  'get /health/ready',
  'get /metrics',
  'post /api/auth/dev-login',
];

/** Every route Express holds, as `<method> <OpenAPI path>`, but the documents' own. */
function registeredRoutes(instance: Instance): string[] {
  const express = instance.app.getHttpAdapter().getInstance() as {
    router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] };
  };
  const routes: string[] = [];
  for (const { route } of express.router.stack) {
    if (!route || /^\/api\/docs(?:[-/]|$)/.test(route.path)) continue;
    // Middleware applied to every route (the request logger) sits in the stack as `/{*path}`.
    if (route.path === '/{*path}') continue;
    const path = route.path.replace(/:(\w+)/g, '{$1}');
    for (const method of Object.keys(route.methods)) routes.push(`${method} ${path}`);
  }
  return routes;
}

function documentedRoutes(doc: OpenApi): string[] {
  return Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item).map((method) => `${method} ${path}`));
}

function operation(doc: OpenApi, route: string): Operation {
  const [method, path] = route.split(' ');
  return doc.paths[path][method];
}

function resolve(doc: OpenApi, schema: Schema): Schema {
  return schema.$ref ? doc.components.schemas[schema.$ref.replace('#/components/schemas/', '')] : schema;
}

function bodySchema(doc: OpenApi, route: string): Schema {
  const body = operation(doc, route).requestBody;
  expect(body?.required).toBe(true);
  return resolve(doc, body!.content['application/json'].schema);
}

function responseSchema(doc: OpenApi, route: string, status: number): Schema {
  const response = operation(doc, route).responses[String(status)];
  return resolve(doc, response.content!['application/json'].schema);
}

/** "Any JSON" as the document says it: alternatives that include an object, an array and a string. */
function anyJsonTypes(schema: Schema): string[] {
  return (schema.oneOf ?? []).map((alternative) => alternative.type ?? '?').sort();
}

describe('OpenAPI at /api/docs-json', () => {
  let instance: Instance;
  let doc: OpenApi;

  beforeAll(async () => {
    instance = await Instance.start({ JWT_SECRET: TEST_SECRET });
    const response = await fetch(`${instance.http}/api/docs-json`, { signal: AbortSignal.timeout(5000) });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    doc = (await response.json()) as OpenApi;
  });

  afterAll(async () => {
    await instance?.stop();
  });

  test('documents exactly the routes Nest registered, each method', () => {
    const registered = registeredRoutes(instance);
    expect(registered).toEqual(expect.arrayContaining(Object.keys(STATUSES)));
    expect(documentedRoutes(doc).sort()).toEqual([...registered].sort());
    expect(doc.openapi).toMatch(/^3\./);
  });

  test('every route has a summary, a 2xx and its error statuses in Nest’s error shape', () => {
    const errorBody = doc.components.schemas.ErrorBody;
    expect(errorBody.required?.sort()).toEqual(['error', 'message', 'statusCode']);
    for (const route of registeredRoutes(instance)) {
      const op = operation(doc, route);
      expect({ route, summary: op.summary }).toEqual({ route, summary: expect.stringMatching(/\w/) });
      const statuses = Object.keys(op.responses).map(Number);
      expect({ route, ok: statuses.some((status) => status >= 200 && status < 300) }).toEqual({ route, ok: true });
      if (STATUSES[route]) expect({ route, statuses }).toEqual({ route, statuses: STATUSES[route] });
      for (const status of statuses.filter((s) => s >= 400)) {
        const schema = op.responses[String(status)].content?.['application/json'].schema;
        // /health answers its own body; every other error is Nest's shape.
        if (route === 'get /health/ready') {
          // The readiness probe answers in terminus's shape, which terminus documents inline.
          expect({ route, status, keys: Object.keys(schema?.properties ?? {}) }).toEqual({
            route,
            status,
            keys: expect.arrayContaining(['status', 'info', 'error', 'details']),
          });
          continue;
        }
        const expected = route === 'get /health' ? '#/components/schemas/Health' : '#/components/schemas/ErrorBody';
        expect({ route, status, ref: schema?.$ref }).toEqual({ route, status, ref: expected });
      }
    }
  });

  test('routes that need a token say so: a bearer token, the token header or the token query', () => {
    expect(doc.components.securitySchemes).toEqual({
      bearer: expect.objectContaining({ type: 'http', scheme: 'bearer' }),
      'token-header': { type: 'apiKey', in: 'header', name: 'token' },
      'token-query': { type: 'apiKey', in: 'query', name: 'token' },
    });
    for (const route of Object.keys(STATUSES)) {
      const security = operation(doc, route).security;
      if (OPEN_ROUTES.includes(route)) expect({ route, security }).toEqual({ route, security: undefined });
      else
        expect({ route, security }).toEqual({
          route,
          security: [{ bearer: [] }, { 'token-header': [] }, { 'token-query': [] }],
        });
    }
  });

  test('request bodies reference schemas with the DTOs’ properties; free JSON is any JSON', () => {
    const login = bodySchema(doc, 'post /api/auth/dev-login');
    expect(Object.keys(login.properties!).sort()).toEqual(['roles', 'username']);
    expect(login.required).toEqual(['username']);
    expect(login.properties!.username).toMatchObject({ type: 'string', pattern: '^[A-Za-z0-9_-]{1,64}$' });
    expect(login.properties!.roles).toMatchObject({ type: 'array', maxItems: 8, items: { type: 'string' } });

    const notify = bodySchema(doc, 'post /api/notify/{topic}');
    expect(notify.required).toEqual(['data']);
    expect(Object.keys(notify.properties!)).toEqual(['data']);
    expect(anyJsonTypes(notify.properties!.data)).toEqual(['array', 'object', 'string']);

    const push = bodySchema(doc, 'post /api/push/{username}');
    expect(push.required).toEqual(['event']);
    expect(Object.keys(push.properties!)).toEqual(['event']);
    expect(anyJsonTypes(push.properties!.event)).toEqual(['array', 'boolean', 'number', 'object', 'string']);

    const topic = operation(doc, 'post /api/notify/{topic}') as Operation & { parameters: { name: string }[] };
    expect(topic.parameters).toEqual([
      expect.objectContaining({
        name: 'topic',
        in: 'path',
        schema: expect.objectContaining({ enum: ['all_patient_page_data', 'all_active_visit_data'] }),
      }),
    ]);
  });

  test('what the routes really answer is documented, with the documented properties', async () => {
    const admin = signToken({ sub: 'admin', roles: ['admin'] });
    const user = signToken({ sub: 'carol' });
    const cases: { route: string; path: string; body?: unknown; token?: string; status: number }[] = [
      { route: 'get /health', path: '/health', status: 200 },
      { route: 'post /api/auth/dev-login', path: '/api/auth/dev-login', body: { username: 'alice' }, status: 200 },
      { route: 'post /api/auth/dev-login', path: '/api/auth/dev-login', body: { username: 'a b' }, status: 400 },
      {
        route: 'post /api/notify/{topic}',
        path: '/api/notify/all_patient_page_data',
        body: { data: [1] },
        token: admin,
        status: 202,
      },
      {
        route: 'post /api/notify/{topic}',
        path: '/api/notify/all_patient_page_data',
        body: { data: 1 },
        token: admin,
        status: 400,
      },
      {
        route: 'post /api/notify/{topic}',
        path: '/api/notify/all_patient_page_data',
        body: { data: 'x' },
        status: 401,
      },
      {
        route: 'post /api/notify/{topic}',
        path: '/api/notify/all_patient_page_data',
        body: { data: 'x' },
        token: user,
        status: 403,
      },
      { route: 'post /api/notify/{topic}', path: '/api/notify/nope', body: { data: 'x' }, token: admin, status: 404 },
      {
        route: 'post /api/notify/{topic}',
        path: '/api/notify/all_patient_page_data',
        body: { data: 'x'.repeat(120_000) },
        token: admin,
        status: 413,
      },
      { route: 'get /api/notify/{topic}', path: '/api/notify/all_patient_page_data', token: admin, status: 200 },
      { route: 'get /api/notify/{topic}', path: '/api/notify/nope', token: admin, status: 404 },
      {
        route: 'post /api/push/{username}',
        path: '/api/push/bob',
        body: { event: { kind: 'visit' } },
        token: admin,
        status: 202,
      },
      { route: 'post /api/push/{username}', path: '/api/push/bob', body: { event: null }, token: admin, status: 400 },
      { route: 'post /api/push/{username}', path: '/api/push/bob', body: { event: 1 }, token: user, status: 403 },
      { route: 'get /api/groups/{group}', path: '/api/groups/chat_all_data', token: user, status: 200 },
      { route: 'get /api/groups/{group}', path: '/api/groups/a*b', token: user, status: 400 },
      { route: 'get /api/groups/{group}', path: '/api/groups/chat_all_data', status: 401 },
    ];
    for (const { route, path, body, token, status } of cases) {
      const method = route.split(' ')[0].toUpperCase();
      const response = await instance.request(method, path, { body, token });
      expect({ route, path, status: response.status }).toEqual({ route, path, status });
      const schema = responseSchema(doc, route, status);
      // Exactly the documented properties, every required one present.
      expect({ route, status, keys: Object.keys(response.body as object).sort() }).toEqual({
        route,
        status,
        keys: Object.keys(schema.properties!).sort(),
      });
      expect(schema.required?.sort()).toEqual(Object.keys(schema.properties!).sort());
    }
  });
});

describe('the Swagger UI at /api/docs', () => {
  let instance: Instance;

  beforeAll(async () => {
    instance = await Instance.start({ HTTP_RATE_PER_MIN: '2', AUTH_DEV_LOGIN: 'false' });
  });

  afterAll(async () => {
    await instance?.stop();
  });

  test('is HTML from this server alone, its inline styles allowed there and nowhere else', async () => {
    const page = await fetch(`${instance.http}/api/docs`, { signal: AbortSignal.timeout(5000) });
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    const html = await page.text();
    expect(html).toContain('<div id="swagger-ui"></div>');

    // Every script, stylesheet and icon is a relative URL this server answers.
    const assets = [...html.matchAll(/(?:src|href)=["']([^"']+)["']/g)].map((match) => match[1]);
    expect(assets.length).toBeGreaterThanOrEqual(5);
    for (const asset of assets) {
      expect(asset).toMatch(/^\.\//);
      const url = new URL(asset, `${instance.http}/api/docs`);
      const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
      expect({ asset, status: response.status }).toEqual({ asset, status: 200 });
      await response.arrayBuffer();
    }

    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("script-src 'self';");
    expect(csp).toMatch(/style-src 'self' 'unsafe-inline'(;|$)/);
    expect(csp).not.toMatch(/https?:\/\//);
    // The rest of the site keeps the strict policy.
    for (const path of ['/api/docs-json', '/']) {
      const other = await fetch(instance.http + path, { signal: AbortSignal.timeout(5000) });
      await other.arrayBuffer();
      expect(other.headers.get('content-security-policy')).toMatch(/style-src 'self';/);
    }
  });

  test('the documents are not rate-limited, and leave out dev-login when it is off', async () => {
    for (let i = 0; i < 4; i += 1) {
      const response = await fetch(`${instance.http}/api/docs-json`, { signal: AbortSignal.timeout(5000) });
      expect(response.status).toBe(200);
      const doc = (await response.json()) as OpenApi;
      expect(doc.paths['/api/auth/dev-login']).toBeUndefined();
      expect(doc.paths['/api/groups/{group}']).toBeDefined();
    }
    // The /api limit of 2 a minute is still counted for the API itself.
    const statuses: number[] = [];
    for (let i = 0; i < 3; i += 1) statuses.push((await instance.request('GET', '/api/groups/chat_all_data')).status);
    expect(statuses).toEqual([401, 401, 429]);
  });
});
