import assert from "node:assert/strict";
import { join } from "node:path";
import * as tf from "@tensorflow/tfjs";
import { type Dataset, selectImages, toImageTensor } from "@selfsup/data";
import { accuracy, extractFeatures, knnClassifier, linearProbe } from "@selfsup/eval";
import { readCheckpoint } from "./checkpoint.ts";
import { loadModel } from "@selfsup/encoders/model_files";
import { loadTrainData } from "./data_source.ts";
import { evaluateEncoder, evaluatePixels } from "./evaluate.ts";
import { recipeFor } from "./recipes/recipes.ts";
import { simclrModelsFromState } from "./recipes/simclr_recipe.ts";
import { resolveForImages, resolveSettings, type Settings } from "./settings.ts";
import { lossCurve, runTrain, spawnTrain } from "./_test_run.ts";

tf.enableProdMode();

const RUNS = await Deno.makeTempDir({ prefix: "selfsup-train-test-" });
// Every smoke run of this file: wasm (no system library needed), 10 steps.
const SMOKE = ["--smoke", "--backend", "wasm"];

const smokeRuns = new Map<string, Promise<string>>();
/** One smoke run per recipe, shared by the tests that read it. */
function smokeRun(method: string): Promise<string> {
  if (!smokeRuns.has(method)) {
    smokeRuns.set(
      method,
      (async () => {
        const result = await runTrain(RUNS, [...SMOKE, "--method", method, "--name", method]);
        assert.equal(result.code, 0, `${method}: ${result.stderr}\n${result.stdout}`);
        return join(RUNS, method);
      })(),
    );
  }
  return smokeRuns.get(method)!;
}

for (const method of ["simclr", "byol", "supervised", "simclrv2"]) {
  Deno.test(`deno task train --smoke --method ${method} writes every promised file and they parse`, async () => {
    const dir = await smokeRun(method);
    const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
    assert.equal(config.settings.method, method);
    assert.equal(config.backend.name, "wasm");
    assert.match(config.backend.reason, /asked for by name/);
    assert.equal(typeof config.versions["@tensorflow/tfjs"], "string");
    assert.equal(config.seed, 1);

    const metrics = (await Deno.readTextFile(join(dir, "metrics.jsonl")))
      .trim().split("\n").map((l) => JSON.parse(l));
    const steps = metrics.filter((m) => m.loss !== undefined);
    const stages = method === "simclrv2" ? 3 : 1;
    assert.ok(steps.length >= 10, `${steps.length} step lines`);
    assert.deepEqual([...new Set(steps.map((m) => m.stage))], [0, 1, 2].slice(0, stages));
    for (const m of steps) {
      for (
        const key of [
          "step",
          "epoch",
          "loss",
          "learningRate",
          "momentum",
          "imagesPerSecond",
          "tensors",
          "rss",
        ]
      ) {
        assert.ok(Number.isFinite(m[key]), `${key} in ${JSON.stringify(m)}`);
      }
    }
    const knn = metrics.filter((m) => m.validationKnn !== undefined);
    assert.ok(knn.length >= stages, `${knn.length} kNN lines`);
    for (const m of knn) assert.ok(m.validationKnn >= 0 && m.validationKnn <= 1);

    const results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
    for (const key of ["knnAccuracy", "linearProbeAccuracy"]) {
      assert.ok(results[key] >= 0 && results[key] <= 1, key);
      assert.ok(results.baselines.rawPixels[key] >= 0 && results.baselines.rawPixels[key] <= 1);
    }
    assert.equal(results.backend, "wasm");
    assert.equal(results.epochs, 1);
    assert.ok(results.trainSeconds > 0 && results.imagesPerSecond > 0);
    assert.equal(results.evaluatedOn, "test");
    assert.ok(results.evaluationSeconds > 0);
    // 160 training images; SimCLRv2 fine-tunes on 10% of each class of 16 (2 each).
    const labelled = { simclr: 0, byol: 0, supervised: 160, simclrv2: 20 }[method];
    assert.equal(results.labelledImages, labelled);
    const names = method === "simclrv2" ? ["pretrain", "finetune", "distill"] : [
      method === "supervised" ? "supervised" : "pretrain",
    ];
    assert.deepEqual(results.stages.map((s: { name: string }) => s.name), names);
    assert.equal(results.stages[0].steps, results.steps);
    assert.equal(results.stages[0].epochs, results.epochs);
    let seconds = 0;
    results.stages.forEach((stage: Record<string, number>, i: number) => {
      const lines = steps.filter((m) => m.stage === i);
      assert.equal(lines.length, stage.steps, `${stage.name}: one line per step`);
      const speeds = lines.map((m) => m.imagesPerSecond).sort((a, b) => a - b);
      assert.equal(stage.imagesPerSecond, speeds[Math.floor(speeds.length / 2)]);
      assert.ok(stage.seconds > 0);
      seconds += stage.seconds;
    });
    assert.ok(Math.abs(seconds - results.trainSeconds) < 1e-6, `${seconds}`);
    if (method === "simclrv2") {
      assert.ok(results.fineTuned.accuracy >= 0 && results.fineTuned.accuracy <= 1);
      assert.ok(results.distilled.accuracy >= 0 && results.distilled.accuracy <= 1);
    }
    if (method === "supervised") assert.ok(results.supervised.accuracy >= 0);

    const html = await Deno.readTextFile(join(dir, "report.html"));
    assert.ok((html.match(/<svg/g) ?? []).length >= 3, "the report's charts are inline SVG");
    const files = [...Deno.readDirSync(join(dir, "encoder"))].map((e) => e.name).sort();
    assert.deepEqual(files, ["model.json", "weights.bin"]);
    assert.ok(Deno.statSync(join(dir, "checkpoint", "state.json")).isFile);
  });
}

