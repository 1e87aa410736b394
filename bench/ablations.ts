/**
 * `deno task bench:ablations`: the claims of the SimCLR, BYOL and SimCLRv2 papers (issue 13),
 * each a small table at a fixed length per run (`--epochs`, so that the numbers do not depend
 * on the machine's load) with the same seed. Every row is a `deno task train` run
 * (train/main.ts, as a subprocess); the transformation-prediction table loads the reference
 * run's exported encoder/ and head/ here.
 *
 * 1. Augmentations (SimCLR figure 5): single transformations and pairs, and the default views.
 * 2. Projection head (SimCLR figure 8 and table 3): none / linear / non-linear on h and z,
 *    output widths, and which transformation a linear probe on h or z can tell.
 * 3. Batch size (SimCLR figure 9, BYOL figure 3): SimCLR and BYOL at 32-256, two lengths.
 * 4. SimCLRv2: fine-tuning from head layer 1 vs from h at 1% of the labels; self-distillation.
 *
 * ```sh
 * deno task bench:ablations --quick          # about 25 minutes on a 2-core CPU with blas
 * deno task bench:ablations                  # the full version: about 4 hours
 * deno task bench:ablations --evaluate-on test                # scored on the test split
 * deno task bench:ablations --only simclr,head-0              # some runs only
 * deno task bench:ablations --quick -- --encoder resnet18x0.125  # extra flags for every run
 * deno task bench:ablations --smoke --runs /tmp/a --out /tmp/a  # seconds: tiny runs, for tests
 * ```
 *
 * Scored on the validation slice by default: these experiments choose settings, and the test
 * split stays for the quality benchmark. Runs live in
 * `runs/ablations/<version>-seed<seed>[-test]/<run>/`; a finished run (results.json there) is
 * not run again and an interrupted one is resumed from its checkpoint.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { startBackend } from "@selfsup/backends";
import { loadTrainData } from "@selfsup/train/data_source";
import { type AblationBudget, ablationPlan, FULL, QUICK, SMOKE } from "./ablations/plan.ts";
import {
  augmentationTable,
  batchTable,
  headTable,
  pct,
  type Results,
  type RunResults,
  simclrv2Table,
  widthTable,
} from "./ablations/tables.ts";
import {
  augmentationClaims,
  batchClaims,
  type Claim,
  headClaims,
  predictionClaims,
  simclrv2Claims,
} from "./ablations/claims.ts";
import {
  type PredictionRow,
  predictionTable,
  transformationPrediction,
} from "./ablations/transformation_prediction.ts";
import { ablationReport } from "./ablations/report.ts";

const MARK_BEGIN = "<!-- bench:ablations begin -->";
const MARK_END = "<!-- bench:ablations end -->";

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
    "evaluate-on": { type: "string", default: "validation" },
    runs: { type: "string", default: "runs/ablations" },
    out: { type: "string", default: "bench/results" },
    only: { type: "string" },
  },
});
const fail = (message: string) => {
  console.error(`bench:ablations: ${message}`);
  Deno.exit(2);
};
const seed = Number(values.seed);
if (!Number.isInteger(seed) || seed < 1) fail(`--seed must be an integer >= 1, got ${values.seed}`);
const evaluateOn = values["evaluate-on"];
if (evaluateOn !== "test" && evaluateOn !== "validation") {
  fail(`--evaluate-on must be test or validation, got ${evaluateOn}`);
}
if (values.quick && values.smoke) fail("--quick and --smoke are alternatives: give one of them");
const version = values.smoke ? "smoke" : values.quick ? "quick" : "full";
const budget: AblationBudget = { full: FULL, quick: QUICK, smoke: SMOKE }[version];
const folder = `${values.runs}/${version}-seed${seed}${evaluateOn === "test" ? "-test" : ""}`;
const plan = ablationPlan(budget);
const only = values.only?.split(",");
if (only !== undefined) {
  const unknown = only.filter((name) => !plan.runs.some((run) => run.name === name));
  if (unknown.length > 0) {
    fail(
      `--only must name runs of ${plan.runs.map((r) => r.name).join(", ")}, got ` +
        unknown.join(", "),
    );
  }
}
const command = `deno task bench:ablations ${Deno.args.join(" ")}`.trim();
await Deno.mkdir(folder, { recursive: true });
const timesFile = `${folder}/wall-seconds.json`;
const wallSeconds = (await readJson(timesFile) ?? {}) as Record<string, number>;

const commands: Record<string, string> = {};
for (const run of plan.runs) {
  const dir = `${folder}/${run.name}`;
  const args = [
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
  commands[run.name] = `deno task train ${args.join(" ")}`;
  if (only !== undefined && !only.includes(run.name)) continue;
  if (await exists(`${dir}/results.json`)) {
    console.log(`bench:ablations: ${run.name} already finished (${dir})`);
    continue;
  }
  const resume = await exists(dir);
  console.log(`bench:ablations: ${run.name}: ${resume ? `--resume ${dir}` : commands[run.name]}`);
  const start = performance.now();
  const status = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-ffi",
      new URL("../train/main.ts", import.meta.url).pathname,
      ...(resume ? ["--resume", dir] : args),
    ],
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (!status.success) {
    console.error(`bench:ablations: ${run.name} failed (exit ${status.code}); run again to resume`);
    Deno.exit(1);
  }
  wallSeconds[run.name] = (wallSeconds[run.name] ?? 0) + (performance.now() - start) / 1000;
  await Deno.writeTextFile(timesFile, JSON.stringify(wallSeconds, null, 2) + "\n");
}

const results: Results = {};
for (const run of plan.runs) {
  const r = await readJson(`${folder}/${run.name}/results.json`) as RunResults | null;
  if (r !== null) results[run.name] = r;
}
if (Object.keys(results).length === 0) {
  console.error(`bench:ablations: no finished run in ${folder}`);
  Deno.exit(1);
}

const predictions = await transformationRows();
const claims: Claim[] = [
  ...augmentationClaims(plan, results),
  ...headClaims(plan, results),
  ...predictionClaims(predictions ?? []),
  ...batchClaims(plan, results),
  ...simclrv2Claims(plan, results),
];
const missing = plan.runs.filter((run) => results[run.name] === undefined).map((r) => r.name);
const totalMinutes = Object.values(wallSeconds).reduce((a, b) => a + b, 0) / 60;
const reference = results[plan.reference];
const report = ablationReport({
  header: [
    `Command: \`${command}\` (${new Date().toISOString().slice(0, 16)} UTC, ${await machine()}).`,
    `Wall time of the runs: ${totalMinutes.toFixed(1)} minutes. Scored on the ${
      evaluateOn === "test"
        ? "test split (10,000 images)"
        : "validation slice (held out of the training split before anything trains)"
    }; kNN k = 200, t = 0.1 on the training images' features; linear probe ` +
    `${budget.probeEpochs} epochs; seed ${seed}. Runs: \`${folder}/\`.` +
    (missing.length > 0 ? ` Not finished: ${missing.join(", ")}.` : ""),
    reference?.baselines?.rawPixels === undefined
      ? ""
      : `For scale: raw pixels give probe ${
        pct(reference.baselines.rawPixels.linearProbeAccuracy)
      } (kNN ${pct(reference.baselines.rawPixels.knnAccuracy)}), the untrained encoder ${
        pct(reference.baselines.randomEncoder?.linearProbeAccuracy)
      } (kNN ${pct(reference.baselines.randomEncoder?.knnAccuracy)}).`,
  ].filter((l) => l !== "").join("\n"),
  budget,
  tables: {
    augmentations: augmentationTable(plan, results),
    heads: headTable(plan, results),
    widths: plan.widths.length > 1 ? widthTable(plan, results) : null,
    transformations: predictions === null ? null : predictionTable(predictions),
    batch: batchTable(plan, results),
    simclrv2: simclrv2Table(plan, results),
  },
  claims,
  commands,
});

const name = `ablations${version === "full" ? "" : `-${version}`}${
  evaluateOn === "test" ? "-test" : ""
}`;
await Deno.mkdir(values.out, { recursive: true });
await Deno.writeTextFile(
  `${values.out}/${name}.json`,
  JSON.stringify(
    { command, seed, evaluateOn, budget, wallSeconds, commands, results, predictions, claims },
    null,
    2,
  ) + "\n",
);
await Deno.writeTextFile(`${values.out}/${name}.md`, `# bench:ablations (${version})\n\n${report}`);
console.log(`\n${report}\nbench:ablations: wrote ${values.out}/${name}.md and .json`);
if (version === "full" && missing.length === 0 && only === undefined) {
  await replaceSection("BENCHMARKS.md", report);
  console.log("bench:ablations: BENCHMARKS.md updated");
}

/**
 * The transformation-prediction rows from the reference run's encoder/ and head/ (cached in
 * the runs folder: the reference never changes once finished); null before it has finished.
 */
