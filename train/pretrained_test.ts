import assert from "node:assert/strict";
import { join } from "node:path";
import { writeCheckpoint } from "./checkpoint.ts";
import { lossCurve, runTrain, snapshot, spawnTrain } from "./_test_run.ts";

const RUNS = await Deno.makeTempDir({ prefix: "selfsup-train-pretrained-" });
const SMOKE = ["--smoke", "--backend", "wasm", "--method", "simclrv2"];
const SOURCE = join(RUNS, "source");

const read = async (dir: string, file: string) =>
  JSON.parse(await Deno.readTextFile(join(dir, file)));

let source: Promise<void> | null = null;
/** The SimCLRv2 smoke run the others take their pretraining from. */
function sourceRun(): Promise<void> {
  source ??= (async () => {
    const result = await runTrain(RUNS, [...SMOKE, "--name", "source"]);
    assert.equal(result.code, 0, result.stderr);
  })();
  return source;
}

/** (stage, step in stage, loss) of every step line. */
async function stageCurve(dir: string): Promise<Array<[number, number, number]>> {
  const text = await Deno.readTextFile(join(dir, "metrics.jsonl"));
  return text.split("\n").filter((l) => l !== "").map((l) => JSON.parse(l))
    .filter((m) => m.loss !== undefined).map((m) => [m.stage, m.stageStep, m.loss]);
}

Deno.test("--pretrained takes the source's final pretrained encoder bit for bit and fine-tunes it on other labels", async () => {
  await sourceRun();
  const name = "other-labels";
  const result = await runTrain(RUNS, [
    ...SMOKE,
    "--name",
    name,
    "--pretrained",
    SOURCE,
    "--labels",
    "30",
  ]);
  assert.equal(result.code, 0, result.stderr);
  const dir = join(RUNS, name);
  assert.deepEqual(
    await Deno.readFile(join(dir, "encoder", "weights.bin")),
    await Deno.readFile(join(SOURCE, "encoder", "weights.bin")),
  );
  const results = await read(dir, "results.json");
  const theirs = await read(SOURCE, "results.json");
  // The fine-tuning ran, on 3 images of each class: 30 at batch 8, 3 steps.
  assert.equal(results.fineTuned.labelledImages, 30);
  assert.notEqual(theirs.fineTuned.labelledImages, 30);
  assert.deepEqual(results.stages.map((s: Record<string, number>) => s.steps), [0, 3, 10]);
  assert.equal(results.stages[0].imagesPerSecond, null);
  const curve = await stageCurve(dir);
  assert.deepEqual(curve.map(([stage]) => stage), [1, 1, 1, ...Array(10).fill(2)]);
  // This run did no pretraining step; the source's numbers are named as its.
  assert.equal(results.steps, 0);
  assert.equal(results.epochs, 0);
  assert.deepEqual(results.pretrainedFrom, {
    run: SOURCE,
    trainSeconds: theirs.trainSeconds,
    epochs: theirs.epochs,
    steps: theirs.steps,
    imagesPerSecond: theirs.imagesPerSecond,
    stage: theirs.stages[0],
  });
  const config = await read(dir, "config.json");
  assert.equal(config.settings.pretrained, SOURCE);
  assert.equal(config.settings.epochs, null);
  assert.equal(config.settings.minutes, null);
});

Deno.test("--pretrained with the source's own labels repeats its fine-tuning and distillation exactly", async () => {
  await sourceRun();
  const name = "same-labels";
  const result = await runTrain(RUNS, [...SMOKE, "--name", name, "--pretrained", SOURCE]);
  assert.equal(result.code, 0, result.stderr);
  const dir = join(RUNS, name);
  const theirs = (await stageCurve(SOURCE)).filter(([stage]) => stage > 0);
  assert.equal(theirs.length, 12);
  assert.deepEqual(await stageCurve(dir), theirs);
  const a = await read(SOURCE, "results.json");
  const b = await read(dir, "results.json");
  assert.deepEqual(b.fineTuned, a.fineTuned);
  assert.deepEqual(b.distilled, a.distilled);
  assert.equal(b.knnAccuracy, a.knnAccuracy);
});

Deno.test("a --pretrained run killed in a checkpoint write resumes without its source to the same curve", async () => {
  await sourceRun();
  const name = "pretrained-killed";
  // Checkpoint writes: 1 before fine-tuning's first step, 2 at its end (step 2), 3 at
  // distillation's step 2, which hangs half-way.
  const child = spawnTrain(RUNS, [...SMOKE, "--name", name, "--pretrained", SOURCE], {
    SELFSUP_TRAIN_HANG_IN_CHECKPOINT: "3",
  });
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let err = "";
  while (!err.includes("hanging for the test")) {
    const { value, done } = await reader.read();
    assert.ok(!done, `the run ended before its third checkpoint: ${err}`);
    err += value;
  }
  child.kill("SIGKILL");
  await child.status;
  await reader.cancel();
  await child.stdout.cancel();
  // The resume reads nothing of the source any more.
  const moved = join(RUNS, "source-away");
  await Deno.rename(SOURCE, moved);
  let resumed;
  try {
    resumed = await runTrain(RUNS, ["--resume", join(RUNS, name)]);
  } finally {
    await Deno.rename(moved, SOURCE);
  }
  assert.equal(resumed.code, 0, resumed.stderr);
  assert.match(resumed.stdout, /resuming .* at stage finetune, step 2/);
  const dir = join(RUNS, name);
  const expected = (await stageCurve(SOURCE)).filter(([stage]) => stage > 0);
  assert.deepEqual(await stageCurve(dir), expected);
  assert.deepEqual(
    await Deno.readFile(join(dir, "encoder", "weights.bin")),
    await Deno.readFile(join(SOURCE, "encoder", "weights.bin")),
  );
  const results = await read(dir, "results.json");
  assert.equal(results.pretrainedFrom.run, SOURCE);
  assert.equal(results.steps, 0);
  assert.deepEqual((await lossCurve(dir)).map(([s]) => s), Array.from({ length: 12 }, (_, i) => i));
});