Deno.test("supervised --labels 10% trains on SimCLRv2's 10% and counts epochs over it", async () => {
  const name = "supervised-10";
  const args = [...SMOKE, "--method", "supervised", "--labels", "10%", "--epochs", "3"];
  const result = await runTrain(RUNS, [...args, "--name", name]);
  assert.equal(result.code, 0, result.stderr);
  const results = JSON.parse(await Deno.readTextFile(join(RUNS, name, "results.json")));
  // 20 labelled images at batch 16: one step per epoch.
  assert.equal(results.labelledImages, 20);
  assert.equal(results.supervised.labelledImages, 20);
  assert.equal(results.steps, 3);
  assert.equal(results.epochs, 3);
  const config = JSON.parse(await Deno.readTextFile(join(RUNS, name, "config.json")));
  assert.equal(config.settings.labels, "10%");
  assert.deepEqual((await lossCurve(join(RUNS, name))).map(([s]) => s), [0, 1, 2]);
});

Deno.test("--evaluate-on validation scores every classifier and baseline on the validation slice, fitted on the rest", async () => {
  const trained = await smokeRun("simclr");
  const name = "on-validation";
  const result = await runTrain(RUNS, [
    ...SMOKE,
    "--name",
    name,
    "--evaluate-on",
    "validation",
    "--baselines",
    "random-encoder,pixels",
  ]);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /evaluating on the validation slice/);
  const dir = join(RUNS, name);
  // The evaluation split changes nothing of the training.
  assert.deepEqual(
    await Deno.readFile(join(dir, "encoder", "weights.bin")),
    await Deno.readFile(join(trained, "encoder", "weights.bin")),
  );
  const results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
  assert.equal(results.evaluatedOn, "validation");
  assert.deepEqual(Object.keys(results.baselines), ["randomEncoder", "rawPixels"]);
  assert.equal(results.baselines.randomEncoder.featureDim, results.featureDim);

  // The same numbers, recomputed here: fitted on the training images, scored on the slice.
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const settings = resolveSettings(
    Object.fromEntries(Object.entries(config.settings).filter(([, v]) => v !== null)),
  ).settings as Settings;
  const data = await loadTrainData("fashion-mnist", {
    seed: settings.seed,
    validationSize: settings.validationSize,
    limit: { train: settings.limitTrain!, test: settings.limitTest! },
  });
  assert.equal(data.validation.shape[0], 40);
  const options = {
    k: settings.knnK,
    temperature: settings.knnTemperature,
    probeEpochs: settings.probeEpochs,
    seed: settings.seed,
  };
  const encoder = await loadModel(join(dir, "encoder"));
  const own = await evaluateEncoder(encoder, data.train, data.validation, options);
  encoder.dispose();
  assert.equal(results.knnAccuracy, own.knnAccuracy);
  assert.equal(results.linearProbeAccuracy, own.linearProbeAccuracy);
  const initial = recipeFor(resolveForImages(settings, 28, 28), data).initialEncoder();
  const random = await evaluateEncoder(initial, data.train, data.validation, options);
  initial.dispose();
  assert.equal(results.baselines.randomEncoder.knnAccuracy, random.knnAccuracy);
  assert.equal(results.baselines.randomEncoder.linearProbeAccuracy, random.linearProbeAccuracy);
  const pixels = await evaluatePixels(data.train, data.validation, options);
  assert.equal(results.baselines.rawPixels.knnAccuracy, pixels.knnAccuracy);
  assert.equal(results.baselines.rawPixels.linearProbeAccuracy, pixels.linearProbeAccuracy);
  const html = await Deno.readTextFile(join(dir, "report.html"));
  assert.match(html, /<h2>Validation accuracy<\/h2>/);
  assert.match(html, /<th>random encoder \(baseline\)<\/th>/);
});

