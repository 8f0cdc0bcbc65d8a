/// <reference types="node" />
/**
 * @module A stand-in for one Warden tenant, for the app client's unit tests in Node: the
 * routes the client calls, answered from memory (refresh rotation with a grace window that
 * returns the same successor, reuse that revokes, `mfa_required`, tickets), a clock the test
 * moves, counters of what reached it, and a WebSocket class whose sockets the test drives.
 * Tokens are unsigned JWT-shaped strings: the client reads its own claims, it never verifies.
 */
import { createHash } from "node:crypto";

export class TestClock {
  t = 1_700_000_000_000;
  now = () => this.t;
  advance(ms: number): void {
    this.t += ms;
  }
}

interface FakeSession {
  sid: string;
  user: string;
  current: string;
  previous: string | null;
  rotatedAt: number;
  revoked: boolean;
}

const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString("base64url");

export class FakeWarden {
  readonly clock: TestClock;
  accessTtlS = 900;
  graceMs = 10_000;
  ver = 1;
  mfa = false;
  /** The tenant requires a second factor and the account has none: `mfa_enrollment_required`. */
  enrollment = false;
  /** The secret `POST /login/mfa/totp` handed out last (its code is "654321" here). */
  pendingSecret: string | null = null;
  /** Requests that reached it: `POST /refresh` and so on. */
  readonly hits: string[] = [];
  /** Make the next answers of a route fail: a status, or "network" (fetch rejects). */
  readonly failures = new Map<string, (number | "network" | "lost")[]>();
  readonly sessions = new Map<string, FakeSession>();
  readonly tickets = new Map<string, string>();
  /** Authorization codes the test has "issued", with their PKCE challenge. */
  readonly codes = new Map<string, { challenge: string; clientId: string; redirectUri: string }>();
  /** Token-endpoint requests, as forms. */
  readonly tokenRequests: Record<string, string>[] = [];
  /** Runs after Warden has acted on a request and before its answer leaves (what Warden broadcasts meanwhile). */
  beforeAnswer: ((route: string) => Promise<void>) | null = null;
  #n = 0;

  constructor(clock: TestClock) {
    this.clock = clock;
  }

  count(route: string): number {
    return this.hits.filter((h) => h === route).length;
  }

  access(sid: string, ver = this.ver): string {
    const iat = Math.floor(this.clock.now() / 1000);
    return `${b64({ alg: "EdDSA", typ: "at+jwt" })}.${b64({ sub: "u1", sid, ver, iat, exp: iat + this.accessTtlS, n: ++this.#n })}.sig`;
  }

  tokenResponse(s: FakeSession) {
    return {
      access_token: this.access(s.sid),
      token_type: "Bearer",
      expires_in: this.accessTtlS,
      refresh_token: s.current,
      session_id: s.sid,
      user: { id: "u1", email: "a@example.com", username: null, email_verified: true, pending_email: null, status: "active", metadata: {}, mfa_enabled: this.mfa, created_at: "", updated_at: "" },
    };
  }

  newSession(): FakeSession {
    const s: FakeSession = { sid: `s${++this.#n}`, user: "u1", current: `rt${++this.#n}`, previous: null, rotatedAt: 0, revoked: false };
    this.sessions.set(s.sid, s);
    return s;
  }

  /** The session an access token belongs to, if it is live and of the current version. */
  bearer(h: string | null): FakeSession | null {
    const token = /^Bearer (.+)$/.exec(h ?? "")?.[1];
    if (!token) return null;
    const c = JSON.parse(Buffer.from(token.split(".")[1], "base64url").toString());
    const s = this.sessions.get(c.sid);
    return s && !s.revoked && c.ver === this.ver && c.exp * 1000 > this.clock.now() ? s : null;
  }

  fetch = async (input: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const req = new Request(input, init);
    const url = new URL(req.url);
    const path = url.pathname.replace(/^\/v1\/t1/, "");
    const route = `${req.method} ${path}`;
    this.hits.push(route);
    const fail = this.failures.get(route)?.shift();
    if (fail === "network") throw new TypeError("fetch failed");
    const text = req.method === "GET" || req.method === "DELETE" ? "" : await req.text();
    const form = req.headers.get("content-type") === "application/x-www-form-urlencoded";
    const body = !text ? null : form ? Object.fromEntries(new URLSearchParams(text)) : JSON.parse(text);
    const res = this.#answer(route, body, req);
    await this.beforeAnswer?.(route);
    if (fail === "lost") throw new TypeError("connection reset"); // Warden acted, the answer never came
    if (typeof fail === "number") return json(fail, { error: { code: fail === 429 ? "rate_limited" : "unavailable", message: "x" } }, fail === 429 ? { "retry-after": "1" } : {});
    return res;
  };

