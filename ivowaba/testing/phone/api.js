// The emulator's control API (/_emulator/...) and its live events.

const PREFIX = "/_emulator/";

export class ApiError extends Error {}

/** Call the control API: JSON in, JSON out; an answer other than 2xx throws its message. */
export async function call(method, path, body) {
  const options = { method, headers: { "Content-Type": "application/json" } };
  if (method !== "GET") options.body = JSON.stringify(body ?? {});
  else delete options.headers;
  const response = await fetch(PREFIX + path, options);
  const data = await response.json().catch(() => ({}));
  if (!response.ok) throw new ApiError(data.message || `${response.status} ${response.statusText}`);
  return data;
}

/** A customer's message of ``kind`` (text, image, location, button-reply, ...). */
export function inbound(kind, fields) {
  return call("POST", `inbound/${kind}`, fields);
}

/**
 * Listen to the live events: ``onEvent(event)`` for each, ``onLink(up)`` when the stream
 * opens or breaks (the browser reconnects by itself).
 */
export function listen(onEvent, onLink) {
  const source = new EventSource(PREFIX + "events");
  source.onmessage = (message) => onEvent(JSON.parse(message.data));
  source.onopen = () => onLink(true);
  source.onerror = () => onLink(false);
  return source;
}

/** ``file``'s content as base64 (for an upload as JSON). */
export function base64Of(file) {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).split(",", 2)[1] ?? "");
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}