Deno.test("--baselines none evaluates no baseline and the report still renders", async () => {
  const name = "no-baselines";
  const result = await runTrain(RUNS, [
    ...SMOKE,
    "--method",
    "byol",
    "--name",
    name,
    "--baselines",
    "none",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const results = JSON.parse(await Deno.readTextFile(join(RUNS, name, "results.json")));
  assert.deepEqual(results.baselines, {});
  assert.ok(results.knnAccuracy >= 0 && results.knnAccuracy <= 1);
  const html = await Deno.readTextFile(join(RUNS, name, "report.html"));
  assert.match(html, /<h2>Test accuracy<\/h2>/);
  assert.ok(!html.includes("(baseline)"));
  assert.doesNotMatch(result.stdout, /raw pixels/);
});

Deno.test("the exported encoder loads with plain tf.loadLayersModel over http and gives the trained encoder's embeddings", async () => {
  const dir = await smokeRun("simclr");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (req) => {
    const name = new URL(req.url).pathname.split("/").pop()!;
    try {
      return new Response(await Deno.readFile(join(dir, "encoder", name)));
    } catch {
      return new Response("not found", { status: 404 });
    }
  });
  let loaded: tf.LayersModel;
  try {
    loaded = await tf.loadLayersModel(`http://127.0.0.1:${server.addr.port}/model.json`);
  } finally {
    await server.shutdown();
  }
  // The trained encoder, rebuilt through our packages from the final checkpoint.
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const settings = resolveSettings(
    Object.fromEntries(Object.entries(config.settings).filter(([, v]) => v !== null)),
  ).settings as Settings;
  const data = await loadTrainData("fashion-mnist", {
    seed: settings.seed,
    validationSize: settings.validationSize,
    limit: { train: settings.limitTrain!, test: settings.limitTest! },
  });
  const saved = await readCheckpoint(dir) as { state: unknown };
  const { encoder, head } = simclrModelsFromState(settings, data.train, saved.state);
  const x = toImageTensor(selectImages(data.test, [0, 1, 2, 3, 4, 5, 6, 7]));
  const a = encoder.predict(x) as tf.Tensor;
  const b = loaded.predict(x) as tf.Tensor;
  assert.deepEqual(b.shape, [8, 16]);
  const [av, bv] = [a.dataSync(), b.dataSync()];
  let worst = 0;
  for (let i = 0; i < av.length; i++) worst = Math.max(worst, Math.abs(av[i] - bv[i]));
  assert.ok(worst < 1e-5, `largest difference ${worst}`);
  assert.ok(av.some((v) => v !== 0));
  tf.dispose([x, a, b]);
  for (const m of [loaded, encoder, head]) m.dispose();
});

Deno.test("a run killed with SIGKILL while writing a checkpoint resumes to the uninterrupted run's loss curve", async () => {
  const uninterrupted = await smokeRun("simclr");
  const name = "killed";
  // Checkpoints: before step 0, then every 2 steps. The third write (after step 4) stops
  // half-way through tensors.bin.
  const child = spawnTrain(RUNS, [...SMOKE, "--name", name], {
    SELFSUP_TRAIN_HANG_IN_CHECKPOINT: "3",
  });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!err.includes("hanging for the test")) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the run ended before its third checkpoint: ${err}`);
    err += value;
  }
  const hidden = [...Deno.readDirSync(join(RUNS, name))].map((e) => e.name);
  assert.ok(hidden.some((n) => n.startsWith(".checkpoint.tmp-")), hidden.join(", "));
  child.kill("SIGKILL");
  const status = await child.status;
  assert.equal(status.signal, "SIGKILL");
  await reader.cancel();
  await child.stdout.cancel();

  const resumed = await runTrain(RUNS, ["--resume", join(RUNS, name)]);
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /removed unfinished checkpoint writes: \.checkpoint\.tmp-/);
  assert.match(resumed.stdout, /resuming .* step 2/);
  const left = [...Deno.readDirSync(join(RUNS, name))].map((e) => e.name).sort();
  assert.deepEqual(left, [
    "checkpoint",
    "config.json",
    "encoder",
    "head",
    "metrics.jsonl",
    "report.html",
    "results.json",
  ]);
  const expected = await lossCurve(uninterrupted);
  assert.equal(expected.length, 10);
  assert.deepEqual(await lossCurve(join(RUNS, name)), expected);
});

Deno.test("Ctrl-C finishes the step, writes a checkpoint and exits 130; --resume then finishes every step once", async () => {
  const name = "interrupted";
  const child = spawnTrain(RUNS, [...SMOKE, "--name", name, "--epochs", "5", "--knn-every", "5"]);
  const reader = child.stdout.pipeThrough(new TextDecoderStream()).getReader();
  let out = "";
  while (!out.includes("step 5: validation kNN")) {
    const { value, done } = await reader.read();
    assert.ok(!done, `ended early: ${out}`);
    out += value;
  }
  child.kill("SIGINT");
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    out += value;
  }
  const status = await child.status;
  await child.stderr.cancel();
  assert.equal(status.code, 130, out);
  assert.match(out, /checkpoint written\. Continue with: deno task train --resume/);
  const saved = await readCheckpoint(join(RUNS, name)) as { position: { step: number } };
  assert.ok(saved.position.step >= 5 && saved.position.step < 50, `${saved.position.step}`);

  const resumed = await runTrain(RUNS, ["--resume", join(RUNS, name)]);
  assert.equal(resumed.code, 0, resumed.stderr);
  const steps = (await lossCurve(join(RUNS, name))).map(([s]) => s);
  assert.deepEqual(steps, Array.from({ length: 50 }, (_, i) => i));
});

Deno.test("SimCLRv2 killed in its distillation stage resumes to the uninterrupted three-stage loss curve", async () => {
  const uninterrupted = await smokeRun("simclrv2");
  const name = "killed-v2";
  // Checkpoints: one before step 0, pretraining 5 (every 2 of 10 steps), fine-tuning 1 (its
  // last step), then distillation: the eighth write is distillation's first.
  const child = spawnTrain(RUNS, [...SMOKE, "--method", "simclrv2", "--name", name], {
    SELFSUP_TRAIN_HANG_IN_CHECKPOINT: "8",
  });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!err.includes("hanging for the test")) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the run ended before its eighth checkpoint: ${err}`);
    err += value;
  }
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  await child.stdout.cancel();

  const resumed = await runTrain(RUNS, ["--resume", join(RUNS, name)]);
  assert.equal(resumed.code, 0, resumed.stderr);
  // The last good checkpoint is the end of fine-tuning: the resume starts distillation.
  assert.match(resumed.stdout, /resuming .* at stage finetune, step 2/);
  const expected = await lossCurve(uninterrupted);
  assert.deepEqual(await lossCurve(join(RUNS, name)), expected);
  const a = JSON.parse(await Deno.readTextFile(join(uninterrupted, "results.json")));
  const b = JSON.parse(await Deno.readTextFile(join(RUNS, name, "results.json")));
  assert.deepEqual(b.fineTuned, a.fineTuned);
  assert.deepEqual(b.distilled, a.distilled);
  assert.equal(b.knnAccuracy, a.knnAccuracy);
});