/** Runs with `args`, expects exit 2 and `message`, and nothing changed under RUNS. */
async function refused(args: string[], message: RegExp): Promise<void> {
  const before = await snapshot(RUNS);
  const result = await runTrain(join(RUNS, "new"), [...args, "--name", "refused"]);
  assert.equal(result.code, 2, `${result.stderr}\n${result.stdout}`);
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
  assert.match(result.stderr.trim(), message);
  assert.deepEqual(await snapshot(RUNS), before);
}

/** A copy of the source's config.json (and what `extra` writes) in a new folder. */
async function fake(name: string, edit: (settings: Record<string, unknown>) => void = () => {}) {
  const dir = join(RUNS, name);
  await Deno.mkdir(dir);
  const config = await read(SOURCE, "config.json");
  edit(config.settings);
  await Deno.writeTextFile(join(dir, "config.json"), JSON.stringify(config));
  return dir;
}

Deno.test("--pretrained is refused (exit 2, nothing written) for another method, length, folder or model", async () => {
  await sourceRun();
  const p = ["--pretrained", SOURCE];
  await refused(
    ["--smoke", "--method", "simclr", ...p],
    /^error: --pretrained applies only to --method simclrv2, got --method simclr$/,
  );
  await refused(
    [...SMOKE, ...p, "--epochs", "2"],
    /^error: --epochs sizes the pretraining, which --pretrained takes from .*: remove --epochs$/,
  );
  await refused(
    [...SMOKE, "--pretrained", join(RUNS, "nowhere")],
    /^error: --pretrained .*nowhere: not a run folder \(no config\.json there\)$/,
  );
  await refused(
    [...SMOKE, ...p, "--seed", "2"],
    /^error: --pretrained .*source: its --seed is 1, this run's is 2: the pretrained model must be built as this run's/,
  );
  await refused(
    [...SMOKE, ...p, "--encoder", "convnetx0.25"],
    /its --encoder is "convnetx0\.125", this run's is "convnetx0\.25"/,
  );
  await refused([...SMOKE, ...p, "--hidden-dim", "8"], /its --hidden-dim is null, this run's is 8/);
  await refused([...SMOKE, ...p, "--validation-size", "30"], /its --validation-size is 40/);
  await refused(
    [...SMOKE, ...p, "--augment", "crop,color"],
    /its --augment is "default", this run's is "crop,color"/,
  );
});

Deno.test("--pretrained is refused for a source without checkpoint, of another method, unfinished or without results", async () => {
  await sourceRun();
  const noCheckpoint = await fake("no-checkpoint");
  await refused(
    [...SMOKE, "--pretrained", noCheckpoint],
    /^error: --pretrained .*no-checkpoint: no checkpoint there to take it from$/,
  );
  // A source written before --augment existed made the default views: it matches, and the
  // next check speaks.
  const older = await fake("before-augment", (s) => delete s.augment);
  await refused(
    [...SMOKE, "--pretrained", older],
    /^error: --pretrained .*before-augment: no checkpoint there to take it from$/,
  );
  const simclr = await fake("simclr-run", (s) => (s.method = "simclr"));
  await refused(
    [...SMOKE, "--pretrained", simclr],
    /^error: --pretrained .*simclr-run must be a simclrv2 run .*, got a simclr run$/,
  );
  const unfinished = await fake("unfinished");
  await writeCheckpoint(unfinished, {
    position: { stage: 0, step: 4, finished: [], totalSteps: [10], trainSeconds: 1 },
    state: { step: 4 },
  });
  await refused(
    [...SMOKE, "--pretrained", unfinished],
    /^error: --pretrained .*unfinished: its pretraining stage has not finished \(checkpoint at step 4 of it\): --resume .* first$/,
  );
  // Pretrained, but stopped before the end: no results.json to copy the numbers from.
  const noResults = join(RUNS, "no-results");
  await Deno.mkdir(join(noResults, "checkpoint"), { recursive: true });
  for (const file of ["config.json", "checkpoint/state.json", "checkpoint/tensors.bin"]) {
    await Deno.copyFile(join(SOURCE, file), join(noResults, file));
  }
  await refused(
    [...SMOKE, "--pretrained", noResults],
    /^error: --pretrained .*no-results: the run has not finished \(no results\.json\): --resume .* first$/,
  );
});

Deno.test({
  name: "(cleanup) the --pretrained tests' temporary folder",
  fn: () => Deno.remove(RUNS, { recursive: true }),
});
