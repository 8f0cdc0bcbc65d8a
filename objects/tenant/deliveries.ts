/**
 * @module What leaves the tenant object after a commit, in memory: the outbox rows a commit
 * queued (outbox.ts holds the rows and one pass over them; oauth/backchannel.ts the
 * back-channel logouts). It keeps what must outlive one request: the drain under way and
 * whether another pass was asked for, the Analytics Engine points sent but not yet deleted,
 * and the webhook and back-channel attempts that settle on their own.
 */
import { clock } from "../../src/clock.ts";
import type { Env } from "../../src/env.ts";
import type { Queued } from "./context.ts";
import type { KeyRing } from "./keys.ts";
import { drainBackchannel } from "./oauth/backchannel.ts";
import { deleteDelivered, drainOutbox, type Delivery, type WebhookDelivery } from "./outbox.ts";

/** Outbox rows delivered from memory are deleted this many at a time. */
const SENT_BATCH = 64;

/** What the deliveries need from their object, read at the time of each pass. */
export interface DeliveryHost {
  readonly sql: SqlStorage;
  readonly env: Env;
  /** The outside services (tests swap in failing ones). */
  readonly delivery: Delivery;
  /** Opens a webhook row, addressed and signed with the settings of now; null when none is configured. */
  openWebhook(payload: string): Promise<WebhookDelivery | null>;
  /** The signing keys and issuer for back-channel logouts, once the tenant is loaded. */
  backchannel(): { ring: KeyRing; issuer: string } | null;
}

export class Deliveries {
  readonly #host: DeliveryHost;
  #draining: Promise<void> | null = null;
  #pendingDrain: Promise<void> | null = null;
  #drainAgain = false;
  /** Outbox rows delivered straight after their commit and not deleted yet (see `send`). */
  #sent: number[] = [];
  /** Webhook and back-channel attempts under way; each settles on its own. */
  readonly #attempts = new Set<Promise<void>>();

  constructor(host: DeliveryHost) {
    this.#host = host;
  }

  /**
   * A commit's rows. Analytics Engine points go out at once from memory (`writeDataPoint` is
   * synchronous) and their rows are deleted SENT_BATCH at a time, instead of a read and a
   * delete per request. D1 rows, webhooks and any point that failed go through the drain,
   * which reads the due rows and records failures for the alarm to retry. Rows sent but not
   * yet deleted when the object goes away are sent again by the alarm: at least once, as the
   * outbox promises.
   */
  send(queued: Queued[]): void {
    let drain = false;
    for (const q of queued) {
      if (q.kind !== "analytics") {
        drain = true;
        continue;
      }
      try {
        this.#host.delivery.analytics(q.payload as AnalyticsEngineDataPoint);
        this.#sent.push(q.id);
      } catch {
        drain = true;
      }
    }
    if (drain) this.#drainSoon();
    else if (this.#sent.length >= SENT_BATCH) this.flushSent();
  }

  /**
   * Starts a drain on the next turn, after this request has been answered: the answer of a
   * request that queued a message then costs what the answer of one that did not costs (an
   * unknown address at /password/forgot must not answer faster than a known one).
   */
  #drainSoon(): void {
    this.#pendingDrain ??= new Promise<void>((resolve) =>
      setTimeout(() => {
        this.#pendingDrain = null;
        void this.drain().finally(resolve);
      }, 0),
    );
  }

  /** Resolves once every webhook and back-channel attempt started so far has settled. */
  async settled(): Promise<void> {
    while (this.#pendingDrain || this.#draining || this.#attempts.size) {
      await this.#pendingDrain;
      await this.#draining;
      await Promise.all([...this.#attempts]);
    }
  }

  /** Deletes the rows already sent from memory; called before anything reads the outbox. */
  flushSent(): void {
    const ids = this.#sent;
    this.#sent = [];
    deleteDelivered(this.#host.sql, ids);
  }

  /** Forgets the rows sent from memory without deleting them (the state they were in is gone). */
  forget(): void {
    this.#sent = [];
  }

  /**
   * Delivers due outbox rows now, one drain at a time. A commit that lands while a drain is
   * running asks for another pass, so its rows go out right after instead of waiting for the
   * alarm. The alarm retries whatever fails.
   */
  drain(): Promise<void> {
    if (this.#draining) {
      this.#drainAgain = true;
      return this.#draining;
    }
    this.#draining = (async () => {
      try {
        do {
          this.#drainAgain = false;
          this.flushSent();
          await drainOutbox({
            sql: this.#host.sql,
            deliver: this.#host.delivery,
            now: clock.now(),
            openWebhook: (p) => this.#host.openWebhook(p),
            started: (attempt) => this.#track(attempt, "webhook attempt failed"),
          });
          const bc = this.#host.backchannel();
          if (bc) {
            drainBackchannel({
              sql: this.#host.sql,
              ...bc,
              env: this.#host.env,
              now: () => clock.now(),
              started: (attempt) => this.#track(attempt, "back-channel logout attempt failed"),
            });
          }
        } while (this.#drainAgain);
      } catch (e) {
        console.error(JSON.stringify({ level: "error", msg: "outbox drain failed", error: String(e) }));
      } finally {
        this.#draining = null;
      }
    })();
    return this.#draining;
  }

  #track(attempt: Promise<void>, failure: string): void {
    const p = attempt.catch((e) => console.error(JSON.stringify({ level: "error", msg: failure, error: String(e) }))).finally(() => this.#attempts.delete(p));
    this.#attempts.add(p);
  }
}
