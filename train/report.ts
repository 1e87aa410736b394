/**
 * The run's `report.html`: one self-contained page a person reads offline.
 *
 * @module
 */
import {
  checkInteger,
  checkOneOf,
  checkOptions,
  checkSeed,
  deriveSeed,
  permutation,
  rangeError,
  typeError,
} from "@selfsup/internal";
import { encode as encodePng } from "fast-png";
import type { TopLevelSpec } from "vega-lite";
import { embeddingMap, type MapMethod } from "./_embedding_map.ts";
import { vegaLiteSvg } from "./_vega_svg.ts";

/** What {@linkcode renderReport} draws: the run folder's files, read back, and a few arrays. */
export interface ReportInput {
  /** The run's name (the page title). */
  title: string;
  /** `config.json`'s content: shown as a table, nested objects as dotted keys. */
  settings: Record<string, unknown>;
  /**
   * `metrics.jsonl`'s lines: `step`, `epoch`, `loss`, `learningRate` (or `lr`), `momentum`, ...;
   * the lines with a `validationKnn` fraction make the kNN curve.
   */
  metrics: Array<Record<string, number>>;
  /**
   * `results.json`'s content. Every number whose key ends in `accuracy` (any case) is a
   * fraction shown as a percentage: the top-level ones as this run's row, those in a nested
   * object (e.g. `fineTuned: { accuracy }`) as a row named by its key, and each entry of
   * `baselines` (a number, or an object of accuracies) as a baseline row. Other fields are
   * listed under "Run".
   */
  results: Record<string, unknown>;
  /**
   * Test (or validation) embeddings for the 2-D map: `features` is `[N * dim]` row-major, `labels` `[N]` class
   * indices into `classNames`.
   */
  embedding?: {
    features: Float32Array;
    dim: number;
    labels: Int32Array;
    classNames: readonly string[];
  };
  /**
   * Augmented views, `[N, H, W, C]` uint8 with C = 1, 3 or 4 and N even: images `2k` and
   * `2k + 1` are the two views of one image.
   */
  views?: { images: Uint8Array; shape: [number, number, number, number] };
  /** Seed of the map's layout (default: `settings.seed` when it is an integer, else 1). */
  seed?: number;
  /** `"umap"` (default) or `"pca"`; UMAP falls back to PCA below 16 points. */
  map?: MapMethod;
  /** At most this many points on the map (default 2,000), a seeded sample when there are more. */
  mapPoints?: number;
}

const FN = "renderReport";
/** A line chart keeps at most this many points (evenly strided, the last kept). */
const MAX_CHART_POINTS = 2000;
const CHART_WIDTH = 560;
const CHART_HEIGHT = 220;

/**
 * Renders the run's report as one HTML page with no scripts and no network access when read:
 * charts are inline SVG drawn by Vega-Lite + Vega in Deno (headless view, no browser), the
 * views are inline PNG data URLs, and a Content-Security-Policy forbids loading anything else.
 *
 * Sections, each left out when its data is absent: final test accuracy against the baselines
 * (percentages; "validation" throughout when `results.evaluatedOn` is `"validation"`); curves
 * of loss, learning rate, validation kNN accuracy and momentum (when logged) against the step;
 * a 2-D map of the test embeddings coloured by class (UMAP through
 * umap-js seeded with our generator, or PCA; the same input and seed give the same page);
 * pairs of augmented views; the run's results and settings as tables. All text from the input
 * (names from the user's folders included) is escaped.
 *
 * Time, measured for 2,000 points on a busy shared 2-core machine: the whole page 7-11 s with
 * UMAP (128- to 512-dimensional features; UMAP runs synchronously, blocking the event loop),
 * 2-3 s with PCA; the charts alone take about a second.
 *
 * @param input The run's settings, metrics, results and optional embeddings and views.
 * @returns The page's HTML text (UTF-8 when written).
 * @throws {TypeError} A field of the wrong type (`renderReport(): input.embedding.labels must
 * be an Int32Array, got ...`).
 * @throws {RangeError} Sizes that disagree, a label out of range or a non-finite feature.
 *
 * @example A report with curves, the accuracy table and a map
 * ```ts
 * import { renderReport } from "@selfsup/train/report";
 * import assert from "node:assert/strict";
 *
 * const html = await renderReport({
 *   title: "demo",
 *   settings: { method: "simclr", seed: 1 },
 *   metrics: [1, 2, 3].map((step) => ({ step, loss: 5 - step, learningRate: 0.1 * step })),
 *   results: { knnAccuracy: 0.8125, baselines: { pixels: { knnAccuracy: 0.75 } } },
 *   embedding: {
 *     features: new Float32Array([0, 0, 0, 1, 1, 0, 1, 1]),
 *     dim: 2,
 *     labels: new Int32Array([0, 0, 1, 1]),
 *     classNames: ["cat", "dog"],
 *   },
 * });
 * assert.equal(html.match(/<svg/g)?.length, 3); // loss, learning rate, map
 * assert.ok(html.includes("81.25%") && html.includes("75.00%"));
 * ```
 */
