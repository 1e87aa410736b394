/**
 * Opens an HTML file (the run's `report.html`) in headless Chromium and fails on console
 * errors; can write a screenshot. A function, {@linkcode checkInBrowser}, and a CLI:
 *
 * ```sh
 * deno task report:check runs/<name>/report.html [--screenshot out.png]
 * ```
 *
 * Exit code 0: the page loaded with no error; 1: errors (listed); 2: bad usage, a missing file
 * or no Chromium.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";

/** Options of {@linkcode checkInBrowser}. */
export interface BrowserCheckOptions {
  /** Write a PNG of the whole page here. */
  screenshot?: string;
  /** The browser to run (default: {@linkcode findChromium}'s answer). */
  chromium?: string;
  /** Viewport width in CSS pixels (default 1280); the screenshot is the whole page's height. */
  width?: number;
  /** Give up after this many milliseconds (default 60,000). */
  timeoutMs?: number;
  /** Wait this long after the load event for late errors (default 250 ms). */
  settleMs?: number;
}

/** What {@linkcode checkInBrowser} saw. */
export interface BrowserCheckResult {
  /** True when the page loaded and logged no error. */
  ok: boolean;
  /** Uncaught exceptions, `console.error` / `console.assert` calls and browser errors. */
  errors: string[];
  /** Console and browser warnings (reported, not failures). */
  warnings: string[];
  /** The page's `document.title`. */
  title: string;
  /** The browser's product and version, e.g. `"Chrome/156.0.8078.108"`. */
  browser: string;
}

/** Names tried on the PATH when neither the option nor `CHROMIUM` names a browser. */
const CANDIDATES = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable"];

/**
 * The path of a Chromium-family browser: the `CHROMIUM` environment variable when set, else
 * the first of `chromium`, `chromium-browser`, `google-chrome`, `google-chrome-stable` on the
 * PATH; `undefined` when there is none (Debian: `apt-get install chromium`).
 *
 * @example
 * ```ts
 * import { findChromium } from "@selfsup/train/browser_check";
 * import assert from "node:assert/strict";
 *
 * const chromium = await findChromium();
 * assert.ok(chromium === undefined || chromium.length > 0);
 * ```
 */
export async function findChromium(): Promise<string | undefined> {
  const named = Deno.env.get("CHROMIUM");
  if (named) return named;
  for (const folder of (Deno.env.get("PATH") ?? "").split(":")) {
    if (!folder) continue;
    for (const name of CANDIDATES) {
      const path = `${folder}/${name}`;
      try {
        const info = await Deno.stat(path);
        if (info.isFile && info.mode !== null && (info.mode & 0o111) !== 0) return path;
      } catch {
        // not there: try the next one
      }
    }
  }
  return undefined;
}

/**
 * Opens `file` in headless Chromium and reports errors: uncaught exceptions, `console.error`
 * and `console.assert` failures, and the browser's own errors (a resource that fails to load,
 * a Content-Security-Policy violation). Talks to the browser over the DevTools protocol
 * (`--remote-debugging-port` and a WebSocket on 127.0.0.1), so every message arrives with
 * its level rather than parsed from a log. With `screenshot`, writes a PNG of the whole page.
 *
 * Chromium runs with `--no-sandbox`: CI containers often lack the user namespaces its
 * sandbox needs, and the pages checked are our own. Its profile is a temporary folder,
 * removed afterwards.
 *
 * @param file Path of the HTML file.
 * @param options Screenshot path, browser, viewport width, timeouts.
 * @returns The errors and warnings seen, the page title and the browser version.
 * @throws {Error} No browser found, the file missing, or no answer within `timeoutMs`.
 *
 * @example A page with a script error fails the check
 * ```ts
 * import { checkInBrowser, findChromium } from "@selfsup/train/browser_check";
 * import assert from "node:assert/strict";
 *
 * if (await findChromium()) {
 *   const dir = await Deno.makeTempDir();
 *   const file = `${dir}/page.html`;
 *   await Deno.writeTextFile(file, "<title>t</title><script>missing();</script>");
 *   const result = await checkInBrowser(file);
 *   assert.equal(result.ok, false);
 *   assert.match(result.errors[0], /missing is not defined/);
 *   await Deno.remove(dir, { recursive: true });
 * }
 * ```
 */
