/// <reference types="node" />
/**
 * @module The admin CLI's HTTP layer: every call goes to `{url}/v1/admin{path}` with the
 * admin token, and every failure comes back as a typed `CliError` (`ApiError` when the API
 * answered with its error envelope).
 */
import type { CliConfig } from "./config.ts";
import { ApiError, CliError } from "./errors.ts";

const TIMEOUT_MS = 60_000;

export type Query = Record<string, string | number | boolean | undefined | null>;

export interface RequestOptions {
  query?: Query;
  /** For a raw body: its media type (a plain object body is always sent as JSON). */
  contentType?: string;
}

export type Body = object | Uint8Array | undefined;

export interface Http {
  /** Parsed JSON of a 2xx answer, or undefined for 204. */
  request<T = unknown>(method: string, path: string, body?: Body, options?: RequestOptions): Promise<T>;
  /** A 2xx response whose body the caller streams (exports). */
  stream(method: string, path: string, options?: RequestOptions): Promise<Response>;
}

export function createHttp(config: CliConfig): Http {
  async function send(method: string, path: string, body: Body, options: RequestOptions, timeout: boolean) {
    const url = adminUrl(config.url, path, options.query);
    const headers: Record<string, string> = { Authorization: `Bearer ${config.token}`, Accept: "application/json" };
    let payload: string | Uint8Array | undefined;
    if (body instanceof Uint8Array) {
      payload = body;
      headers["Content-Type"] = options.contentType ?? "application/octet-stream";
    } else if (body !== undefined) {
      payload = JSON.stringify(body);
      headers["Content-Type"] = "application/json";
    }
    let response: Response;
    try {
      response = await fetch(url, {
        method,
        headers,
        body: payload,
        signal: timeout ? AbortSignal.timeout(TIMEOUT_MS) : undefined,
      });
    } catch (error) {
      throw networkError(config.url, error);
    }
    if (!response.ok) throw await errorFromResponse(response);
    return response;
  }

  return {
    async request<T>(method: string, path: string, body?: Body, options: RequestOptions = {}): Promise<T> {
      const response = await send(method, path, body, options, true);
      if (response.status === 204) return undefined as T;
      const text = await response.text();
      if (text === "") return undefined as T;
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(`${method} ${path}: the server answered ${response.status} with a body that is not JSON`);
      }
    },
    stream(method: string, path: string, options: RequestOptions = {}): Promise<Response> {
      return send(method, path, undefined, options, false);
    },
  };
}

export function adminUrl(base: string, path: string, query?: Query): string {
  const url = new URL(`${base}/v1/admin${path}`);
  for (const [key, value] of Object.entries(query ?? {})) {
    if (value !== undefined && value !== null && value !== "") url.searchParams.set(key, String(value));
  }
  return url.toString();
}

/** A path segment from user input: `users show acme a/b` must not reach another route. */
export function seg(value: string): string {
  return encodeURIComponent(value);
}

/** Turns a non-2xx answer into `ApiError` when it carries the API's error envelope. */
export async function errorFromResponse(response: Response): Promise<CliError> {
  const text = await response.text().catch(() => "");
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown; details?: unknown } };
    const error = parsed.error;
    if (error && typeof error.code === "string") {
      return new ApiError(
        response.status,
        error.code,
        typeof error.message === "string" ? error.message : "",
        Array.isArray(error.details) ? error.details : undefined,
      );
    }
  } catch {
    // not JSON: fall through
  }
  const snippet = text.trim().slice(0, 200);
  return new CliError(`HTTP ${response.status} ${response.statusText}${snippet ? `: ${snippet}` : ""}`);
}

export function networkError(base: string, error: unknown): CliError {
  const err = error as Error & { cause?: { code?: string; message?: string } };
  if (err.name === "TimeoutError") return new CliError(`no answer from ${base} within ${TIMEOUT_MS / 1000} s`);
  const reason = err.cause?.code ?? err.cause?.message ?? err.message;
  return new CliError(`cannot reach ${base}: ${reason}`);
}
