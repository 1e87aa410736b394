import assert from "node:assert/strict";
import fc from "fast-check";
import { decode as decodePng } from "fast-png";
import { Random } from "@selfsup/internal";
import { renderReport, type ReportInput } from "./report.ts";
import { assertAllClose } from "../internal/testing.ts";
import { pca2 } from "./_embedding_map.ts";

/** Texts of the `<text>` elements of an SVG (axis titles, chart titles, legend labels). */
function svgTexts(svg: string): string[] {
  return [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]);
}

function svgs(html: string): string[] {
  return [...html.matchAll(/<svg[\s\S]*?<\/svg>/g)].map((m) => m[0]);
}

/** Clustered synthetic embeddings: class c is bright in feature c. */
function clusters(n: number, dim: number, classes: number, seed: number) {
  const random = new Random(seed);
  const labels = new Int32Array(n);
  const features = new Float32Array(n * dim);
  for (let i = 0; i < n; i++) {
    labels[i] = i % classes;
    for (let j = 0; j < dim; j++) {
      features[i * dim + j] = (j === labels[i] ? 4 : 0) + 0.3 * random.normal();
    }
  }
  return { features, labels, dim };
}

function input(overrides: Partial<ReportInput> = {}): ReportInput {
  return {
    title: "fashion run",
    settings: { method: "simclr", seed: 7, optimizer: { name: "lars", momentum: 0.9 } },
    metrics: Array.from({ length: 30 }, (_, step) => ({
      step,
      epoch: Math.floor(step / 10),
      loss: 5 - step / 10,
      learningRate: 0.01 * step,
      ...(step % 10 === 9 ? { validationKnn: 0.5 + step / 100 } : {}),
    })),
    results: {
      knnAccuracy: 0.8125,
      linearProbeAccuracy: 0.84375,
      baselines: { rawPixels: { knnAccuracy: 0.765625, linearProbeAccuracy: 0.796875 } },
      trainSeconds: 612.5,
      backend: "blas",
    },
    ...overrides,
  };
}

const CLASS_NAMES = ["T-shirt/top", "Trouser", "<b>Bag</b> & co"];

