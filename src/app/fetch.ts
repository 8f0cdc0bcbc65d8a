/**
 * @module `app.fetch`: `fetch` with the access token, for the app's own APIs. The token goes
 * only to the configured origins (never to a third party the app happens to call). On a 401 it
 * refreshes once and sends the request again, if its body can be sent twice: a stream body
 * cannot, and its 401 is returned as it came.
 */
import type { SessionStore } from "./session.ts";
import type { FetchLike } from "./types.ts";

function replayable(input: RequestInfo | URL, init?: RequestInit): boolean {
  const body = init?.body ?? null;
  if (body !== null) return !(typeof ReadableStream !== "undefined" && body instanceof ReadableStream);
  // A Request's own body is a stream we cannot tell apart from one built from a string: clone it.
  return true;
}

export function authorizedFetch(store: SessionStore, fetchFn: FetchLike, origins: readonly string[]): FetchLike {
  const allowed = new Set(origins.map((o) => new URL(o).origin));
  return async function wardenFetch(input, init) {
    const first = new Request(input, init);
    if (!allowed.has(new URL(first.url).origin)) return fetchFn(first);
    const token = await store.getAccessToken();
    if (!token) return fetchFn(first);
    const spare = replayable(input, init) ? first.clone() : null;
    first.headers.set("authorization", `Bearer ${token}`);
    const res = await fetchFn(first);
    if (res.status !== 401 || !spare) return res;
    const fresh = await store.refresh(token).catch(() => null);
    if (!fresh || fresh.access_token === token) return res;
    spare.headers.set("authorization", `Bearer ${fresh.access_token}`);
    void res.body?.cancel().catch(() => {});
    return fetchFn(spare);
  };
}
