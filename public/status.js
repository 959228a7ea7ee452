// What the page says about its sockets: the status pills, the error area (one message per source,
// gone when the source is fine again) and the notices (kept until the user dismisses them).
import { byId, el } from './dom.js';

/** What a gap means on each socket (the global socket's tables reload their snapshots by themselves). */
const GAP_NOTICES = {
  all: 'some updates could not be recovered after the reconnect; the tables were reloaded.',
  push: 'some notifications could not be recovered after the reconnect; reloaded what is left.',
  chat: 'some messages could not be recovered after the reconnect; reloaded what is left.',
};

const REFUSALS = {
  400: 'malformed name',
  401: 'token missing, invalid or expired',
  403: 'not allowed for this user or origin',
  404: 'no such endpoint',
  503: 'the service is unavailable',
};

/** Current error messages by source; a source's message goes away when it is fine again. */
const errors = new Map();
/** Current notices (not errors: something the user should know) by source. */
const notices = new Map();
/**
 * What the "Sign in again" button of an expired or refused token does. Set by the entry module
 * (it is its sign-out), so that this module needs none of the others.
 */
let signInAgain = () => {};

export function setSignInAgain(run) {
  signInAgain = run;
}

/** Shows (or, without `message`, clears) the error of `source`; `action` adds a button. */
export function setError(source, message, action) {
  if (message) errors.set(source, { message, action });
  else errors.delete(source);
  renderErrors();
}

/** Shows (or, without `message`, clears) the notice of `source`: dismissed by the user only. */
function setNotice(source, message) {
  if (message) notices.set(source, message);
  else notices.delete(source);
  renderNotices();
}

/** On sign-out: nothing of the last user's errors and notices stays. */
export function clearErrorsAndNotices() {
  errors.clear();
  renderErrors();
  notices.clear();
  renderNotices();
}

function renderErrors() {
  const box = byId('error');
  box.replaceChildren(
    ...[...errors].map(([key, { message: text, action: act }]) =>
      el(
        'div',
        { class: 'error-item', 'data-source': key },
        el('span', { class: 'error-text' }, text),
        act && el('button', { type: 'button', class: 'small error-action', onclick: act.run }, act.label),
        el(
          'button',
          { type: 'button', class: 'ghost small', 'aria-label': 'Dismiss', onclick: () => setError(key) },
          '×',
        ),
      ),
    ),
  );
  box.hidden = errors.size === 0;
}

function renderNotices() {
  const box = byId('notices');
  box.replaceChildren(
    ...[...notices].map(([key, text]) =>
      el(
        'div',
        { class: 'notice-item', 'data-source': key, 'data-testid': 'notice' },
        el('span', { class: 'error-text' }, text),
        el(
          'button',
          { type: 'button', class: 'ghost small', 'aria-label': 'Dismiss', onclick: () => setNotice(key) },
          '×',
        ),
      ),
    ),
  );
  box.hidden = notices.size === 0;
}

/** A label for what arrived in the catch-up after a (re)connect rather than live. */
export function caughtUpLabel() {
  return el(
    'span',
    { class: 'caught-up-label', title: 'sent while this page was disconnected, delivered when it reconnected' },
    'caught up',
  );
}

function describeError(label, error) {
  switch (error?.kind) {
    case 'refused': {
      const why = REFUSALS[error.status] ?? error.message ?? 'refused';
      return `${label}: handshake refused with HTTP ${error.status ?? '?'} (${why}).`;
    }
    case 'token':
      return `${label}: the session expired and no new token could be had (${error.message}).`;
    case 'unreachable': {
      const answer = error.status === undefined ? '' : ` (it answered HTTP ${error.status})`;
      return `${label}: server unreachable${answer}, retrying…`;
    }
    case 'frame':
      return `${label}: ${error.message ?? 'the server sent a frame the client could not read'}.`;
    case 'handler':
      return `${label}: the page failed to handle a frame (${error.message}).`;
    default:
      return `${label}: ${error?.message ?? String(error)}`;
  }
}

/** Sets the status pill of socket `name` (`all`, `push` or `chat`). */
export function setStatus(name, state) {
  const node = byId(`status-${name}`);
  node.textContent = state;
  node.dataset.state = state;
}

/**
 * Wires a client's state and errors to its status pill and the error area, while `current()`
 * holds (a closed chat's last events must not overwrite the next one's).
 */
export function watch(client, name, label, current = () => true) {
  setStatus(name, client.state ?? 'connecting');
  client.onState((state) => {
    if (!current()) return;
    setStatus(name, state);
    if (state === 'open') setError(name);
    else if (state === 'reconnecting' && !errors.has(name)) setError(name, `${label}: connection lost, reconnecting…`);
  });
  client.onError((error) => {
    if (!current()) return;
    // A handler of this page threw (the client caught it): a bug to see in the console too.
    if (error.kind === 'handler') console.error('[demo]', label, error.message, error.cause);
    const mustSignIn = error.kind === 'token' || (error.kind === 'refused' && error.status === 401);
    const again = mustSignIn ? { label: 'Sign in again', run: signInAgain } : undefined;
    setError(name, describeError(label, error), again);
  });
  client.onFrame((frame) => {
    if (current() && frame && typeof frame === 'object' && frame.type === 'error') {
      setError(`${name}-frame`, `${label}: the server answered ${frame.code ?? 'error'}: ${frame.msg ?? ''}`);
    }
  });
  // After a reconnect the server replays what the socket missed; a gap is what it no longer had.
  client.onGap(() => {
    if (current()) setNotice(`${name}-gap`, `${label}: ${GAP_NOTICES[name]}`);
  });
}