Deno.test("renderReport() draws the loss, learning-rate and kNN curves as inline SVG with axis titles", async () => {
  const html = await renderReport(input());
  const charts = svgs(html);
  assert.equal(charts.length, 3);
  assert.deepEqual(
    charts.map((svg) => svgTexts(svg).filter((t) => !/^[\d.,%−-]+$/.test(t))),
    [
      ["step", "loss", "training loss"],
      ["step", "learning rate", "learning rate"],
      ["step", "validation kNN accuracy (%)", "kNN accuracy on the validation slice"],
    ],
  );
  // No script is needed to see the page, and none may be loaded.
  assert.ok(!/<script/i.test(html));
  assert.match(html, /Content-Security-Policy" content="default-src 'none'/);
  assert.ok(!/\b(src|href)="https?:/.test(html));
});

Deno.test("renderReport() adds a momentum curve when the metrics log one (BYOL)", async () => {
  const metrics = [0, 1, 2].map((step) => ({ step, loss: 1, momentum: 0.99 + step / 1000 }));
  const charts = svgs(await renderReport(input({ metrics })));
  assert.equal(charts.length, 2);
  assert.ok(svgTexts(charts[1]).includes("momentum"));
});

Deno.test("renderReport() tables every accuracy of the results as a percentage beside the baselines", async () => {
  const html = await renderReport(input({
    results: {
      knnAccuracy: 0.8125,
      linearProbeAccuracy: 0.84375,
      fineTuned: { accuracy: 0.5, labels: 600 },
      distilledAccuracy: 0.625,
      baselines: {
        rawPixels: { knnAccuracy: 0.765625, linearProbeAccuracy: 0.796875 },
        chance: 0.1,
      },
    },
  }));
  const table = html.match(/<table class="accuracy">[\s\S]*?<\/table>/)?.[0] ?? "";
  const rows = [...table.matchAll(/<tr>([\s\S]*?)<\/tr>/g)].map((row) =>
    [...row[1].matchAll(/<t[hd][^>]*>([^<]*)<\/t[hd]>/g)].map((cell) => cell[1])
  );
  assert.deepEqual(rows, [
    ["model", "kNN", "linear probe", "distilled", "accuracy"],
    ["simclr (this run)", "81.25%", "84.38%", "62.50%", ""],
    ["fine tuned", "", "", "", "50.00%"],
    ["raw pixels (baseline)", "76.56%", "79.69%", "", ""],
    ["chance (baseline)", "", "", "", "10.00%"],
  ]);
  // What is not an accuracy is listed under "Run", the settings under "Settings".
  assert.match(html, /<tr><th>fineTuned\.labels<\/th><td class="number">600<\/td><\/tr>/);
  assert.match(html, /<tr><th>optimizer\.momentum<\/th><td class="number">0\.9<\/td><\/tr>/);
  assert.ok(!html.includes("<th>knnAccuracy</th>"));
});

Deno.test("renderReport() names the validation slice where the run was evaluated on it, and needs no baseline", async () => {
  const { features, labels } = clusters(20, 3, 3, 2);
  const embedding = { features, labels, dim: 3, classNames: CLASS_NAMES };
  const results = { knnAccuracy: 0.5, baselines: {}, stages: [{ name: "pretrain", steps: 3 }] };
  const validation = await renderReport(input({
    results: { ...results, evaluatedOn: "validation" },
    embedding,
    map: "pca",
  }));
  assert.match(validation, /<h2>Validation accuracy<\/h2>/);
  assert.match(validation, /<caption>accuracy on the validation slice<\/caption>/);
  assert.match(validation, /<h2>Validation embeddings<\/h2>/);
  assert.ok(
    svgs(validation).some((svg) => svgTexts(svg).includes("PCA of the validation embeddings")),
  );
  assert.ok(!/test split|Test accuracy|test embeddings/i.test(validation));
  assert.ok(!validation.includes("(baseline)"));
  const test = await renderReport(input({ results, embedding, map: "pca" }));
  assert.match(test, /<h2>Test accuracy<\/h2>/);
  assert.match(test, /<caption>accuracy on the test split<\/caption>/);
  assert.ok(svgs(test).some((svg) => svgTexts(svg).includes("PCA of the test embeddings")));
});

Deno.test("renderReport() escapes the title, settings and class names", async () => {
  const html = await renderReport(input({
    title: `<script>alert("x")</script>`,
    settings: { data: "folder:/home/u/<img src=x onerror=alert(1)>", "a&b": "'q'" },
    embedding: { ...clusters(12, 3, 3, 1), classNames: CLASS_NAMES },
  }));
  assert.ok(!/<script|<img src=x|<b>/i.test(html));
  assert.ok(html.includes("<h1>&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;</h1>"));
  assert.ok(html.includes("<th>a&amp;b</th><td>&#39;q&#39;</td>"));
  assert.ok(html.includes("folder:/home/u/&lt;img src=x onerror=alert(1)&gt;"));
  const map = svgs(html).at(-1)!;
  assert.ok(svgTexts(map).includes("&lt;b&gt;Bag&lt;/b&gt; &amp; co"));
});

Deno.test("renderReport() escapes any title (property)", async () => {
  const reference = (s: string) =>
    s.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;")
      .replaceAll('"', "&quot;").replaceAll("'", "&#39;");
  await fc.assert(
    fc.asyncProperty(fc.string({ unit: "binary", maxLength: 30 }), async (title) => {
      const html = await renderReport({ title, settings: {}, metrics: [], results: {} });
      assert.ok(html.includes(`<h1>${reference(title)}</h1>`));
      assert.equal(html.match(/<h1>[^<]*<\/h1>/g)?.length, 1);
    }),
    { numRuns: 40 },
  );
});

Deno.test("renderReport() maps the embeddings coloured by class, the same for the same seed", async () => {
  const embedding = { ...clusters(60, 8, 3, 2), classNames: CLASS_NAMES };
  const render = (seed: number) => renderReport(input({ embedding, seed }));
  const [a, b, c] = [await render(11), await render(11), await render(12)];
  assert.equal(a, b);
  const maps = [a, c].map((html) => svgs(html).at(-1)!);
  assert.notEqual(maps[0], maps[1]);
  assert.equal(svgs(a).length, 4);
  const texts = svgTexts(maps[0]);
  for (const text of ["UMAP 1", "UMAP 2", "class", "Trouser", "UMAP of the test embeddings"]) {
    assert.ok(texts.includes(text), text);
  }
  // One circle per point.
  const symbols = maps[0].match(/<g class="mark-symbol role-mark[^"]*"[^>]*>([\s\S]*?)<\/g>/)?.[1];
  assert.equal(symbols?.match(/<path/g)?.length, 60);
  assert.match(a, /60 test images, 8-dimensional encoder features, laid out in 2-D by UMAP/);
});

Deno.test("renderReport() samples at most mapPoints points and uses PCA when asked", async () => {
  const embedding = { ...clusters(50, 4, 3, 3), classNames: CLASS_NAMES };
  const html = await renderReport(input({ embedding, map: "pca", mapPoints: 20 }));
  assert.match(
    html,
    /20 of 50 test images, 4-dimensional encoder features, laid out in 2-D by PCA/,
  );
  const texts = svgTexts(svgs(html).at(-1)!);
  assert.ok(texts.includes("PC 1") && texts.includes("PCA of the test embeddings"));
});

Deno.test("pca2() projects on the axes of largest variance", () => {
  // Variance 9 along x, 1 along y (after centring at (1, 2)).
  const points = new Float32Array([4, 2, -2, 2, 1, 3, 1, 1]);
  const scores = pca2(points, 2, 5);
  assertAllClose([scores], [[3, 0, -3, 0, 0, 1, 0, -1]], 1e-9);
});

Deno.test("pca2() agrees with the closed-form eigenvectors of a 2 x 2 covariance (property)", () => {
  fc.assert(
    fc.property(fc.integer({ min: 3, max: 20 }), fc.integer({ min: 1, max: 1000 }), (n, seed) => {
      const random = new Random(seed);
      const features = Float32Array.from(
        { length: 2 * n },
        (_, i) => random.normal() * (i % 2 ? 1 : 3),
      );
      let mx = 0, my = 0;
      for (let i = 0; i < n; i++) {
        [mx, my] = [mx + features[2 * i] / n, my + features[2 * i + 1] / n];
      }
      let sxx = 0, syy = 0, sxy = 0;
      for (let i = 0; i < n; i++) {
        const [x, y] = [features[2 * i] - mx, features[2 * i + 1] - my];
        [sxx, syy, sxy] = [sxx + x * x, syy + y * y, sxy + x * y];
      }
      // Power iteration needs a gap between the two variances to settle within its rounds.
      const half = Math.hypot((sxx - syy) / 2, sxy);
      fc.pre((sxx + syy) / 2 - half < 0.9 * ((sxx + syy) / 2 + half));
      const angle = 0.5 * Math.atan2(2 * sxy, sxx - syy);
      const [c, s] = [Math.cos(angle), Math.sin(angle)];
      const expected = new Float64Array(2 * n);
      for (let i = 0; i < n; i++) {
        const [x, y] = [features[2 * i] - mx, features[2 * i + 1] - my];
        [expected[2 * i], expected[2 * i + 1]] = [
          Math.abs(c * x + s * y),
          Math.abs(-s * x + c * y),
        ];
      }
      const scores = pca2(features, 2, seed).map(Math.abs);
      assertAllClose([scores], [expected], 1e-5);
    }),
    { numRuns: 100 },
  );
});

Deno.test("pca2() scores are uncorrelated with the first of larger variance (property)", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 20, max: 40 }),
      fc.integer({ min: 2, max: 5 }),
      fc.integer({ min: 1, max: 1000 }),
      (n, dim, seed) => {
        const random = new Random(seed);
        // Spread 1, 1/2, 1/4, ... per feature: variances apart, so the axes settle.
        const features = Float32Array.from(
          { length: n * dim },
          (_, i) => random.normal() / 2 ** (i % dim),
        );
        const scores = pca2(features, dim, seed);
        let v1 = 0, v2 = 0, cross = 0;
        for (let i = 0; i < n; i++) {
          v1 += scores[2 * i] ** 2;
          v2 += scores[2 * i + 1] ** 2;
          cross += scores[2 * i] * scores[2 * i + 1];
        }
        assert.ok(v1 >= v2 * (1 - 1e-6), `${v1} < ${v2}`);
        assert.ok(Math.abs(cross) <= 1e-6 * (v1 + 1), `cross ${cross}`);
      },
    ),
    { numRuns: 50 },
  );
});

