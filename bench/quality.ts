/**
 * `deno task bench:quality`: the quality benchmark of issue 13. Every row is a `deno task
 * train` run (train/main.ts, as a subprocess, fixed seed, the fastest backend): raw pixels and
 * the untrained encoder; the encoder trained supervised on all, 10% and 1% of the labels;
 * SimCLR; BYOL; SimCLRv2 pretrained once, fine-tuned from head layer 1 on 1% and 10% of the
 * labels, then distilled into the same encoder and into a smaller student, beside that student
 * trained on the labels alone. It writes a markdown table, a chart of accuracy against
 * training minutes and the raw results, and (full version, test split) replaces the section of
 * BENCHMARKS.md between its markers.
 *
 * ```sh
 * deno task bench:quality --quick           # about 15 minutes on a 2-core CPU with blas
 * deno task bench:quality                   # the full version: 30 minutes per pretraining
 * deno task bench:quality --seed 2 --evaluate-on validation   # to choose settings
 * deno task bench:quality --quick -- --temperature 0.2        # extra flags for every run
 * deno task bench:quality --smoke --runs /tmp/q --out /tmp/q  # seconds: tiny runs, for tests
 * ```
 *
 * Runs live in `runs/quality/<version>-seed<seed>[-validation]/<run>/`; a finished run
 * (results.json there) is not run again and an interrupted one is resumed from its checkpoint,
 * so the benchmark can be stopped and started again.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { FULL, type QualityRun, qualityRuns, QUICK, SMOKE } from "./quality/plan.ts";
import { markdownTable, type QualityRow, rowsOf, type RunResults } from "./quality/table.ts";
import { curveOf, type CurvePoint, qualityChart } from "./quality/chart.ts";
import { claims } from "./quality/claims.ts";

const MARK_BEGIN = "<!-- bench:quality begin -->";
const MARK_END = "<!-- bench:quality end -->";

const dashes = Deno.args.indexOf("--");
const own = dashes < 0 ? Deno.args : Deno.args.slice(0, dashes);
const extra = dashes < 0 ? [] : Deno.args.slice(dashes + 1);
const { values } = parseArgs({
  args: own,
  options: {
    quick: { type: "boolean", default: false },
    smoke: { type: "boolean", default: false },
    seed: { type: "string", default: "1" },
    backend: { type: "string", default: "auto" },
    "evaluate-on": { type: "string", default: "test" },
    runs: { type: "string", default: "runs/quality" },
    out: { type: "string", default: "bench/results" },
    only: { type: "string" },
  },
});
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 1) {
  console.error(`bench:quality: --seed must be an integer >= 1, got ${values.seed}`);
  Deno.exit(2);
}
const evaluateOn = values["evaluate-on"];
if (evaluateOn !== "test" && evaluateOn !== "validation") {
  console.error(`bench:quality: --evaluate-on must be test or validation, got ${evaluateOn}`);
  Deno.exit(2);
}
const version = values.smoke ? "smoke" : values.quick ? "quick" : "full";
const budget = { full: FULL, quick: QUICK, smoke: SMOKE }[version];
const folder = `${values.runs}/${version}-seed${seed}${
  evaluateOn === "validation" ? "-validation" : ""
}`;
const plan = qualityRuns(budget);
const only = values.only?.split(",");
if (only !== undefined) {
  const unknown = only.filter((name) => !plan.some((run) => run.name === name));
  if (unknown.length > 0) {
    console.error(
      `bench:quality: --only must name runs of ${plan.map((r) => r.name).join(", ")}, got ` +
        unknown.join(", "),
    );
    Deno.exit(2);
  }
}
const command = `deno task bench:quality ${Deno.args.join(" ")}`.trim();
await Deno.mkdir(folder, { recursive: true });
const timesFile = `${folder}/wall-seconds.json`;
const wallSeconds = (await readJson(timesFile) ?? {}) as Record<string, number>;

for (const run of plan) {
  if (only !== undefined && !only.includes(run.name)) continue;
  const dir = `${folder}/${run.name}`;
  if (await exists(`${dir}/results.json`)) {
    console.log(`bench:quality: ${run.name} already finished (${dir})`);
    continue;
  }
  const args = await exists(dir) ? ["--resume", dir] : [
    ...run.flags,
    ...(run.after === undefined ? [] : ["--pretrained", `${folder}/${run.after}`]),
    "--seed",
    String(seed),
    "--backend",
    values.backend,
    "--evaluate-on",
    evaluateOn,
    "--runs",
    folder,
    "--name",
    run.name,
    ...extra,
  ];
  console.log(`bench:quality: ${run.name}: deno task train ${args.join(" ")}`);
  const start = performance.now();
  const status = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      new URL("../train/main.ts", import.meta.url).pathname,
      ...args,
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    console.error(`bench:quality: ${run.name} failed (exit ${status.code}); run again to resume`);
    Deno.exit(1);
  }
  wallSeconds[run.name] = (wallSeconds[run.name] ?? 0) + (performance.now() - start) / 1000;
  await Deno.writeTextFile(timesFile, JSON.stringify(wallSeconds, null, 2) + "\n");
}

const rows: QualityRow[] = [];
const curves: CurvePoint[] = [];
const results: Record<string, RunResults> = {};
// The first run's encoder (--smoke makes it a tiny one); the small student is the other.
let benchEncoder: string | undefined;
for (const run of plan) {
  const r = await readJson(`${folder}/${run.name}/results.json`) as RunResults | null;
  if (r === null) continue;
  results[run.name] = r;
  const config = await readJson(`${folder}/${run.name}/config.json`) as {
    settings: { encoder: string };
  };
  benchEncoder ??= config.settings.encoder;
  rows.push(...rowsOf(run, r, seed, config.settings.encoder, benchEncoder));
  if (run.after === undefined && !run.name.includes("pct")) {
    curves.push(...await curveFor(run, r));
  }
}
if (rows.length === 0) {
  console.error(`bench:quality: no finished run in ${folder}`);
  Deno.exit(1);
}

const name = `quality-${version}${evaluateOn === "validation" ? "-validation" : ""}`;
await Deno.mkdir(values.out, { recursive: true });
await Deno.writeTextFile(`${values.out}/${name}.svg`, await qualityChart(rows, curves));
await Deno.writeTextFile(
  `${values.out}/${name}.json`,
  JSON.stringify({ command, seed, evaluateOn, budget, wallSeconds, results }, null, 2) + "\n",
);
const missing = plan.filter((run) => results[run.name] === undefined).map((run) => run.name);
const totalMinutes = Object.values(wallSeconds).reduce((a, b) => a + b, 0) / 60;
const report = [
  `Command: \`${command}\` (${new Date().toISOString().slice(0, 16)} UTC, ${await machine()}).`,
  `Wall time of the runs: ${totalMinutes.toFixed(1)} minutes. Scored on the ${
    evaluateOn === "test" ? "test split (10,000 images)" : "validation slice"
  }; kNN k = 200, t = 0.1 on the training images' features; linear probe ${budget.probeEpochs} ` +
  `epochs. Runs: \`${folder}/\`.` +
  (missing.length > 0 ? ` Not finished: ${missing.join(", ")}.` : ""),
  "",
  markdownTable(rows),
  `![accuracy against training minutes](${name}.svg)`,
  "",
  ...claims(rows, benchEncoder!).map((line) => `- ${line}`),
  "",
].join("\n");
await Deno.writeTextFile(`${values.out}/${name}.md`, `# bench:quality (${version})\n\n${report}`);
console.log(`\n${report}\nbench:quality: wrote ${values.out}/${name}.md, .svg and .json`);
if (version === "full" && evaluateOn === "test" && missing.length === 0 && only === undefined) {
  await replaceSection(
    "BENCHMARKS.md",
    report.replace(`](${name}.svg)`, `](bench/results/${name}.svg)`),
  );
  console.log("bench:quality: BENCHMARKS.md updated");
}

async function curveFor(run: QualityRun, r: RunResults): Promise<CurvePoint[]> {
  const text = await Deno.readTextFile(`${folder}/${run.name}/metrics.jsonl`);
  const lines = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  const [first] = r.stages;
  return curveOf(run.name, lines, first.steps, first.seconds ?? 0);
}

async function replaceSection(path: string, body: string): Promise<void> {
  const text = await Deno.readTextFile(path);
  const begin = text.indexOf(MARK_BEGIN);
  const end = text.indexOf(MARK_END);
  if (begin < 0 || end < begin) {
    throw new Error(`${path} has no ${MARK_BEGIN} ... ${MARK_END} section`);
  }
  await Deno.writeTextFile(
    path,
    `${text.slice(0, begin + MARK_BEGIN.length)}\n${body}\n${text.slice(end)}`,
  );
}

async function machine(): Promise<string> {
  const cpu = (await Deno.readTextFile("/proc/cpuinfo").catch(() => ""))
    .match(/model name\s*:\s*(.*)/)?.[1] ?? "unknown CPU";
  return `${navigator.hardwareConcurrency} cores, ${cpu}, Deno ${Deno.version.deno}`;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

async function readJson(path: string): Promise<unknown> {
  try {
    return JSON.parse(await Deno.readTextFile(path));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
}
