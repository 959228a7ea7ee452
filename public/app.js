// The demo page's entry: wires the sign-in form, the sockets and the panels together. One global
// socket (/socket/all, topics.js) that switches on `type`, the user's push channel
// (notifications.js) and one chat at a time (chat.js), all through the client library served at
// /client/. Plain ES modules, no build step, no dependency.
import { setUpAdmin } from './admin.js';
import { closeChat, forgetWaitingMessages, openChat, sendChat } from './chat.js';
import { byId } from './dom.js';
import { closeNotifications, openNotifications } from './notifications.js';
import { startOperations, stopOperations } from './operations.js';
import { beginSession, endSession, session, signIn, storedSignIn } from './sign-in.js';
import { clearErrorsAndNotices, setSignInAgain } from './status.js';
import { closeTopics, openTopics } from './topics.js';

/** Opens the global socket and the push channel for a signed-in user. */
function start({ user, admin, token }) {
  beginSession({ user, admin, token });
  byId('current-user').textContent = user;
  byId('avatar').textContent = user.slice(0, 1).toUpperCase();
  byId('admin-badge').hidden = !admin;
  byId('push-path').textContent = `/push/${user}`;
  showView(true);
  openTopics(token);
  openNotifications(user, token);
}

function signOut() {
  closeTopics();
  closeNotifications();
  closeChat();
  forgetWaitingMessages();
  endSession();
  clearErrorsAndNotices();
  showView(false);
}

function showView(signedIn) {
  byId('login-view').hidden = signedIn;
  byId('app-view').hidden = !signedIn;
  byId('statuses').hidden = !signedIn;
  byId('who').hidden = !signedIn;
  byId('admin-view').hidden = !(signedIn && session.admin);
  if (signedIn && session.admin) startOperations();
  else stopOperations();
  if (!signedIn) byId('login-user').focus();
}

function init() {
  setSignInAgain(signOut);
  byId('login-form').addEventListener('submit', async (event) => {
    event.preventDefault();
    const signedIn = await signIn(byId('login-user').value.trim(), byId('login-admin').checked);
    if (signedIn) start(signedIn);
  });
  byId('logout').addEventListener('click', signOut);
  byId('chat-open-form').addEventListener('submit', (event) => {
    event.preventDefault();
    openChat(byId('chat-peer').value);
  });
  byId('chat-close').addEventListener('click', closeChat);
  byId('chat-send-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = byId('chat-input');
    const text = input.value.trim();
    if (!text) return;
    sendChat(text);
    input.value = '';
    input.focus();
  });
  setUpAdmin();

  const saved = storedSignIn();
  if (saved) start(saved);
  else showView(false);
}

init();
