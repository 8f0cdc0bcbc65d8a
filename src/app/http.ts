/**
 * @module Calls to one tenant's routes (`{baseUrl}/v1/{tenant}{path}`): JSON in and out, the
 * bearer token when given, and every failure as a WardenError. No `credentials` or `cache`
 * init fields: some runtimes (older Workers, React Native) refuse them.
 */
import { errorFrom, WardenError } from "./errors.ts";
import type { FetchLike } from "./types.ts";

export interface CallOptions {
  body?: unknown;
  /** An `application/x-www-form-urlencoded` body instead (the OAuth token endpoint, RFC 6749 section 4.1.3). */
  form?: Record<string, string>;
  /** The access token to send as `Authorization: Bearer`. */
  token?: string | null;
}

export interface Http {
  /** `{baseUrl}/v1/{tenant}` */
  readonly tenantUrl: string;
  call<T>(method: string, path: string, o?: CallOptions): Promise<T>;
}

export function createHttp(baseUrl: string, tenant: string, fetchFn: FetchLike): Http {
  const tenantUrl = `${baseUrl.replace(/\/+$/, "")}/v1/${encodeURIComponent(tenant)}`;
  return {
    tenantUrl,
    async call<T>(method: string, path: string, o: CallOptions = {}): Promise<T> {
      const headers: Record<string, string> = { accept: "application/json" };
      if (o.token) headers.authorization = `Bearer ${o.token}`;
      if (o.body !== undefined) headers["content-type"] = "application/json";
      if (o.form) headers["content-type"] = "application/x-www-form-urlencoded";
      let res: Response;
      try {
        res = await fetchFn(`${tenantUrl}${path}`, {
          method,
          headers,
          body: o.form ? new URLSearchParams(o.form).toString() : o.body === undefined ? undefined : JSON.stringify(o.body),
        });
      } catch (e) {
        throw new WardenError("network", `Warden could not be reached: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
      }
      if (!res.ok) throw await errorFrom(res);
      if (res.status === 204) return undefined as T;
      const text = await res.text();
      return (text ? JSON.parse(text) : undefined) as T;
    },
  };
}
