// Signing in through dev-login, the token kept in sessionStorage so a reload stays signed in, and a
// fresh token from dev-login when the server says the one the sockets hold expired.
import { httpMessage } from './http.js';
import { setError } from './status.js';

const SESSION_KEY = 'nest-realtime-demo.session';

/** Who is signed in, and the token of every socket and admin request. */
export const session = { user: '', admin: false, token: '' };

/**
 * Options of every socket of the page: retries no further apart than 5 s, so the demo comes back
 * quickly, and a fresh token from dev-login when the server says the token expired.
 */
const SOCKET_OPTIONS = { backoff: { maxMs: 5000 }, getToken: () => renewToken() };

export function socketOptions(token) {
  return { ...SOCKET_OPTIONS, token };
}

/** A token for `user` from dev-login; throws an Error that says why there is none. */
async function requestToken(user, admin) {
  let response;
  try {
    response = await fetch('/api/auth/dev-login', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(admin ? { username: user, roles: ['admin'] } : { username: user }),
    });
  } catch {
    throw new Error('the server is unreachable');
  }
  const body = await response.json().catch(() => null);
  if (!response.ok || typeof body?.token !== 'string') {
    const hint = response.status === 404 ? 'dev-login is off on this server (AUTH_DEV_LOGIN)' : httpMessage(body);
    throw new Error(`HTTP ${response.status} (${hint})`);
  }
  return body.token;
}

function store(user, admin, token) {
  sessionStorage.setItem(SESSION_KEY, JSON.stringify({ user, admin, token }));
}

/**
 * Signs `user` in and stores the token; resolves to `{ user, admin, token }` for the entry module
 * to start the page with, or to null once the error area says why it failed.
 */
export async function signIn(user, admin) {
  let token;
  try {
    token = await requestToken(user, admin);
  } catch (error) {
    setError('login', `Sign-in failed: ${error.message}.`);
    return null;
  }
  setError('login');
  store(user, admin, token);
  return { user, admin, token };
}

/** What an earlier sign-in of this tab stored (it survives a reload), or null. */
export function storedSignIn() {
  let saved = null;
  try {
    saved = JSON.parse(sessionStorage.getItem(SESSION_KEY) ?? 'null');
  } catch {
    saved = null;
  }
  return saved && typeof saved.token === 'string' && typeof saved.user === 'string' ? saved : null;
}

export function beginSession({ user, admin, token }) {
  Object.assign(session, { user, admin, token });
}

export function endSession() {
  Object.assign(session, { user: '', admin: false, token: '' });
  sessionStorage.removeItem(SESSION_KEY);
}

/** The request for a fresh token in flight, shared: the page's sockets' tokens expire together. */
let renewal = null;

/**
 * The clients' `getToken`: asked when the server closed a socket because its token expired (4001)
 * or refused the token (401). Signs the same user in again, and keeps the token for the next page
 * load and for the admin panel's requests.
 */
function renewToken() {
  const { user, admin } = session;
  renewal ??= requestToken(user, admin)
    .then((token) => {
      if (session.user === user) {
        session.token = token;
        store(user, admin, token);
      }
      return token;
    })
    .finally(() => (renewal = null));
  return renewal;
}
