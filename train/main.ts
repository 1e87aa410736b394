/**
 * `deno task train`: self-supervised pretraining (SimCLR, SimCLRv2, BYOL) or the supervised
 * baseline on Fashion-MNIST or your images, with evaluation (kNN and linear probe beside the
 * raw-pixel baseline), resumable checkpoints and a report, all in a run folder `runs/<name>/`.
 *
 * ```sh
 * deno task train                                  # SimCLR: 6 minutes of training, then evaluation
 * deno task train --method byol --minutes 20
 * deno task train --method simclrv2 --labels 1%
 * deno task train --resume runs/simclr-20261129-120000
 * deno task train --help
 * ```
 *
 * Exit codes: 0 done, 2 bad input or refused (nothing written), 130 stopped by Ctrl-C after a
 * checkpoint, 1 anything else (a NaN loss keeps the last good checkpoint).
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { setBlasPrecision, startBackend, type StartedBackend } from "@selfsup/backends";
import { type Dataset, selectImages } from "@selfsup/data";
import { saveModel } from "@selfsup/encoders/model_files";
import { CheckpointError, readCheckpoint, recoverCheckpoint } from "./checkpoint.ts";
import { DataSourceError, loadTrainData, type TrainData } from "./data_source.ts";
import { embed, evaluateEncoder, evaluatePixels, knnMonitor } from "./evaluate.ts";
import { fitStepsToBudget } from "./budget.ts";
import { type Pretrained, readPretrained } from "./pretrained.ts";
import { createProgress } from "./progress.ts";
import { renderReport } from "./report.ts";
import { type Recipe, stepsPerEpoch } from "./recipes/recipe.ts";
import { recipeFor } from "./recipes/recipes.ts";
import {
  checkNewRun,
  checkWritable,
  MetricsLog,
  readMetrics,
  readRunConfig,
  runFolder,
  writeJson,
} from "./run_folder.ts";
import {
  augmentList,
  baselineList,
  helpText,
  parseSettings,
  resolveForImages,
  resolveSettings,
  type Settings,
  SettingsError,
} from "./settings.ts";
import { NonFiniteLoss, type RunPosition, runStages, StopRequested } from "./training_loop.ts";
import denoJson from "./deno.json" with { type: "json" };

const INSTALL_HINT = "the fast CPU libraries are not installed: `sudo apt-get install " +
  "libopenblas0-pthread libdnnl2` (Debian/Ubuntu) makes training about 3x (OpenBLAS) to 17x " +
  "(with oneDNN) faster than wasm (BENCHMARKS.md); going on with";
// Largest batch that fits wasm32's 4 GB heap with the default encoder (BENCHMARKS.md).
const WASM_BATCH = 64;
const MAP_POINTS = 1000;
const VIEW_IMAGES = 8;

/**
 * Runs the app with `args` (what `deno task train` passes: `Deno.args`) and resolves to the
 * exit code: 0 done (or `--help`), 2 bad input or refused with nothing written, 130 stopped
 * by Ctrl-C after a checkpoint, 1 a NaN or infinite loss (the last good checkpoint stays).
 *
 * @param args The command-line arguments; `--help` lists them.
 * @returns The exit code.
 * @throws {Error} On a crash (main's caller prints it and exits with 1).
 *
 * @example Bad input is refused with exit code 2 before anything is written
 * ```ts
 * import assert from "node:assert/strict";
 * import { main } from "@selfsup/train";
 *
 * assert.equal(await main(["--batch-size", "0"]), 2);
 * ```
 */
