import assert from "node:assert/strict";
import { join } from "node:path";
import { runTrain, snapshot } from "./_test_run.ts";

const RUNS = await Deno.makeTempDir({ prefix: "selfsup-train-bad-" });

/** Runs with `args`, expects exit 2 and `message` on stderr, and no change under RUNS. */
async function refused(args: string[], message: RegExp): Promise<void> {
  const before = await snapshot(RUNS);
  const result = await runTrain(join(RUNS, "runs"), args);
  assert.equal(result.code, 2, `${result.stderr}\n${result.stdout}`);
  assert.match(result.stderr.trim(), message);
  assert.equal(result.stderr.trim().split("\n").length, 1, `one line: ${result.stderr}`);
  assert.deepEqual(await snapshot(RUNS), before);
}

Deno.test("an unknown flag exits 2 naming it, and writes nothing", async () => {
  await refused(["--smoke", "--bogus", "1"], /^error: unknown flag --bogus/);
});

Deno.test("a bad value exits 2 naming the flag and what it allows", async () => {
  await refused(["--batch-size", "1"], /--batch-size must be an integer >= 2, got "1"/);
  await refused(
    ["--method", "mae"],
    /--method must be one of simclr, simclrv2, byol, supervised, got "mae"/,
  );
  await refused(["--encoder", "vgg"], /--encoder must be resnet18 \| resnet34/);
  await refused(["--tau", "0.9"], /--tau applies only to --method byol/);
  await refused(["--epochs", "1", "--minutes", "2"], /--epochs and --minutes are alternatives/);
  await refused(
    ["--smoke", "--backend", "wasm", "--batch-size", "500"],
    /--batch-size must be at most the 160 training images, got 500/,
  );
  // 1% of 16 images per class is one each: 10 labelled images, fewer than a batch of 16.
  await refused(
    ["--smoke", "--backend", "wasm", "--method", "supervised", "--labels", "1%"],
    /^error: --batch-size must be at most the 10 labelled images of --labels 1%, got 16$/,
  );
  await refused(
    ["--baselines", "pixels,raw"],
    /^error: --baselines must be a comma list of pixels, random-encoder \(each at most once\), or none alone, got "pixels,raw"$/,
  );
  await refused(
    ["--augment", "crop,zoom"],
    /^error: --augment must be a comma list of crop, flip, .*, noise \(each at most once\), or default alone, got "crop,zoom"$/,
  );
  await refused(
    ["--method", "byol", "--head-layers", "0"],
    /^error: --head-layers 0 \(no head\) applies only to --method simclr, got --method byol$/,
  );
  await refused(
    ["--method", "supervised", "--evaluate-projection"],
    /^error: --evaluate-projection applies only to --method simclr \| simclrv2 \| byol/,
  );
  await refused(
    ["--evaluate-on", "train"],
    /^error: --evaluate-on must be one of test, validation, got "train"$/,
  );
  await refused(
    ["--precision", "float16"],
    /^error: --precision must be one of float32, bfloat16, got "float16"$/,
  );
  await refused(
    ["--smoke", "--backend", "wasm", "--precision", "bfloat16"],
    /^error: --precision bfloat16 runs on the blas backend only; this run is on wasm \(--backend blas to ask for it\)$/,
  );
});

Deno.test("a bad --config exits 2", async () => {
  const file = join(RUNS, "config.json");
  await Deno.writeTextFile(file, '{"batchSize": 0}');
  await refused(["--config", file], /"batchSize" in .* must be an integer >= 2, got 0/);
  await Deno.writeTextFile(file, '{"learning_rate": 1}');
  await refused(["--config", file], /unknown setting "learning_rate"/);
  await Deno.writeTextFile(file, "{");
  await refused(["--config", file], /is not JSON/);
});

Deno.test("a runs folder the task may not write to exits 2 before training", async () => {
  const result = await runTrain(join(RUNS, "runs"), ["--smoke", "--runs", "/tmp/elsewhere"]);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^error: --runs: this process may not write to \/tmp\/elsewhere/);
});

Deno.test("missing data exits 2 naming --data", async () => {
  await refused(["--smoke", "--data", `idx:${join(RUNS, "nowhere")}`], /--data/);
});

Deno.test("an existing run folder without --resume exits 2 and is left alone", async () => {
  await Deno.mkdir(join(RUNS, "runs", "taken"), { recursive: true });
  await Deno.writeTextFile(join(RUNS, "runs", "taken", "notes.txt"), "mine");
  await refused(["--smoke", "--name", "taken"], /exists already: continue it with --resume/);
});

Deno.test("--resume of a folder with a damaged checkpoint exits 2 and changes nothing", async () => {
  const dir = join(RUNS, "runs", "damaged");
  await Deno.mkdir(join(dir, "checkpoint"), { recursive: true });
  await Deno.writeTextFile(
    join(dir, "config.json"),
    JSON.stringify({ settings: { smoke: true, method: "simclr", name: "damaged" } }),
  );
  await Deno.writeTextFile(join(dir, "metrics.jsonl"), '{"step":0,"loss":1}\n');
  await Deno.writeTextFile(
    join(dir, "checkpoint", "state.json"),
    JSON.stringify({ format: 1, bytes: 4, sha256: "00".repeat(32), state: {} }),
  );
  await Deno.writeFile(join(dir, "checkpoint", "tensors.bin"), new Uint8Array(4));
  // An unfinished write's staging folder: a refused resume must not remove it either.
  await Deno.mkdir(join(dir, ".checkpoint.tmp-0123456789abcdef"));
  await refused(["--resume", dir], /checkpoint .* is damaged: tensors\.bin does not match/);
  await Deno.writeTextFile(join(dir, "checkpoint", "state.json"), "{");
  await refused(["--resume", dir], /is damaged: state\.json/);
  await refused(["--resume", join(RUNS, "runs", "none")], /not a run folder/);
});

Deno.test({
  name: "(cleanup) the bad-input tests' temporary folder",
  fn: () => Deno.remove(RUNS, { recursive: true }),
});