export async function renderReport(input: ReportInput): Promise<string> {
  checkInput(input);
  const sections: string[] = [];
  // A run evaluated on the validation slice (--evaluate-on validation) says so everywhere.
  const validation = input.results.evaluatedOn === "validation";
  const split = validation ? "validation slice" : "test split";
  const accuracy = accuracyTable(input.results, input.settings, split);
  if (accuracy) {
    sections.push(section(validation ? "Validation accuracy" : "Test accuracy", accuracy));
  }
  const charts = await curveCharts(input.metrics);
  if (charts) sections.push(section("Training curves", charts));
  if (input.embedding && input.embedding.labels.length > 0) {
    const seed = input.seed ??
      (Number.isSafeInteger(input.settings.seed) ? input.settings.seed as number : 1);
    sections.push(
      section(
        validation ? "Validation embeddings" : "Test embeddings",
        await mapFigure(
          input.embedding,
          input.map ?? "umap",
          seed,
          input.mapPoints ?? 2000,
          validation ? "validation" : "test",
        ),
      ),
    );
  }
  if (input.views && input.views.shape[0] > 0) {
    sections.push(section("Augmented views", viewsGrid(input.views)));
  }
  const run = keyValueTable(flatten(withoutAccuracies(input.results)));
  if (run) sections.push(section("Run", run));
  const settings = keyValueTable(flatten(input.settings));
  if (settings) sections.push(section("Settings", settings));
  return page(input.title, sections.join("\n"));
}

/** Escapes text for HTML element content and double- or single-quoted attributes. */
function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => ESCAPES[c]);
}

const ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

function checkInput(input: ReportInput): void {
  checkOptions(FN, input, "input");
  if (typeof input.title !== "string") throw typeError(FN, "input.title", "a string", input.title);
  checkOptions(FN, input.settings, "input.settings");
  checkOptions(FN, input.results, "input.results");
  if (!Array.isArray(input.metrics)) {
    throw typeError(FN, "input.metrics", "an array of objects", input.metrics);
  }
  input.metrics.forEach((line, i) => checkOptions(FN, line, `input.metrics[${i}]`));
  if (input.seed !== undefined) checkSeed(FN, input.seed, "input.seed");
  if (input.map !== undefined) checkOneOf(FN, "input.map", input.map, ["umap", "pca"]);
  if (input.mapPoints !== undefined) {
    checkInteger(FN, "input.mapPoints", input.mapPoints, { min: 1 });
  }
  if (input.embedding !== undefined) checkEmbedding(input.embedding);
  if (input.views !== undefined) checkViews(input.views);
}

function checkEmbedding(embedding: NonNullable<ReportInput["embedding"]>): void {
  const name = "input.embedding";
  checkOptions(FN, embedding, name);
  const { features, dim, labels, classNames } = embedding;
  if (!(features instanceof Float32Array)) {
    throw typeError(FN, `${name}.features`, "a Float32Array", features);
  }
  checkInteger(FN, `${name}.dim`, dim, { min: 1 });
  if (!(labels instanceof Int32Array)) {
    throw typeError(FN, `${name}.labels`, "an Int32Array", labels);
  }
  if (!Array.isArray(classNames) || !classNames.every((c) => typeof c === "string")) {
    throw typeError(FN, `${name}.classNames`, "an array of strings", classNames);
  }
  if (features.length !== labels.length * dim) {
    throw rangeError(
      FN,
      `${name}.features.length`,
      `labels.length * dim = ${labels.length * dim}`,
      features.length,
    );
  }
  for (const label of labels) {
    if (label < 0 || label >= classNames.length) {
      throw rangeError(FN, `${name}.labels`, `in [0, ${classNames.length})`, label);
    }
  }
  for (const value of features) {
    if (!Number.isFinite(value)) {
      throw rangeError(FN, `${name}.features`, "finite numbers", value);
    }
  }
}