export async function checkInBrowser(
  file: string,
  options: BrowserCheckOptions = {},
): Promise<BrowserCheckResult> {
  const path = resolve(file);
  const info = await Deno.stat(path).catch(() => undefined);
  if (!info?.isFile) throw new Error(`checkInBrowser(): file must be an HTML file, got ${file}`);
  const chromium = options.chromium ?? await findChromium();
  if (!chromium) {
    throw new Error(
      "checkInBrowser(): no Chromium found: install it (Debian: apt-get install chromium) " +
        "or set CHROMIUM to the browser's path",
    );
  }
  if (!(await Deno.stat(chromium).catch(() => undefined))?.isFile) {
    throw new Error(
      `checkInBrowser(): chromium must be a browser's path, got ${chromium} (no such file)`,
    );
  }
  const timeoutMs = options.timeoutMs ?? 60_000;
  const width = options.width ?? 1280;
  const profile = await Deno.makeTempDir({ prefix: "selfsup-chromium-" });
  const browser = new Deno.Command(chromium, {
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-dev-shm-usage",
      "--no-first-run",
      "--no-default-browser-check",
      "--disable-extensions",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--hide-scrollbars",
      "--mute-audio",
      `--user-data-dir=${profile}`,
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--window-size=${width},800`,
      "about:blank",
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  // Chromium's log goes to a pipe that must be drained, or the browser blocks when it fills.
  let log = "";
  const drained = browser.stderr.pipeThrough(new TextDecoderStream()).pipeTo(
    new WritableStream({ write: (chunk) => void (log = (log + chunk).slice(-20_000)) }),
  ).catch(() => {});
  const deadline = Date.now() + timeoutMs;
  let client: DevTools | undefined;
  try {
    const endpoint = await devToolsEndpoint(profile, browser, deadline, () => log);
    client = await DevTools.connect(endpoint, deadline);
    return await inspect(client, pathToFileURL(path).href, {
      screenshot: options.screenshot,
      settleMs: options.settleMs ?? 250,
    });
  } finally {
    await client?.send("Browser.close").catch(() => {});
    client?.close();
    const exited = await Promise.race([
      browser.status.then(() => true),
      delay(5000).then(() => false),
    ]);
    if (!exited) {
      browser.kill("SIGKILL");
      await browser.status;
    }
    await drained;
    await removeProfile(profile);
  }
}

async function inspect(
  client: DevTools,
  url: string,
  options: { screenshot?: string; settleMs: number },
): Promise<BrowserCheckResult> {
  const { product } = await client.send("Browser.getVersion") as { product: string };
  const { targetId } = await client.send("Target.createTarget", { url: "about:blank" }) as {
    targetId: string;
  };
  const { sessionId } = await client.send("Target.attachToTarget", {
    targetId,
    flatten: true,
  }) as { sessionId: string };
  const errors: string[] = [];
  const warnings: string[] = [];
  client.on(sessionId, (method, params) => {
    if (method === "Runtime.exceptionThrown") {
      errors.push(exceptionText(params.exceptionDetails as ExceptionDetails));
    } else if (method === "Runtime.consoleAPICalled") {
      const type = params.type as string;
      const text = `console.${type}: ${(params.args as RemoteObject[]).map(remoteText).join(" ")}`;
      if (type === "error" || type === "assert") errors.push(text);
      else if (type === "warning") warnings.push(text);
    } else if (method === "Log.entryAdded") {
      const entry = params.entry as { level: string; text: string; url?: string; source: string };
      const text = `${entry.source}: ${entry.text}${entry.url ? ` (${entry.url})` : ""}`;
      if (entry.level === "error") errors.push(text);
      else if (entry.level === "warning") warnings.push(text);
    }
  });
  const loaded = client.once(sessionId, "Page.loadEventFired");
  for (const domain of ["Runtime", "Log", "Page"]) {
    await client.send(`${domain}.enable`, {}, sessionId);
  }
  const navigation = await client.send("Page.navigate", { url }, sessionId) as {
    errorText?: string;
  };
  if (navigation.errorText) errors.push(`navigation: ${navigation.errorText}`);
  else await loaded;
  await delay(options.settleMs);
  const evaluated = await client.send("Runtime.evaluate", {
    expression: "document.title",
    returnByValue: true,
  }, sessionId) as { result: { value?: unknown } };
  const title = String(evaluated.result.value ?? "");
  if (options.screenshot) {
    const metrics = await client.send("Page.getLayoutMetrics", {}, sessionId) as {
      cssContentSize: { width: number; height: number };
    };
    const { width, height } = metrics.cssContentSize;
    const shot = await client.send("Page.captureScreenshot", {
      format: "png",
      captureBeyondViewport: true,
      // Chromium refuses textures past 16,384 px; a taller page is cut there.
      clip: {
        x: 0,
        y: 0,
        width: Math.ceil(width),
        height: Math.min(Math.ceil(height), 16_384),
        scale: 1,
      },
    }, sessionId) as { data: string };
    await Deno.writeFile(options.screenshot, decodeBase64(shot.data));
  }
  return { ok: errors.length === 0, errors, warnings, title, browser: product };
}

interface RemoteObject {
  type: string;
  value?: unknown;
  description?: string;
  unserializableValue?: string;
}

interface ExceptionDetails {
  text: string;
  url?: string;
  lineNumber?: number;
  exception?: RemoteObject;
}

function remoteText(object: RemoteObject): string {
  if (object.value !== undefined) {
    return typeof object.value === "string" ? object.value : JSON.stringify(object.value);
  }
  return object.unserializableValue ?? object.description ?? object.type;
}

function exceptionText(details: ExceptionDetails): string {
  const what = details.exception?.description ?? details.text;
  const where = details.url ? ` (${details.url}:${(details.lineNumber ?? 0) + 1})` : "";
  return `uncaught: ${what}${where}`;
}

/** Waits for the `DevToolsActivePort` file Chromium writes into its profile once it listens. */
async function devToolsEndpoint(
  profile: string,
  process: Deno.ChildProcess,
  deadline: number,
  log: () => string,
): Promise<string> {
  let exited = false;
  process.status.then(() => exited = true);
  while (Date.now() < deadline) {
    const text = await Deno.readTextFile(`${profile}/DevToolsActivePort`).catch(() => "");
    const [port, path] = text.split("\n");
    if (port && path) return `ws://127.0.0.1:${port.trim()}${path.trim()}`;
    if (exited) throw new Error(`checkInBrowser(): Chromium exited early:\n${log().trim()}`);
    await delay(50);
  }
  throw new Error(`checkInBrowser(): Chromium did not start in time:\n${log().trim()}`);
}

type Listener = (method: string, params: Record<string, unknown>) => void;

/** A minimal DevTools-protocol client: numbered calls and per-session event listeners. */
class DevTools {
  #socket: WebSocket;
  #next = 1;
  #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  #listeners = new Map<string, Listener[]>();
  #deadline: number;

  private constructor(socket: WebSocket, deadline: number) {
    this.#socket = socket;
    this.#deadline = deadline;
    socket.onmessage = (event) => {
      const message = JSON.parse(event.data as string);
      if (message.id !== undefined) {
        const pending = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        if (message.error) pending?.reject(new Error(`DevTools: ${message.error.message}`));
        else pending?.resolve(message.result);
      } else {
        for (const listener of this.#listeners.get(message.sessionId ?? "") ?? []) {
          listener(message.method, message.params ?? {});
        }
      }
    };
    socket.onclose = () => {
      for (const pending of this.#pending.values()) {
        pending.reject(new Error("checkInBrowser(): the browser closed the connection"));
      }
      this.#pending.clear();
    };
  }

  static connect(url: string, deadline: number): Promise<DevTools> {
    return new Promise((resolve, reject) => {
      const socket = new WebSocket(url);
      socket.onopen = () => resolve(new DevTools(socket, deadline));
      socket.onerror = () => reject(new Error(`checkInBrowser(): cannot connect to ${url}`));
    });
  }

  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<unknown> {
    const id = this.#next++;
    this.#socket.send(JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) }));
    const answer = new Promise((resolve, reject) => this.#pending.set(id, { resolve, reject }));
    return this.#withinDeadline(answer, method);
  }

  on(sessionId: string, listener: Listener): void {
    this.#listeners.set(sessionId, [...(this.#listeners.get(sessionId) ?? []), listener]);
  }

  once(sessionId: string, event: string): Promise<void> {
    return this.#withinDeadline(
      new Promise<void>((resolve) => this.on(sessionId, (m) => m === event && resolve())),
      event,
    );
  }

  close(): void {
    if (this.#socket.readyState <= WebSocket.OPEN) this.#socket.close();
  }

  #withinDeadline<T>(promise: Promise<T>, what: string): Promise<T> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`checkInBrowser(): timed out waiting for ${what}`)),
        Math.max(0, this.#deadline - Date.now()),
      );
    });
    return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
  }
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function decodeBase64(text: string): Uint8Array {
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Chromium's helpers may still write to the profile for a moment after it exits. */
async function removeProfile(profile: string): Promise<void> {
  for (let attempt = 0; attempt < 10; attempt++) {
    try {
      await Deno.remove(profile, { recursive: true });
      return;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return;
      await delay(100);
    }
  }
}

const USAGE = "usage: deno task report:check <file.html> [--screenshot out.png]";

/** The CLI: returns the exit code. */
async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      options: { screenshot: { type: "string" }, help: { type: "boolean", short: "h" } },
    });
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (parsed.values.help) {
    console.log(USAGE);
    return 0;
  }
  if (parsed.positionals.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const file = parsed.positionals[0];
  let result: BrowserCheckResult;
  try {
    result = await checkInBrowser(file, { screenshot: parsed.values.screenshot });
  } catch (error) {
    console.error((error as Error).message);
    return 2;
  }
  for (const warning of result.warnings) console.error(`warning: ${warning}`);
  for (const error of result.errors) console.error(`error: ${error}`);
  if (parsed.values.screenshot) console.error(`screenshot: ${parsed.values.screenshot}`);
  if (!result.ok) {
    console.error(`${file}: ${result.errors.length} error(s) in ${result.browser}`);
    return 1;
  }
  console.log(`${file}: no console errors in ${result.browser} ("${result.title}")`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