Deno.test("a diverging run stops with exit 1 and a message, keeping the last good checkpoint", async () => {
  const name = "diverging";
  const result = await runTrain(RUNS, [
    ...SMOKE,
    "--name",
    name,
    "--learning-rate",
    "1e6",
    "--warmup",
    "0",
    "--checkpoint-every",
    "1",
  ]);
  assert.equal(result.code, 1, result.stdout);
  assert.match(
    result.stderr,
    /(loss became|features are|is) no longer finite|loss became (NaN|Infinity)/,
  );
  assert.match(result.stderr, /The last good checkpoint stays in/);
  const saved = await readCheckpoint(join(RUNS, name)) as {
    position: { step: number };
    state: { models: { encoder: Array<{ values: Float32Array }> } };
  };
  assert.ok(saved.position.step >= 1 && saved.position.step < 10, `${saved.position.step}`);
  const weights = saved.state.models.encoder.flatMap((r) => Array.from(r.values));
  assert.ok(weights.length > 0 && weights.every(Number.isFinite));
  const names = [...Deno.readDirSync(join(RUNS, name))].map((e) => e.name).sort();
  assert.deepEqual(names, ["checkpoint", "config.json", "metrics.jsonl"]);
});

Deno.test("--minutes fits the schedule's steps from a speed probe and the cosine ends at the last step", async () => {
  const name = "budget";
  const result = await runTrain(RUNS, [...SMOKE, "--name", name, "--minutes", "0.1"]);
  assert.equal(result.code, 0, result.stderr);
  const fitted = /--minutes 0\.1: [\d.]+ s per step, [\d.]+ s per kNN -> (\d+) steps/.exec(
    result.stdout,
  );
  assert.ok(fitted !== null, result.stdout);
  const steps = Number(fitted[1]);
  const curve = await lossCurve(join(RUNS, name));
  assert.deepEqual(curve.map(([s]) => s), Array.from({ length: steps }, (_, i) => i));
  const results = JSON.parse(await Deno.readTextFile(join(RUNS, name, "results.json")));
  assert.equal(results.steps, steps);
  const config = JSON.parse(await Deno.readTextFile(join(RUNS, name, "config.json")));
  assert.equal(config.settings.minutes, 0.1);
  assert.equal(config.settings.epochs, null);
  // The schedule was built for exactly these steps: warmup + cosine reaching 0 at `steps`.
  const lines = (await Deno.readTextFile(join(RUNS, name, "metrics.jsonl"))).trim().split("\n")
    .map((l) => JSON.parse(l)).filter((m) => m.loss !== undefined);
  const peak = config.settings.learningRate;
  const warmup = Math.round(config.settings.warmup * steps);
  const last = steps - 1;
  const expected = last < warmup
    ? peak * (last + 1) / warmup
    : peak * (1 + Math.cos(Math.PI * (last - warmup) / (steps - warmup))) / 2;
  assert.ok(Math.abs(lines.at(-1).learningRate - expected) <= 1e-9 * peak);
});