function checkViews(views: NonNullable<ReportInput["views"]>): void {
  checkOptions(FN, views, "input.views");
  const { images, shape } = views;
  if (!(images instanceof Uint8Array)) {
    throw typeError(FN, "input.views.images", "a Uint8Array", images);
  }
  if (!Array.isArray(shape) || shape.length !== 4) {
    throw typeError(FN, "input.views.shape", "[N, H, W, C]", shape);
  }
  shape.forEach((d, i) => checkInteger(FN, `input.views.shape[${i}]`, d, { min: i === 0 ? 0 : 1 }));
  if (shape[0] % 2 !== 0) {
    throw rangeError(FN, "input.views.shape[0]", "even (pairs of views)", shape[0]);
  }
  checkOneOf(FN, "input.views.shape[3]", shape[3], [1, 3, 4]);
  const size = shape[0] * shape[1] * shape[2] * shape[3];
  if (images.length !== size) {
    throw rangeError(FN, "input.views.images.length", `N * H * W * C = ${size}`, images.length);
  }
}

function page(title: string, body: string): string {
  const t = escapeHtml(title);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="icon" href="data:,">
<title>${t} — selfsup report</title>
<style>
body { font: 15px/1.45 system-ui, sans-serif; color: #222; max-width: 1200px; margin: 2em auto; padding: 0 1em; }
h1 { font-size: 1.6em; margin-bottom: 0.2em; }
h2 { font-size: 1.2em; border-bottom: 1px solid #ddd; padding-bottom: 0.2em; margin-top: 2em; }
table { border-collapse: collapse; margin: 0.5em 0; }
th, td { border: 1px solid #ddd; padding: 0.25em 0.7em; text-align: left; vertical-align: top; }
td.number { text-align: right; font-variant-numeric: tabular-nums; }
th { background: #f4f4f4; }
.charts { display: flex; flex-wrap: wrap; gap: 1em; }
figure { margin: 0.5em 0; }
figcaption { font-size: 0.9em; color: #555; max-width: 640px; }
.views { display: flex; flex-wrap: wrap; gap: 0.6em; }
.pair { display: flex; gap: 2px; border: 1px solid #ddd; padding: 2px; }
.pair img { width: 72px; height: 72px; image-rendering: pixelated; }
</style>
</head>
<body>
<h1>${t}</h1>
<p>Report of a selfsup training run.</p>
${body}
</body>
</html>
`;
}

function section(heading: string, content: string): string {
  return `<section>\n<h2>${escapeHtml(heading)}</h2>\n${content}\n</section>`;
}

// ---- accuracy table ----

function isAccuracyKey(key: string): boolean {
  return /accuracy$/i.test(key);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function accuraciesOf(record: Record<string, unknown>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of Object.entries(record)) {
    if (isAccuracyKey(key) && typeof value === "number") out.set(key, value);
  }
  return out;
}

/** `results` less what the accuracy table shows. */
function withoutAccuracies(results: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(results)) {
    if (key === "baselines" && isRecord(value)) continue;
    if (isAccuracyKey(key) && typeof value === "number") continue;
    if (isRecord(value)) {
      const rest = Object.fromEntries(
        Object.entries(value).filter(([k, v]) => !(isAccuracyKey(k) && typeof v === "number")),
      );
      if (Object.keys(rest).length > 0) out[key] = rest;
      continue;
    }
    out[key] = value;
  }
  return out;
}

function accuracyTable(
  results: Record<string, unknown>,
  settings: Record<string, unknown>,
  split: string,
): string | undefined {
  const rows: Array<{ name: string; values: Map<string, number> }> = [];
  const own = accuraciesOf(results);
  const method = typeof settings.method === "string" ? `${settings.method} (this run)` : "this run";
  if (own.size > 0) rows.push({ name: method, values: own });
  for (const [key, value] of Object.entries(results)) {
    if (key === "baselines" || !isRecord(value)) continue;
    const values = accuraciesOf(value);
    if (values.size > 0) rows.push({ name: words(key), values });
  }
  if (isRecord(results.baselines)) {
    for (const [key, value] of Object.entries(results.baselines)) {
      const values = typeof value === "number"
        ? new Map([["accuracy", value]])
        : isRecord(value)
        ? accuraciesOf(value)
        : new Map<string, number>();
      if (values.size > 0) rows.push({ name: `${words(key)} (baseline)`, values });
    }
  }
  if (rows.length === 0) return undefined;
  const columns: string[] = [];
  for (const row of rows) {
    for (const key of row.values.keys()) if (!columns.includes(key)) columns.push(key);
  }
  const head = `<tr><th>model</th>${
    columns.map((c) => `<th>${escapeHtml(accuracyLabel(c))}</th>`).join("")
  }</tr>`;
  const body = rows.map((row) =>
    `<tr><th>${escapeHtml(row.name)}</th>${
      columns.map((c) => {
        const value = row.values.get(c);
        return `<td class="number">${value === undefined ? "" : percent(value)}</td>`;
      }).join("")
    }</tr>`
  ).join("\n");
  return `<table class="accuracy">\n<caption>accuracy on the ${split}</caption>\n${head}\n${body}\n</table>`;
}

function percent(fraction: number): string {
  return Number.isFinite(fraction) ? `${(fraction * 100).toFixed(2)}%` : "n/a";
}

function accuracyLabel(key: string): string {
  if (/^knnaccuracy$/i.test(key)) return "kNN";
  if (/^accuracy$/i.test(key)) return "accuracy";
  return words(key.replace(/accuracy$/i, ""));
}

/** `linearProbe` -> "linear probe", `fine_tuned` -> "fine tuned", `knn` stays readable. */
function words(key: string): string {
  const spaced = key
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/[_-]+/g, " ")
    .trim();
  return spaced.split(" ").map((w) => w === "knn" || w === "Knn" ? "kNN" : w.toLowerCase())
    .join(" ");
}

// ---- key / value tables ----

function flatten(record: Record<string, unknown>, prefix = ""): Array<[string, unknown]> {
  const out: Array<[string, unknown]> = [];
  for (const [key, value] of Object.entries(record)) {
    const name = prefix + key;
    if (isRecord(value) && Object.keys(value).length > 0) out.push(...flatten(value, `${name}.`));
    else out.push([name, value]);
  }
  return out;
}

function keyValueTable(entries: Array<[string, unknown]>): string | undefined {
  if (entries.length === 0) return undefined;
  const rows = entries.map(([key, value]) => {
    const numeric = typeof value === "number";
    return `<tr><th>${escapeHtml(key)}</th><td${numeric ? ' class="number"' : ""}>${
      escapeHtml(formatValue(value))
    }</td></tr>`;
  });
  return `<table>\n${rows.join("\n")}\n</table>`;
}

function formatValue(value: unknown): string {
  if (typeof value === "string") return value;
  if (typeof value === "number") {
    if (Number.isInteger(value)) return value.toLocaleString("en-US");
    if (!Number.isFinite(value)) return String(value);
    return String(Number(value.toPrecision(6)));
  }
  if (value === undefined) return "";
  return JSON.stringify(value) ?? String(value);
}

// ---- curves ----

interface Point {
  step: number;
  value: number;
}

function series(metrics: Array<Record<string, number>>, keys: string[], scale = 1): Point[] {
  const points: Point[] = [];
  metrics.forEach((line, i) => {
    const key = keys.find((k) => typeof line[k] === "number" && Number.isFinite(line[k]));
    if (key === undefined) return;
    const step = typeof line.step === "number" && Number.isFinite(line.step) ? line.step : i;
    points.push({ step, value: line[key] * scale });
  });
  if (points.length <= MAX_CHART_POINTS) return points;
  const stride = Math.ceil(points.length / MAX_CHART_POINTS);
  return points.filter((_, i) => i % stride === 0 || i === points.length - 1);
}

async function curveCharts(metrics: Array<Record<string, number>>): Promise<string | undefined> {
  const curves = [
    { id: "loss", keys: ["loss"], title: "training loss", axis: "loss", scale: 1 },
    {
      id: "lr",
      keys: ["learningRate", "lr"],
      title: "learning rate",
      axis: "learning rate",
      scale: 1,
    },
    {
      id: "knn",
      keys: ["validationKnn"],
      title: "kNN accuracy on the validation slice",
      axis: "validation kNN accuracy (%)",
      scale: 100,
    },
    {
      id: "momentum",
      keys: ["momentum"],
      title: "momentum (optimizer; BYOL: target tau)",
      axis: "momentum",
      scale: 1,
    },
  ];
  const figures: string[] = [];
  for (const curve of curves) {
    const points = series(metrics, curve.keys, curve.scale);
    if (points.length === 0) continue;
    const spec: TopLevelSpec = {
      width: CHART_WIDTH,
      height: CHART_HEIGHT,
      background: "white",
      title: curve.title,
      data: { values: points },
      mark: { type: "line", point: points.length <= 50, tooltip: false },
      encoding: {
        x: { field: "step", type: "quantitative", title: "step" },
        y: { field: "value", type: "quantitative", title: curve.axis, scale: { zero: false } },
      },
    };
    figures.push(`<figure>${await vegaLiteSvg(spec, `${curve.id}-`)}</figure>`);
  }
  return figures.length > 0 ? `<div class="charts">\n${figures.join("\n")}\n</div>` : undefined;
}

// ---- embedding map ----

async function mapFigure(
  embedding: NonNullable<ReportInput["embedding"]>,
  method: MapMethod,
  seed: number,
  maxPoints: number,
  split: string,
): Promise<string> {
  const { dim, classNames } = embedding;
  const total = embedding.labels.length;
  let { features, labels } = embedding;
  if (total > maxPoints) {
    const chosen = permutation(total, deriveSeed(seed, 1)).subarray(0, maxPoints).sort();
    features = new Float32Array(maxPoints * dim);
    labels = new Int32Array(maxPoints);
    chosen.forEach((index, i) => {
      features.set(embedding.features.subarray(index * dim, (index + 1) * dim), i * dim);
      labels[i] = embedding.labels[index];
    });
  }
  const map = embeddingMap(features, dim, { method, seed: deriveSeed(seed, 2) });
  const name = map.method === "umap" ? "UMAP" : "PC";
  const values = Array.from(labels, (label, i) => ({
    x: map.coordinates[2 * i],
    y: map.coordinates[2 * i + 1],
    class: classNames[label],
  }));
  const spec: TopLevelSpec = {
    width: 620,
    height: 520,
    background: "white",
    title: `${map.method === "umap" ? "UMAP" : "PCA"} of the ${split} embeddings`,
    data: { values },
    mark: { type: "circle", size: 14, opacity: 0.75, tooltip: false },
    encoding: {
      x: { field: "x", type: "quantitative", title: `${name} 1`, axis: { labels: false } },
      y: { field: "y", type: "quantitative", title: `${name} 2`, axis: { labels: false } },
      color: {
        field: "class",
        type: "nominal",
        title: "class",
        scale: {
          domain: [...new Set(classNames)],
          scheme: classNames.length <= 10 ? "category10" : "tableau20",
        },
      },
    },
  };
  const shown = labels.length < total
    ? `${labels.length.toLocaleString("en-US")} of ${total.toLocaleString("en-US")}`
    : total.toLocaleString("en-US");
  const how = map.method === "umap"
    ? `UMAP (umap-js, 15 neighbours, seed ${seed})`
    : "PCA (the two leading principal axes)";
  return `<figure>${await vegaLiteSvg(spec, "map-")}<figcaption>${shown} test images, ${
    dim.toLocaleString("en-US")
  }-dimensional encoder features, laid out in 2-D by ${escapeHtml(how)}; colour: true class.` +
    `</figcaption></figure>`;
}

// ---- views ----

function viewsGrid(views: NonNullable<ReportInput["views"]>): string {
  const [n, height, width, channels] = views.shape;
  const size = height * width * channels;
  const pairs: string[] = [];
  for (let k = 0; k < n / 2; k++) {
    const images = [2 * k, 2 * k + 1].map((i) => {
      const png = encodePng({
        width,
        height,
        channels,
        depth: 8,
        data: views.images.subarray(i * size, (i + 1) * size),
      });
      return `<img alt="view ${i % 2 + 1} of image ${k + 1}" src="data:image/png;base64,${
        base64(png)
      }">`;
    });
    pairs.push(`<div class="pair">${images.join("")}</div>`);
  }
  return `<p>Each box holds the two augmented views of one training image.</p>\n` +
    `<div class="views">\n${pairs.join("\n")}\n</div>`;
}

function base64(bytes: Uint8Array): string {
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}