async function transformationRows(): Promise<PredictionRow[] | null> {
  const dir = `${folder}/${plan.reference}`;
  if (results[plan.reference] === undefined) return null;
  const cache = `${folder}/transformations.json`;
  const cached = await readJson(cache) as PredictionRow[] | null;
  if (cached !== null) return cached;
  tf.enableProdMode();
  const backend = await startBackend(values.backend as "auto");
  console.log(`bench:ablations: transformation prediction on ${backend.name}`);
  const config = await readJson(`${dir}/config.json`) as { settings: RunSettings };
  const s = config.settings;
  const data = await loadTrainData(s.data, {
    seed: s.seed,
    validationSize: s.validationSize,
    ...(s.imageSize !== null ? { imageSize: [s.imageSize, s.imageSize] as [number, number] } : {}),
    ...(s.channels !== null ? { channels: s.channels } : {}),
    ...(s.limitTrain !== null || s.limitTest !== null
      ? {
        limit: {
          train: s.limitTrain ?? Number.MAX_SAFE_INTEGER,
          test: s.limitTest ?? Number.MAX_SAFE_INTEGER,
        },
      }
      : {}),
  });
  const encoder = await loadFromMemory(join(dir, "encoder"));
  const head = await loadFromMemory(join(dir, "head"));
  try {
    const rows = await transformationPrediction(
      encoder,
      head,
      evaluateOn === "test" ? data.test : data.validation,
      { seed, probeEpochs: budget.probeEpochs, colorStrength: s.colorStrength },
    );
    await Deno.writeTextFile(cache, JSON.stringify(rows, null, 2) + "\n");
    return rows;
  } finally {
    encoder.dispose();
    head.dispose();
  }
}

/** The settings of a run's config.json that choose its images and views. */
interface RunSettings {
  data: string;
  seed: number;
  validationSize: number;
  imageSize: number | null;
  channels: 1 | 3 | null;
  limitTrain: number | null;
  limitTest: number | null;
  colorStrength: number;
}

/** A model folder (model.json + weights.bin) loaded with plain tfjs from memory. */
async function loadFromMemory(dir: string): Promise<tf.LayersModel> {
  const json = JSON.parse(await Deno.readTextFile(join(dir, "model.json")));
  const weights = await Deno.readFile(join(dir, "weights.bin"));
  return await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest[0].weights,
      weightData: weights.buffer.slice(weights.byteOffset, weights.byteOffset + weights.length),
    }),
  );
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
