// The admin panel: publishes to the topics (POST /api/notify/:topic) and pushes an event to one
// user (POST /api/push/:user), each filled with a sample to edit.
import { byId, timeOf } from './dom.js';
import { httpMessage, postJson } from './http.js';
import { session } from './sign-in.js';
import { TOPICS } from './topics.js';

const SAMPLES = {
  patients: [
    { name: 'Zhang San', bed: 12, ward: 'Cardiology', status: 'stable' },
    { name: 'Li Si', bed: 7, ward: 'Neurology', status: 'observation' },
    { name: 'Wang Wu', bed: 3, ward: 'Surgery', status: 'post-op' },
  ],
  visits: [
    { visit: 'V-1001', patient: 'Zhang San', doctor: 'Dr. Chen', room: '2B', since: '09:40' },
    { visit: 'V-1002', patient: 'Li Si', doctor: 'Dr. Zhao', room: '4A', since: '10:15' },
  ],
  push: { kind: 'visit-assigned', visit: 'V-1002', note: 'Room 4A is ready' },
};

function showResult(key, ok, text) {
  const node = byId(`admin-${key}-result`);
  node.textContent = text;
  node.dataset.ok = String(ok);
}

/** Runs one request of the panel with its button disabled, and shows the answer next to it. */
async function runAdmin(key, button, action) {
  button.disabled = true;
  showResult(key, true, 'sending…');
  try {
    const { response, body } = await action();
    if (response.ok) {
      showResult(
        key,
        true,
        `${response.status} ${response.statusText || 'Accepted'} · id ${body?.id ?? '?'} · ${timeOf()}`,
      );
    } else {
      showResult(key, false, `${response.status} ${response.statusText}: ${httpMessage(body)}`);
    }
  } catch (error) {
    const why = error instanceof SyntaxError ? `invalid JSON: ${error.message}` : 'the server is unreachable';
    showResult(key, false, `Not sent: ${why}`);
  } finally {
    button.disabled = false;
  }
}

export function setUpAdmin() {
  for (const { topic, key } of TOPICS) {
    byId(`admin-${key}-json`).value = JSON.stringify(SAMPLES[key], null, 2);
    const button = byId(`admin-${key}-publish`);
    button.addEventListener('click', () =>
      runAdmin(key, button, () => {
        const data = JSON.parse(byId(`admin-${key}-json`).value);
        return postJson(`/api/notify/${topic}`, { data }, session.token);
      }),
    );
  }
  byId('admin-push-json').value = JSON.stringify(SAMPLES.push, null, 2);
  const pushButton = byId('admin-push-send');
  pushButton.addEventListener('click', () =>
    runAdmin('push', pushButton, () => {
      const user = byId('admin-push-user').value.trim();
      const event = JSON.parse(byId('admin-push-json').value);
      return postJson(`/api/push/${encodeURIComponent(user)}`, { event }, session.token);
    }),
  );
}
