// The page's JSON requests to the service, and the reason to show when one is refused.

/** Nest's error body holds `message` as a string or, from validation, a list of them. */
export function httpMessage(body) {
  const message = body?.message;
  if (Array.isArray(message)) return message.join('; ');
  return typeof message === 'string' ? message : 'no details';
}

/** POSTs `payload` as JSON with the bearer `token`; `body` is null when the answer is not JSON. */
export async function postJson(path, payload, token) {
  const response = await fetch(path, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
    body: JSON.stringify(payload),
  });
  const body = await response.json().catch(() => null);
  return { response, body };
}