/** A model folder loaded from memory with plain tfjs, as a user without our packages would. */
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

Deno.test("--augment with exactly the preset's transforms trains as the default views, step for step", async () => {
  const base = await smokeRun("simclr");
  const name = "augment-preset";
  const args = [...SMOKE, "--name", name, "--augment", "flip,crop,grayscale,color"];
  const result = await runTrain(RUNS, args);
  assert.equal(result.code, 0, result.stderr);
  const curve = await lossCurve(join(RUNS, name));
  assert.equal(curve.length, 10);
  assert.deepEqual(curve, await lossCurve(base));
  const config = JSON.parse(await Deno.readTextFile(join(RUNS, name, "config.json")));
  assert.equal(config.settings.augment, "flip,crop,grayscale,color");
});

Deno.test("--evaluate-projection scores z = head(encoder(x)) of the exported encoder/ and head/", async () => {
  const base = await smokeRun("simclr");
  const name = "projection";
  const result = await runTrain(RUNS, [
    ...SMOKE,
    "--name",
    name,
    "--head-layers",
    "1",
    "--evaluate-projection",
    "--augment",
    "crop,rotation",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const dir = join(RUNS, name);
  // Other views, other training.
  assert.notDeepEqual(await lossCurve(dir), await lossCurve(base));
  const results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
  const config = JSON.parse(await Deno.readTextFile(join(dir, "config.json")));
  const s = config.settings;
  assert.equal(results.projection.featureDim, s.projectionDim);

  // The same numbers from the two exported models, features taken here.
  const encoder = await loadFromMemory(join(dir, "encoder"));
  const head = await loadFromMemory(join(dir, "head"));
  assert.deepEqual(head.layers.map((l) => l.name), ["input", "layer1_dense", "layer1_bn"]);
  const data = await loadTrainData("fashion-mnist", {
    seed: s.seed,
    validationSize: s.validationSize,
    limit: { train: s.limitTrain, test: s.limitTest },
  });
  const z = async (images: Dataset) => {
    const h = await extractFeatures(encoder, images);
    const out = head.predict(h) as tf.Tensor2D;
    h.dispose();
    return out;
  };
  const [zTrain, zTest] = [await z(data.train), await z(data.test)];
  const bank = { features: zTrain, labels: data.train.labels! };
  const options = { k: s.knnK, temperature: s.knnTemperature, checkValues: false };
  const knn = accuracy(await knnClassifier(bank, zTest, options), data.test.labels!);
  const probe = await linearProbe(bank, { features: zTest, labels: data.test.labels! }, {
    epochs: s.probeEpochs,
    seed: s.seed,
    checkValues: false,
  });
  assert.equal(results.projection.knnAccuracy, knn);
  assert.equal(results.projection.linearProbeAccuracy, probe.accuracy);
  tf.dispose([zTrain, zTest]);
  encoder.dispose();
  head.dispose();
});

Deno.test("--head-layers 0 trains on h itself: no head/ exported, the projection's numbers are h's", async () => {
  const name = "no-head";
  const result = await runTrain(RUNS, [
    ...SMOKE,
    "--name",
    name,
    "--head-layers",
    "0",
    "--evaluate-projection",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const dir = join(RUNS, name);
  const results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
  assert.deepEqual(results.projection, {
    knnAccuracy: results.knnAccuracy,
    linearProbeAccuracy: results.linearProbeAccuracy,
    featureDim: results.featureDim,
  });
  const files = [...Deno.readDirSync(dir)].map((e) => e.name);
  assert.ok(files.includes("encoder") && !files.includes("head"), files.join(", "));
  const plain = JSON.parse(await Deno.readTextFile(join(await smokeRun("simclr"), "results.json")));
  assert.equal(plain.projection, undefined, "nothing changes without the flag");
});

Deno.test({
  name: "(cleanup) the smoke runs' temporary folder",
  fn: () => Deno.remove(RUNS, { recursive: true }),
});