export async function main(args: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseSettings(args, (path) => Deno.readTextFileSync(path));
  } catch (error) {
    return refuse(error);
  }
  if (parsed.kind === "help") {
    console.log(helpText());
    return 0;
  }
  tf.enableProdMode();

  // Everything that can refuse the run happens before anything is written.
  let settings: Settings;
  let given: Set<keyof Settings>;
  let runDir: string;
  type Saved = { position: RunPosition; state: unknown };
  let checkpoint = null as Saved | null;
  let data: TrainData;
  let previousBackend: string | null = null;
  let pretrained: Pretrained | null = null;
  try {
    if (parsed.kind === "resume") {
      runDir = parsed.folder.replace(/\/+$/, "");
      await checkWritable(runDir, "--resume");
      const config = await readRunConfig(runDir);
      previousBackend = (config.backend as { name?: string } | undefined)?.name ?? null;
      const stored = config.settings as Record<string, unknown>;
      const { settings: s } = resolveSettings(
        Object.fromEntries(Object.entries(stored).filter(([, v]) => v !== null)),
      );
      settings = s;
      given = new Set(Object.keys(stored) as (keyof Settings)[]);
      checkpoint = await readCheckpoint(runDir) as Saved | null;
      if (checkpoint === null) {
        throw new SettingsError(`--resume ${runDir}: no checkpoint there to continue from`);
      }
    } else {
      ({ settings, given } = parsed);
      runDir = `${settings.runs.replace(/\/+$/, "")}/${settings.name}`;
      await checkNewRun(runDir);
      if (settings.pretrained !== null) {
        pretrained = await readPretrained(settings.pretrained.replace(/\/+$/, ""), settings);
      }
    }
    data = await loadTrainData(settings.data, {
      seed: settings.seed,
      validationSize: settings.validationSize,
      ...(settings.imageSize !== null
        ? { imageSize: [settings.imageSize, settings.imageSize] as [number, number] }
        : {}),
      ...(settings.channels !== null ? { channels: settings.channels as 1 | 3 } : {}),
      ...(settings.limitTrain !== null || settings.limitTest !== null
        ? {
          limit: {
            train: settings.limitTrain ?? Number.MAX_SAFE_INTEGER,
            test: settings.limitTest ?? Number.MAX_SAFE_INTEGER,
          },
        }
        : {}),
    });
  } catch (error) {
    return refuse(error);
  }
  console.log(`data: ${data.description}`);
  settings = resolveForImages(settings, data.train.shape[1], data.train.shape[2]);
  if (
    augmentList(settings)?.includes("rotation") && data.train.shape[1] !== data.train.shape[2]
  ) {
    // 90 and 270 degrees would swap a view's height and width.
    return refuse(
      new SettingsError(
        `--augment rotation needs square images, got ${data.train.shape[1]} x ` +
          `${data.train.shape[2]} (--image-size makes them square)`,
      ),
    );
  }

  let backend: StartedBackend;
  try {
    backend = await startBackend(settings.backend, { fastGradients: true });
  } catch (error) {
    return refuse(error);
  }
  const native = ["tensorflow", "webgpu", "blas"].includes(backend.name);
  console.log(`backend: ${backend.name} (${backend.reason})`);
  if (settings.precision !== "float32") {
    if (backend.name !== "blas") {
      return refuse(
        new SettingsError(
          `--precision ${settings.precision} runs on the blas backend only; this run is on ` +
            `${backend.name} (--backend blas to ask for it)`,
        ),
      );
    }
    try {
      setBlasPrecision(settings.precision);
    } catch (error) {
      return refuse(new SettingsError(`--precision: ${(error as Error).message}`));
    }
    console.log(`precision: convolutions in ${settings.precision}, float32 accumulation`);
  }
  if (!native && settings.backend === "auto") console.log(`${INSTALL_HINT} ${backend.name}`);
  if (
    parsed.kind === "run" && backend.name === "wasm" && !given.has("batchSize") &&
    settings.batchSize > WASM_BATCH
  ) {
    const raw: Record<string, unknown> = {};
    for (const k of given) raw[k] = settings[k];
    raw.batchSize = WASM_BATCH;
    raw.name = settings.name;
    settings = resolveSettings(raw).settings;
    console.log(
      `batch size ${WASM_BATCH}: the most wasm's 4 GB heap holds (--batch-size to choose)`,
    );
  }

  if (previousBackend !== null && previousBackend !== backend.name) {
    console.log(
      `note: this run started on ${previousBackend}; it continues on ${backend.name}, so its ` +
        `loss curve may differ from an uninterrupted run's in the last bits`,
    );
  }
  if (settings.batchSize > data.train.shape[0]) {
    return refuse(
      new SettingsError(
        `--batch-size must be at most the ${data.train.shape[0]} training images, got ` +
          `${settings.batchSize}`,
      ),
    );
  }

  const folder = runFolder(runDir);
  const recipe: Recipe = recipeFor(settings, data);
  const first = recipe.stages[0];
  if (first.data !== data.train && first.batchSize > first.data.shape[0]) {
    return refuse(
      new SettingsError(
        `--batch-size must be at most the ${first.data.shape[0]} labelled images of --labels ` +
          `${settings.labels}, got ${first.batchSize}`,
      ),
    );
  }
  let position: RunPosition;
  if (checkpoint === null) {
    await Deno.mkdir(settings.runs, { recursive: true });
    await Deno.mkdir(runDir);
    // --pretrained: the pretraining stage is the source's, done; this run starts at stage 1.
    position = pretrained === null
      ? {
        stage: 0,
        step: 0,
        finished: [],
        totalSteps: [],
        stageSeconds: [],
        trainSeconds: 0,
        metricsBytes: 0,
      }
      : {
        stage: 1,
        step: 0,
        finished: [pretrained.state],
        totalSteps: [0],
        stageSeconds: [0],
        trainSeconds: 0,
        metricsBytes: 0,
      };
    if (pretrained !== null) {
      console.log(
        `pretrained: the pretraining of ${pretrained.from.run} (${pretrained.from.steps} steps, ` +
          `${pretrained.from.epochs.toFixed(2)} epochs); this run fine-tunes and distils`,
      );
    }
    await writeJson(folder.config, {
      settings,
      seed: settings.seed,
      backend: { name: backend.name, reason: backend.reason, tried: backend.tried },
      data: data.description,
      versions: {
        "@selfsup/train": denoJson.version,
        "@tensorflow/tfjs": tf.version.tfjs,
        deno: Deno.version.deno,
        v8: Deno.version.v8,
        typescript: Deno.version.typescript,
      },
      command: ["deno task train", ...args].join(" "),
      startedAt: new Date().toISOString(),
      ...(pretrained !== null ? { pretrainedFrom: pretrained.from } : {}),
    });
  } else {
    position = checkpoint.position;
    const removed = await recoverCheckpoint(runDir);
    if (removed.length > 0) {
      console.log(`removed unfinished checkpoint writes: ${removed.join(", ")}`);
    }
    console.log(
      `resuming ${runDir} at stage ${recipe.stages[position.stage]?.name ?? "evaluation"}, ` +
        `step ${position.step}`,
    );
  }

  const metrics = await MetricsLog.open(folder.metrics, position.metricsBytes);
  let stop = false;
  const onSigint = () => {
    if (stop) Deno.exit(130);
    stop = true;
    console.log("\nCtrl-C: finishing the step, then a checkpoint (Ctrl-C again to quit now)");
  };
  Deno.addSignalListener("SIGINT", onSigint);
  const progress = createProgress(Deno.stdout.isTerminal());
  const knnBank = selectImages(
    data.train,
    Array.from({ length: Math.min(settings.knnBank, data.train.shape[0]) }, (_, i) => i),
  );
  let states: unknown[];
  let finalPosition: RunPosition;
  try {
    ({ states, position: finalPosition } = await runStages(
      recipe.stages,
      position,
      checkpoint?.state ?? null,
      {
        runDir,
        seed: settings.seed,
        metrics,
        progress,
        logEvery: settings.logEvery,
        checkpointEvery: settings.checkpointEvery,
        checkpointSeconds: settings.checkpointMinutes * 60,
        knnEvery: settings.knnEvery,
        knnBank,
        validation: data.validation,
        knnK: settings.knnK,
        knnTemperature: settings.knnTemperature,
        stopRequested: () => stop,
        fitSteps: settings.minutes === null ? null : async (plan) => {
          const fit = await fitStepsToBudget(plan, settings.minutes!, settings.seed, {
            run: (encoder) =>
              knnMonitor(encoder, knnBank, data.validation, {
                k: Math.min(settings.knnK, knnBank.shape[0]),
                temperature: settings.knnTemperature,
              }),
            every: settings.knnEvery,
          });
          console.log(
            `--minutes ${settings.minutes}: ${fit.secondsPerStep.toFixed(2)} s per step, ` +
              `${fit.secondsPerMonitor.toFixed(1)} s per kNN -> ` +
              `${fit.totalSteps} steps (${
                (fit.totalSteps / Math.floor(plan.data.shape[0] / plan.batchSize)).toFixed(2)
              } epochs)`,
          );
          return fit.totalSteps;
        },
      },
    ));
  } catch (error) {
    metrics.close();
    if (error instanceof StopRequested) {
      console.log(
        `${error.message}; checkpoint written. Continue with: deno task train --resume ${runDir}`,
      );
      return 130;
    }
    if (error instanceof NonFiniteLoss) {
      console.error(
        `${error.message}. The last good checkpoint stays in ${runDir}/checkpoint; ` +
          `lower --learning-rate and start again, or --resume ${runDir} to retry from it.`,
      );
      return 1;
    }
    throw error;
  } finally {
    Deno.removeSignalListener("SIGINT", onSigint);
  }
  metrics.close();

  // Every classifier of the evaluation is fitted on data.train, which never holds a
  // validation image (loadTrainData takes the slice out of it), and scored on `scored`.
  const scored = settings.evaluateOn === "validation" ? data.validation : data.test;
  const splitName = settings.evaluateOn === "validation"
    ? "the validation slice"
    : "the test split";
  console.log(`evaluating on ${splitName} ...`);
  const encoder = await recipe.finalEncoder(states);
  try {
    await saveModel(encoder, folder.encoder, { overwrite: true });
    const options = {
      k: settings.knnK,
      temperature: settings.knnTemperature,
      probeEpochs: settings.probeEpochs,
      seed: settings.seed,
    };
    const evaluationStart = performance.now();
    const evaluation = await evaluateEncoder(encoder, data.train, scored, options);
    const baselines: Record<string, Record<string, number>> = {};
    for (const baseline of baselineList(settings)) {
      if (baseline === "pixels") {
        const pixels = await evaluatePixels(data.train, scored, options);
        baselines.rawPixels = {
          knnAccuracy: pixels.knnAccuracy,
          linearProbeAccuracy: pixels.linearProbeAccuracy,
        };
      } else {
        const initial = recipe.initialEncoder();
        try {
          const random = await evaluateEncoder(initial, data.train, scored, options);
          baselines.randomEncoder = {
            knnAccuracy: random.knnAccuracy,
            linearProbeAccuracy: random.linearProbeAccuracy,
            featureDim: random.featureDim,
          };
        } finally {
          initial.dispose();
        }
      }
    }
    const { saved: headSaved, value: projection } = await exportHead(
      recipe,
      states,
      folder.head,
      async (head) => {
        if (settings.evaluateProjection !== true) return null;
        // --head-layers 0: z is h, whose numbers are the encoder's.
        const z = head === null
          ? evaluation
          : await evaluateEncoder(projectionModel(encoder, head), data.train, scored, options);
        return {
          knnAccuracy: z.knnAccuracy,
          linearProbeAccuracy: z.linearProbeAccuracy,
          featureDim: z.featureDim,
        };
      },
    );
    const extra = await recipe.extraResults(states, scored);
    const evaluationSeconds = (performance.now() - evaluationStart) / 1000;
    const lines = await readMetrics(folder.metrics);
    const steps = lines.filter((l) => l.loss !== undefined);
    const totalSteps = finalPosition.totalSteps[0];
    const config = JSON.parse(await Deno.readTextFile(folder.config));
    const results = {
      method: settings.method,
      knnAccuracy: evaluation.knnAccuracy,
      linearProbeAccuracy: evaluation.linearProbeAccuracy,
      ...extra,
      baselines,
      trainSeconds: finalPosition.trainSeconds,
      epochs: totalSteps / stepsPerEpoch(recipe.stages[0]),
      steps: totalSteps,
      imagesPerSecond: median(steps.map((l) => l.imagesPerSecond).filter(Number.isFinite)),
      backend: backend.name,
      featureDim: evaluation.featureDim,
      ...(projection !== null ? { projection } : {}),
      evaluatedOn: settings.evaluateOn,
      evaluationSeconds,
      labelledImages: recipe.labelledImages,
      stages: recipe.stages.map((plan, i) => {
        const speeds = steps.filter((l) => l.stage === i).map((l) => l.imagesPerSecond)
          .filter(Number.isFinite);
        return {
          name: plan.name,
          steps: finalPosition.totalSteps[i],
          seconds: finalPosition.stageSeconds?.[i] ?? null,
          epochs: finalPosition.totalSteps[i] / stepsPerEpoch(plan),
          imagesPerSecond: speeds.length > 0 ? median(speeds) : null,
        };
      }),
      ...(config.pretrainedFrom !== undefined ? { pretrainedFrom: config.pretrainedFrom } : {}),
    };
    await writeJson(folder.results, results);
    const pct = (x: number) => `${(100 * x).toFixed(1)}%`;
    console.log(
      [
        `kNN ${pct(results.knnAccuracy)} | linear probe ${pct(results.linearProbeAccuracy)}`,
        ...(projection === null ? [] : [
          `projection z: kNN ${pct(projection.knnAccuracy)}, linear ` +
          pct(projection.linearProbeAccuracy),
        ]),
        ...Object.entries({ rawPixels: "raw pixels", randomEncoder: "random encoder" })
          .filter(([key]) => baselines[key] !== undefined)
          .map(([key, name]) =>
            `${name}: kNN ${pct(baselines[key].knnAccuracy)}, linear ` +
            pct(baselines[key].linearProbeAccuracy)
          ),
      ].join(" | ") + ` (${splitName}; ${evaluationSeconds.toFixed(1)} s)`,
    );

    const mapSet = selectImages(
      scored,
      Array.from({ length: Math.min(MAP_POINTS, scored.shape[0]) }, (_, i) => i),
    );
    const features = await embed(encoder, mapSet);
    const html = await renderReport({
      title: settings.name,
      settings: config,
      metrics: lines,
      results,
      embedding: {
        features,
        dim: features.length / mapSet.shape[0],
        labels: mapSet.labels!,
        classNames: data.classNames,
      },
      views: viewGrid(recipe, scored, settings.seed),
    });
    await Deno.writeTextFile(`${folder.report}.tmp-${Deno.pid}`, html);
    await Deno.rename(`${folder.report}.tmp-${Deno.pid}`, folder.report);
    console.log(
      `done: ${runDir} (report.html, results.json, encoder/${headSaved ? ", head/" : ""})`,
    );
  } finally {
    encoder.dispose();
  }
  return 0;
}

