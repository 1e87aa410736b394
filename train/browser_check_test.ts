import assert from "node:assert/strict";
import { decode as decodePng } from "fast-png";
import { checkInBrowser, findChromium } from "./browser_check.ts";
import { renderReport } from "./report.ts";

const chromium = await findChromium();
const SKIP = chromium === undefined
  ? " (skipped: no chromium on the PATH and CHROMIUM unset; Debian: apt-get install chromium)"
  : "";
if (SKIP) console.warn(`browser_check_test.ts:${SKIP}`);

async function withPage(html: string, fn: (file: string, dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/page.html`, html);
    await fn(`${dir}/page.html`, dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const script = new URL("./browser_check.ts", import.meta.url).pathname;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", script, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, stdout: text.decode(stdout), stderr: text.decode(stderr) };
}

Deno.test({
  name:
    `checkInBrowser() passes a rendered report and writes a screenshot of the whole page${SKIP}`,
  ignore: chromium === undefined,
  fn: async () => {
    const labels = Int32Array.from({ length: 40 }, (_, i) => i % 4);
    const features = Float32Array.from(
      { length: 40 * 4 },
      (_, i) => (i % 4 === labels[i >> 2] ? 1 : 0) + (i % 7) / 50,
    );
    const html = await renderReport({
      title: "browser <check>",
      settings: { method: "byol", seed: 3 },
      metrics: [0, 1, 2, 3].map((step) => ({
        step,
        loss: 4 - step,
        learningRate: 0.1,
        validationKnn: 0.2 * step,
      })),
      results: { knnAccuracy: 0.5, baselines: { rawPixels: { knnAccuracy: 0.25 } } },
      embedding: { features, dim: 4, labels, classNames: ["a", "b", "c", "d"] },
      views: { images: new Uint8Array(4 * 8 * 8 * 3).fill(200), shape: [4, 8, 8, 3] },
    });
    await withPage(html, async (file, dir) => {
      const result = await checkInBrowser(file, { screenshot: `${dir}/shot.png`, width: 900 });
      assert.deepEqual(result.errors, []);
      assert.equal(result.ok, true);
      assert.equal(result.title, "browser <check> — selfsup report");
      assert.match(result.browser, /^(Headless)?Chrome\/\d+/);
      const png = decodePng(await Deno.readFile(`${dir}/shot.png`));
      assert.equal(png.width, 900);
      assert.ok(
        png.height > 800,
        `a full-page screenshot is taller than the window: ${png.height}`,
      );
    });
  },
});

Deno.test({
  name: `checkInBrowser() fails on a script error, console.error and a missing resource${SKIP}`,
  ignore: chromium === undefined,
  fn: async () => {
    const html = `<!DOCTYPE html><title>bad</title>
<script>console.warn("only a warning"); console.error("boom", 42);</script>
<img src="missing.png">
<script>notDefined();</script>`;
    await withPage(html, async (file) => {
      const result = await checkInBrowser(file);
      assert.equal(result.ok, false);
      assert.equal(result.errors.length, 3, result.errors.join("\n"));
      assert.ok(result.errors.includes("console.error: boom 42"), result.errors.join("\n"));
      assert.ok(result.errors.some((e) => /ReferenceError: notDefined is not defined/.test(e)));
      assert.ok(result.errors.some((e) => /ERR_FILE_NOT_FOUND.*missing\.png/.test(e)));
      assert.deepEqual(result.warnings, ["console.warning: only a warning"]);
    });
  },
});

Deno.test({
  name: `browser_check.ts CLI exits 0 on a clean page and 1 on a script error${SKIP}`,
  ignore: chromium === undefined,
  fn: async () => {
    await withPage("<!DOCTYPE html><title>fine</title><p>ok</p>", async (file) => {
      const { code, stdout } = await cli(file);
      assert.equal(code, 0);
      assert.match(stdout, /no console errors in .*\("fine"\)/);
    });
    await withPage(
      "<!DOCTYPE html><title>x</title><script>throw new Error('bad page')</script>",
      async (file) => {
        const { code, stderr } = await cli(file);
        assert.equal(code, 1);
        assert.match(stderr, /error: uncaught: Error: bad page/);
      },
    );
  },
});

Deno.test("browser_check.ts CLI exits 2 on bad usage or a missing file, before starting a browser", async () => {
  const none = await cli();
  assert.equal(none.code, 2);
  assert.match(none.stderr, /usage: deno task report:check <file\.html> \[--screenshot out\.png\]/);
  const missing = await cli("/nonexistent/report.html");
  assert.equal(missing.code, 2);
  assert.match(
    missing.stderr,
    /checkInBrowser\(\): file must be an HTML file, got \/nonexistent\/report\.html/,
  );
  const flag = await cli("--nope", "x.html");
  assert.equal(flag.code, 2);
});

Deno.test("checkInBrowser() names a browser path that does not exist", async () => {
  await withPage("<title>t</title>", async (file) => {
    await assert.rejects(checkInBrowser(file, { chromium: "/nonexistent/chromium" }), {
      message: "checkInBrowser(): chromium must be a browser's path, got /nonexistent/chromium " +
        "(no such file)",
    });
  });
});