Deno.test("renderReport() shows the view pairs as PNG data URLs holding the pixels", async () => {
  const images = Uint8Array.from({ length: 4 * 3 * 2 * 3 }, (_, i) => i * 3);
  const html = await renderReport(input({ views: { images, shape: [4, 3, 2, 3] } }));
  const pairs = [...html.matchAll(/<div class="pair">([\s\S]*?)<\/div>/g)];
  assert.equal(pairs.length, 2);
  const urls = [...html.matchAll(/src="data:image\/png;base64,([^"]+)"/g)].map((m) => m[1]);
  assert.equal(urls.length, 4);
  const png = decodePng(Uint8Array.from(atob(urls[3]), (c) => c.charCodeAt(0)));
  assert.deepEqual([png.width, png.height, png.channels], [2, 3, 3]);
  assert.deepEqual(Array.from(png.data), Array.from(images.subarray(54, 72)));
});

Deno.test("renderReport() leaves out the sections it has no data for", async () => {
  const html = await renderReport({ title: "t", settings: {}, metrics: [], results: {} });
  assert.equal(svgs(html).length, 0);
  assert.ok(!/<h2>/.test(html));
});

Deno.test("renderReport() refuses inputs that do not fit, naming the field", async () => {
  const { features, labels } = clusters(4, 2, 2, 1);
  const cases: Array<[Partial<ReportInput>, string, string]> = [
    [
      {
        embedding: {
          features,
          dim: 2,
          labels: [0, 1, 0, 1] as unknown as Int32Array,
          classNames: ["a", "b"],
        },
      },
      "TypeError",
      "renderReport(): input.embedding.labels must be an Int32Array, got [0, 1, 0, 1]",
    ],
    [
      { embedding: { features, dim: 3, labels, classNames: ["a", "b"] } },
      "RangeError",
      "renderReport(): input.embedding.features.length must be labels.length * dim = 12, got 8",
    ],
    [
      { embedding: { features, dim: 2, labels, classNames: ["a"] } },
      "RangeError",
      "renderReport(): input.embedding.labels must be in [0, 1), got 1",
    ],
    [
      { views: { images: new Uint8Array(12), shape: [3, 2, 2, 1] } },
      "RangeError",
      "renderReport(): input.views.shape[0] must be even (pairs of views), got 3",
    ],
    [
      { views: { images: new Uint8Array(10), shape: [2, 2, 3, 1] } },
      "RangeError",
      "renderReport(): input.views.images.length must be N * H * W * C = 12, got 10",
    ],
    [
      { map: "tsne" as "pca" },
      "RangeError",
      'renderReport(): input.map must be one of "umap", "pca", got "tsne"',
    ],
    [
      { title: 3 as unknown as string },
      "TypeError",
      "renderReport(): input.title must be a string, got 3",
    ],
  ];
  let checked = 0;
  for (const [overrides, name, message] of cases) {
    await assert.rejects(renderReport(input(overrides)), { name, message });
    checked++;
  }
  assert.equal(checked, cases.length);
});