/**
 * Saves the recipe's projection head (if any) to `dir`, runs `use` on it (null: no head, z =
 * h) and disposes it.
 */
async function exportHead<T>(
  recipe: Recipe,
  states: unknown[],
  dir: string,
  use: (head: tf.LayersModel | null) => Promise<T>,
): Promise<{ saved: boolean; value: T }> {
  const head = await recipe.finalHead(states);
  try {
    if (head !== null) await saveModel(head, dir, { overwrite: true });
    return { saved: head !== null, value: await use(head) };
  } finally {
    head?.dispose();
  }
}

/**
 * z = head(encoder(x)) as one flat model: the encoder's graph, then the head's layers applied
 * in order to its output (the heads of `@selfsup/heads` are chains), shared, not copied; flat
 * rather than nested so that whatever evaluates it sees every layer. It owns no weights of its
 * own: the caller disposes the encoder and the head, never this model (that would free theirs).
 */
function projectionModel(encoder: tf.LayersModel, head: tf.LayersModel): tf.LayersModel {
  let z = encoder.outputs[0];
  for (const layer of head.layers) {
    if (layer.getClassName() !== "InputLayer") z = layer.apply(z) as tf.SymbolicTensor;
  }
  return tf.model({ inputs: encoder.inputs, outputs: z });
}