  #answer(route: string, body: any, req: Request): Response {
    const err = (status: number, code: string, extra = {}) => json(status, { error: { code, message: code, ...extra } });
    switch (route) {
      case "POST /login":
      case "POST /signup": {
        if (body.password !== "pw") return err(401, "invalid_credentials");
        if (this.mfa) return err(401, "mfa_required", { mfa_token: "mfa1", methods: ["totp"] });
        if (this.enrollment) return err(401, "mfa_enrollment_required", { mfa_token: "enr1", methods: ["totp"] });
        return json(route === "POST /signup" ? 201 : 200, this.tokenResponse(this.newSession()));
      }
      case "POST /login/mfa/totp":
        if (body.mfa_token !== "enr1") return err(401, "invalid_token");
        this.pendingSecret = `JBSWY3DPEHPK3PXP${++this.#n}`;
        return json(200, { secret: this.pendingSecret, otpauth_uri: `otpauth://totp/T:a?secret=${this.pendingSecret}` });
      case "POST /login/mfa":
        if (body.mfa_token === "enr1") {
          if (!this.pendingSecret) return err(400, "invalid_request");
          if (body.code !== "654321") return err(401, "invalid_credentials");
          this.mfa = true;
          return json(200, { ...this.tokenResponse(this.newSession()), recovery_codes: ["aaaa-bbbb-cccc", "dddd-eeee-ffff"] });
        }
        return body.mfa_token === "mfa1" && body.code === "123456" ? json(200, this.tokenResponse(this.newSession())) : err(401, "invalid_credentials");
      case "POST /refresh": {
        for (const s of this.sessions.values()) {
          if (s.revoked) continue;
          if (s.current === body.refresh_token) {
            s.previous = s.current;
            s.current = `rt${++this.#n}`;
            s.rotatedAt = this.clock.now();
            return json(200, this.tokenResponse(s));
          }
          if (s.previous === body.refresh_token) {
            if (this.clock.now() - s.rotatedAt <= this.graceMs) return json(200, this.tokenResponse(s)); // the same successor
            s.revoked = true; // reuse
            return err(401, "invalid_token");
          }
        }
        return err(401, "invalid_token");
      }
      case "POST /logout": {
        const s = this.bearer(req.headers.get("authorization"));
        if (!s) return err(401, "invalid_token");
        s.revoked = true;
        return new Response(null, { status: 204 });
      }
      case "PATCH /me": {
        const s = this.bearer(req.headers.get("authorization"));
        if (!s) return err(401, "invalid_token");
        this.ver++;
        for (const o of this.sessions.values()) if (o !== s) o.revoked = true;
        s.current = `rt${++this.#n}`;
        s.previous = null;
        return json(200, this.tokenResponse(s));
      }
      case "POST /events/ticket": {
        const s = this.bearer(req.headers.get("authorization"));
        if (!s) return err(401, "invalid_token");
        const ticket = `tk${++this.#n}`;
        this.tickets.set(ticket, s.sid);
        return json(200, { ticket, expires_in: 60 });
      }
      case "POST /oauth/token": {
        this.tokenRequests.push(body);
        const oauthErr = (error: string) => json(400, { error, error_description: error });
        if (body.grant_type === "authorization_code") {
          const c = this.codes.get(body.code);
          this.codes.delete(body.code);
          if (!c || c.clientId !== body.client_id || c.redirectUri !== body.redirect_uri) return oauthErr("invalid_grant");
          const digest = sha256(body.code_verifier);
          if (digest !== c.challenge) return oauthErr("invalid_grant");
          const { session_id: _s, user: _u, ...answer } = this.tokenResponse(this.newSession());
          return json(200, { ...answer, scope: "openid email offline_access" });
        }
        if (body.grant_type === "refresh_token") {
          const s = [...this.sessions.values()].find((x) => x.current === body.refresh_token && !x.revoked);
          if (!s || !body.client_id) return oauthErr("invalid_grant");
          s.previous = s.current;
          s.current = `rt${++this.#n}`;
          const { session_id: _s, user: _u, ...answer } = this.tokenResponse(s);
          return json(200, { ...answer, scope: "openid email offline_access" });
        }
        return oauthErr("unsupported_grant_type");
      }
      case "GET /me": {
        const s = this.bearer(req.headers.get("authorization"));
        return s ? json(200, this.tokenResponse(s).user) : err(401, "invalid_token");
      }
      default:
        return err(404, "not_found");
    }
  }
}

function sha256(verifier: string): string {
  return createHash("sha256").update(verifier).digest("base64url");
}

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

type Listener = (ev: any) => void;

/** A WebSocket whose server side the test plays. */
export class FakeSocket {
  static all: FakeSocket[] = [];
  readonly url: URL;
  readyState = 0;
  readonly sent: string[] = [];
  readonly #listeners = new Map<string, Listener[]>();

  constructor(url: string) {
    this.url = new URL(url);
    FakeSocket.all.push(this);
    queueMicrotask(() => {
      this.readyState = 1;
      this.#emit("open", {});
    });
  }

  static get open(): FakeSocket[] {
    return FakeSocket.all.filter((s) => s.readyState === 1 || s.readyState === 0);
  }

  addEventListener(type: string, l: Listener): void {
    this.#listeners.set(type, [...(this.#listeners.get(type) ?? []), l]);
  }

  send(data: string): void {
    this.sent.push(data);
  }

  close(code = 1000): void {
    if (this.readyState >= 2) return;
    this.readyState = 3;
    queueMicrotask(() => this.#emit("close", { code }));
  }

  /** The server sends a JSON message. */
  push(m: unknown): void {
    this.#emit("message", { data: JSON.stringify(m) });
  }

  #emit(type: string, ev: unknown): void {
    for (const l of this.#listeners.get(type) ?? []) l(ev);
  }
}

/** Polls `cond` (real time) until it holds; fails the test after `ms`. */
export async function until(cond: () => boolean | Promise<boolean>, what: string, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 5));
  }
}
