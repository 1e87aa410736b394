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
 * Scored on a 5,000-image validation slice by default: these experiments choose settings, and
 * the test split stays for the quality benchmark. Runs live in
 * `runs/ablations/<version>-seed<seed>[-test]/<run>/`; a finished run (results.json there) is
 * not run again and an interrupted one is resumed from its checkpoint.
 *
 * @module
 */
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { startBackend } from "@selfsup/backends";
import { loadModel } from "@selfsup/encoders/model_files";
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
import {
  machine,
  parseRunArgs,
  readJson,
  replaceSection,
  runTrainRuns,
  trainArgs,
} from "./_train_runs.ts";

const BUDGETS = { full: FULL, quick: QUICK, smoke: SMOKE };
const args = parseRunArgs(
  "bench:ablations",
  Deno.args,
  { evaluateOn: "validation", runs: "runs/ablations" },
  (version) => ablationPlan(BUDGETS[version]).runs.map((run) => run.name),
);
const { version, seed, evaluateOn, command } = args;
const budget: AblationBudget = BUDGETS[version];
const folder = `${args.runs}/${version}-seed${seed}${evaluateOn === "test" ? "-test" : ""}`;
const plan = ablationPlan(budget);
const commands = Object.fromEntries(
  plan.runs.map((run) => [run.name, `deno task train ${trainArgs(run, folder, args).join(" ")}`]),
);
const wallSeconds = await runTrainRuns("bench:ablations", folder, plan.runs, args);

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
await Deno.mkdir(args.out, { recursive: true });
await Deno.writeTextFile(
  `${args.out}/${name}.json`,
  JSON.stringify(
    { command, seed, evaluateOn, budget, wallSeconds, commands, results, predictions, claims },
    null,
    2,
  ) + "\n",
);
await Deno.writeTextFile(`${args.out}/${name}.md`, `# bench:ablations (${version})\n\n${report}`);
console.log(`\n${report}\nbench:ablations: wrote ${args.out}/${name}.md and .json`);
if (version === "full" && missing.length === 0 && !args.only) {
  await replaceSection("BENCHMARKS.md", "bench:ablations", report);
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
  const backend = await startBackend(args.backend as "auto");
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
  const encoder = await loadModel(join(dir, "encoder"));
  const head = await loadModel(join(dir, "head"));
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
