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
 * deno task bench:quality --quick           # about 20 minutes on a 2-core CPU with blas
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
import { FULL, qualityRuns, QUICK, SMOKE } from "./quality/plan.ts";
import { markdownTable, type QualityRow, rowsOf, type RunResults } from "./quality/table.ts";
import { curveOf, type CurvePoint, qualityChart } from "./quality/chart.ts";
import { claims } from "./quality/claims.ts";
import {
  machine,
  parseRunArgs,
  readJson,
  replaceSection,
  runTrainRuns,
  type TrainRun,
} from "./_train_runs.ts";

const BUDGETS = { full: FULL, quick: QUICK, smoke: SMOKE };
const args = parseRunArgs(
  "bench:quality",
  Deno.args,
  { evaluateOn: "test", runs: "runs/quality" },
  (version) => qualityRuns(BUDGETS[version]).map((run) => run.name),
);
const { version, seed, evaluateOn } = args;
const budget = BUDGETS[version];
const folder = `${args.runs}/${version}-seed${seed}${
  evaluateOn === "validation" ? "-validation" : ""
}`;
const plan = qualityRuns(budget);
const wallSeconds = await runTrainRuns("bench:quality", folder, plan, args);

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
const { out, command } = args;
await Deno.mkdir(out, { recursive: true });
await Deno.writeTextFile(`${out}/${name}.svg`, await qualityChart(rows, curves));
await Deno.writeTextFile(
  `${out}/${name}.json`,
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
await Deno.writeTextFile(`${out}/${name}.md`, `# bench:quality (${version})\n\n${report}`);
console.log(`\n${report}\nbench:quality: wrote ${out}/${name}.md, .svg and .json`);
if (version === "full" && evaluateOn === "test" && missing.length === 0 && !args.only) {
  await replaceSection(
    "BENCHMARKS.md",
    "bench:quality",
    report.replace(`](${name}.svg)`, `](bench/results/${name}.svg)`),
  );
  console.log("bench:quality: BENCHMARKS.md updated");
}

async function curveFor(run: TrainRun, r: RunResults): Promise<CurvePoint[]> {
  const text = await Deno.readTextFile(`${folder}/${run.name}/metrics.jsonl`);
  const lines = text.split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l));
  const [first] = r.stages;
  return curveOf(run.name, lines, first.steps, first.seconds ?? 0);
}