// Two views of the first scored images, as uint8 pairs for the report's grid.
function viewGrid(recipe: Recipe, scored: Dataset, seed: number) {
  const n = Math.min(VIEW_IMAGES, scored.shape[0]);
  const [, h, w, c] = scored.shape;
  const images = tf.tidy(() => {
    const x = tf.tensor4d(scored.images.subarray(0, n * h * w * c), [n, h, w, c], "int32")
      .toFloat().div(255) as tf.Tensor4D;
    const [a, b] = recipe.views(x, seed);
    // [n, 2, h, w, c] -> pairs of views next to each other.
    return tf.stack([a, b], 1).reshape([2 * n, a.shape[1], a.shape[2], c]).mul(255).round()
      .clipByValue(0, 255).toInt();
  });
  const shape = images.shape as [number, number, number, number];
  const bytes = Uint8Array.from(images.dataSync());
  images.dispose();
  return { images: bytes, shape };
}

function median(values: number[]): number {
  if (values.length === 0) return 0;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)];
}

function refuse(error: unknown): number {
  if (
    error instanceof SettingsError || error instanceof DataSourceError ||
    error instanceof CheckpointError
  ) {
    console.error(`error: ${error.message}`);
    return 2;
  }
  if (
    error instanceof Error && error.message.startsWith("the ") &&
    /backend could not start/.test(error.message)
  ) {
    console.error(`error: --backend: ${error.message}`);
    return 2;
  }
  throw error;
}

if (import.meta.main) {
  let code: number;
  try {
    code = await main(Deno.args);
  } catch (error) {
    console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    code = 1;
  }
  Deno.exit(code);
}
