/// <reference types="node" />
/**
 * @module Debian's Firefox ESR, driven over WebDriver BiDi (W3C) with a WebSocket: launch with
 * `--remote-debugging-port`, `session.new`, then navigate, evaluate, click and type through
 * `browsingContext` and `script`. playwright-core's Firefox path needs BiDi commands that ESR
 * does not have yet (`emulation.setMediaFeaturesOverride`), and puppeteer-core is not a
 * dependency; the few commands a form test needs are standard and small.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import WebSocket from "ws";

export const FIREFOX = process.env.FIREFOX_PATH ?? "/usr/bin/firefox-esr";

type Json = Record<string, any>;

export interface Firefox {
  /** Navigates and waits for the load event. */
  goto(url: string): Promise<void>;
  /** Evaluates `expression` (a function body's value) in the page; resolves with its JSON value. */
  eval<T = unknown>(expression: string): Promise<T>;
  /** Sets a labelled field's value, as typing would. */
  fill(label: string, value: string): Promise<void>;
  /** Clicks the button with this text and waits for the page it submits to (a plain form POST). */
  submit(buttonText: string): Promise<void>;
  /** Resolves once `text` is in the page, or rejects after `ms`. */
  waitForText(text: string, ms?: number): Promise<void>;
  close(): Promise<void>;
}

export async function launchFirefox(): Promise<Firefox> {
  if (!existsSync(FIREFOX)) throw new Error(`no Firefox at ${FIREFOX}: apt-get install firefox-esr (.ci/run does)`);
  const profile = await mkdtemp(join(tmpdir(), "warden-ff-"));
  // No first-run pages, no updates, no network beyond what the test opens.
  await writeFile(join(profile, "user.js"), ['user_pref("browser.shell.checkDefaultBrowser", false);', 'user_pref("app.update.enabled", false);', 'user_pref("datareporting.policy.dataSubmissionEnabled", false);', 'user_pref("browser.startup.homepage_override.mstone", "ignore");', 'user_pref("network.captive-portal-service.enabled", false);'].join("\n"));
  const child: ChildProcess = spawn(FIREFOX, ["--headless", "--no-remote", "--profile", profile, "--remote-debugging-port", "0"], { stdio: ["ignore", "pipe", "pipe"] });
  const wsUrl = await new Promise<string>((resolve, reject) => {
    let seen = "";
    const timer = setTimeout(() => reject(new Error(`Firefox did not open WebDriver BiDi: ${seen.slice(-500)}`)), 60_000);
    const read = (b: Buffer) => {
      seen += b.toString();
      const m = /WebDriver BiDi listening on (ws:\/\/[^\s]+)/.exec(seen);
      if (m) (clearTimeout(timer), resolve(m[1]));
    };
    child.stderr!.on("data", read);
    child.stdout!.on("data", read);
    child.on("exit", (code) => reject(new Error(`Firefox exited (${code}): ${seen.slice(-500)}`)));
  });
  const ws = new WebSocket(`${wsUrl}/session`);
  await new Promise((r, j) => (ws.once("open", r), ws.once("error", j)));
  let next = 1;
  const pending = new Map<number, { resolve(v: Json): void; reject(e: Error): void }>();
  ws.on("message", (data) => {
    const m = JSON.parse(String(data)) as Json;
    const p = m.id !== undefined ? pending.get(m.id) : undefined;
    if (!p) return;
    pending.delete(m.id);
    if (m.type === "error") p.reject(new Error(`${m.error}: ${m.message}`));
    else p.resolve(m.result);
  });
  const send = (method: string, params: Json = {}): Promise<Json> =>
    new Promise((resolve, reject) => {
      const id = next++;
      pending.set(id, { resolve, reject });
      ws.send(JSON.stringify({ id, method, params }));
    });

  await send("session.new", { capabilities: {} });
  const tree = await send("browsingContext.getTree", {});
  const context = tree.contexts[0].context as string;

  const evaluate = async <T>(expression: string): Promise<T> => {
    const r = await send("script.evaluate", { expression: `JSON.stringify((() => { ${expression} })() ?? null)`, target: { context }, awaitPromise: true, resultOwnership: "none" });
    if (r.type === "exception") throw new Error(`in page: ${r.exceptionDetails?.text}`);
    return JSON.parse(r.result.value) as T;
  };
  /** Waits for the document after a submission: loaded, and not the one that carried the mark. */
  const loaded = async () => {
    for (let i = 0; i < 200; i++) {
      const s = await evaluate<{ state: string; mark: boolean }>("return { state: document.readyState, mark: !!window.__wardenMark };").catch(() => null);
      if (s && s.state === "complete" && !s.mark) return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error("the form's page did not load");
  };
  const labelled = (label: string) =>
    `const l = [...document.querySelectorAll("label")].find((x) => x.textContent.trim() === ${JSON.stringify(label)}); const el = l && (l.control ?? document.getElementById(l.htmlFor)); if (!el) throw new Error("no field labelled " + ${JSON.stringify(label)});`;

  return {
    async goto(url) {
      await send("browsingContext.navigate", { context, url, wait: "complete" });
    },
    eval: evaluate,
    async fill(label, value) {
      await evaluate(`${labelled(label)} el.focus(); el.value = ${JSON.stringify(value)}; el.dispatchEvent(new Event("input", { bubbles: true })); return true;`);
    },
    async submit(buttonText) {
      // A mark on the old document: the new one (even at the same URL, after a POST) has none.
      await evaluate(
        `window.__wardenMark = true; const b = [...document.querySelectorAll("button")].find((x) => x.textContent.trim() === ${JSON.stringify(buttonText)}); if (!b) throw new Error("no button " + ${JSON.stringify(buttonText)}); setTimeout(() => b.click(), 0); return true;`,
      );
      await loaded();
    },
    async waitForText(text, ms = 10_000) {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        if (await evaluate<boolean>(`return document.body.innerText.includes(${JSON.stringify(text)});`).catch(() => false)) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`"${text}" never appeared; the page says: ${(await evaluate<string>("return document.body.innerText;").catch(() => "")).slice(0, 400)}`);
    },
    async close() {
      await send("session.end").catch(() => {});
      ws.close();
      child.kill("SIGTERM");
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.once("exit", r)));
      await rm(profile, { recursive: true, force: true });
    },
  };
}
