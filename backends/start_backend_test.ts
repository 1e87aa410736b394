import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  AUTO_ORDER,
  type BackendName,
  startBackend,
  type StartBackendOptions,
} from "./start_backend.ts";
import { batchNormGradConfig } from "./batch_norm_gradient.ts";
import { reluGradConfig } from "./relu_gradient.ts";
import { blasMissing, webGpuForTests } from "./_test_util.ts";

tf.enableProdMode();

const hasBlas = blasMissing === undefined;
const gpu = await webGpuForTests();
const NO_GPU = ` [skipped: no WebGPU adapter here: ${gpu.description}]`;

/**
 * Runs testdata/start.ts in a fresh Deno with exactly `flags` and the environment less
 * `unset`; returns its result (or error) as JSON and what it printed to stderr.
 */
async function startIn(
  flags: string[],
  name: string,
  options: StartBackendOptions = {},
  unset: string[] = [],
): Promise<Record<string, unknown> & { stderr: string }> {
  const script = new URL("./testdata/start.ts", import.meta.url).pathname;
  const env = Deno.env.toObject();
  for (const variable of unset) delete env[variable];
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, script, name, JSON.stringify(options)],
    clearEnv: true,
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  const lines = new TextDecoder().decode(out.stdout).trim().split("\n");
  assert.ok(lines.at(-1)?.startsWith("{"), stderr);
  return { ...JSON.parse(lines.at(-1)!), stderr };
}

Deno.test("startBackend() starts each backend forced by name and verifies it", async () => {
  for (const name of ["cpu", "wasm"] as BackendName[]) {
    const started = await startBackend(name);
    assert.equal(started.name, name);
    assert.equal(tf.getBackend(), name);
    assert.deepEqual(started.tried.map((t) => [t.name, t.ok]), [[name, true]]);
    assert.match(started.reason, /asked for by name/);
  }
  await tf.setBackend("cpu");
});

Deno.test({
  name: "startBackend() starts the blas backend by name",
  ignore: !hasBlas,
  fn: async () => {
    const started = await startBackend("blas");
    assert.equal(tf.getBackend(), "blas");
    assert.match(started.reason, /libopenblas/);
    await tf.setBackend("cpu");
  },
});

Deno.test({
  name: "startBackend() starts a WebGPU adapter asked for by name" + (gpu.available ? "" : NO_GPU),
  ignore: !gpu.available,
  fn: async () => {
    const started = await startBackend("webgpu");
    assert.equal(tf.getBackend(), "webgpu");
    assert.match(started.reason, gpu.software ? /software adapter/ : /GPU/);
    await tf.setBackend("cpu");
  },
});

Deno.test("startBackend('auto') picks the first backend of the fixed order that works here", async () => {
  const started = await startBackend("auto");
  assert.equal(tf.getBackend(), started.name);
  const order = started.tried.map((t) => t.name);
  assert.deepEqual(order, AUTO_ORDER.slice(0, order.length));
  assert.ok(started.tried.slice(0, -1).every((t) => !t.ok));
  assert.equal(started.tried.at(-1)!.ok, true);
  assert.equal(started.tried[0]!.name, "tensorflow");
  assert.match(started.tried[0]!.reason, /tfjs-node/);
  if (gpu.available && gpu.software) {
    assert.match(started.tried[1]!.reason, /software adapter/);
  }
  if (hasBlas && (!gpu.available || gpu.software)) assert.equal(started.name, "blas");
  await tf.setBackend("cpu");
});

Deno.test("startBackend() rejects an unknown name with a RangeError listing the names", async () => {
  await assert.rejects(() => startBackend("gpu" as BackendName), {
    name: "RangeError",
    message: 'startBackend(): name must be one of "auto", "tensorflow", "webgpu", "blas", ' +
      '"wasm", "cpu", got "gpu"',
  });
  await assert.rejects(() => startBackend(3 as unknown as BackendName), {
    name: "TypeError",
    message: "startBackend(): name must be a backend name, got 3",
  });
});

Deno.test("startBackend() rejects bad options before trying any backend, naming them", async () => {
  const cases: [unknown, string, string][] = [
    [null, "TypeError", "startBackend(): options must be an object, got null"],
    [
      { blas: { threads: 0 } },
      "RangeError",
      "startBackend(): blas.threads must be an integer >= 1, got 0",
    ],
    [
      { blas: { poolBytes: -1 } },
      "RangeError",
      "startBackend(): blas.poolBytes must be an integer >= 0, got -1",
    ],
    [
      { blas: { oneDnn: 1 } },
      "TypeError",
      "startBackend(): blas.oneDnn must be a boolean or a library path, got 1",
    ],
    [
      { wasm: { wasmPaths: 1 } },
      "TypeError",
      "startBackend(): wasm.wasmPaths must be a folder URL string, got 1",
    ],
    [
      { tensorflow: { from: 1 } },
      "TypeError",
      "startBackend(): tensorflow.from must be a string, got 1",
    ],
    [
      { softwareGpu: "yes" },
      "TypeError",
      'startBackend(): softwareGpu must be a boolean, got "yes"',
    ],
    [{ fastGradients: 1 }, "TypeError", "startBackend(): fastGradients must be a boolean, got 1"],
  ];
  for (const [options, name, message] of cases) {
    await assert.rejects(
      () => startBackend("auto", options as StartBackendOptions),
      { name, message },
    );
  }
  assert.equal(cases.length, 8);
});

Deno.test("startBackend() leaves tfjs's gradients alone unless fastGradients is true", async () => {
  const names = ["FusedBatchNorm", "Mean", "Relu"];
  const before = names.map((kernel) => tf.getGradient(kernel));
  await startBackend("cpu");
  assert.deepEqual(names.map((kernel) => tf.getGradient(kernel)), before);
  assert.notEqual(before[0], batchNormGradConfig, "tfjs's own to begin with");
  await startBackend("cpu", { fastGradients: true });
  assert.equal(tf.getGradient("FusedBatchNorm"), batchNormGradConfig);
  assert.equal(tf.getGradient("Relu"), reluGradConfig);
  for (const config of before) tf.registerGradient(config); // as the other tests expect
});

Deno.test("startBackend('auto') prints neither tfjs's Node banner nor a display-server error", async () => {
  // In a fresh process without XDG_RUNTIME_DIR, as on a headless server; testdata/start.ts
  // does not call tf.enableProdMode().
  const auto = await startIn(["--allow-all"], "auto", {}, ["XDG_RUNTIME_DIR"]);
  assert.equal(typeof auto.name, "string", auto.stderr);
  assert.doesNotMatch(auto.stderr, /looks like you are running TensorFlow\.js in Node\.js/);
  assert.doesNotMatch(auto.stderr, /XDG_RUNTIME_DIR/);
});

Deno.test({
  name: "startBackend('webgpu') prints no display-server error" + (gpu.available ? "" : NO_GPU),
  ignore: !gpu.available,
  fn: async () => {
    const started = await startIn(["--allow-all"], "webgpu", {}, ["XDG_RUNTIME_DIR"]);
    assert.equal(started.name, "webgpu", JSON.stringify(started));
    assert.doesNotMatch(started.stderr, /XDG_RUNTIME_DIR/);
  },
});

Deno.test("startBackend('tensorflow') says how to install tfjs-node when it is absent", async () => {
  await assert.rejects(
    () => startBackend("tensorflow", { tensorflow: { from: "/" } }),
    /tfjs-node.*CUDA 11\.2.*cuDNN 8\.1/,
  );
});

Deno.test({
  name: "without --allow-ffi, blas fails with the flag named and auto falls back to wasm",
  ignore: !hasBlas,
  fn: async () => {
    const forced = await startIn(["--allow-read", "--allow-env"], "blas");
    assert.match(String(forced.error), /--allow-ffi/);
    const auto = await startIn(["--allow-read", "--allow-env"], "auto");
    assert.equal(auto.name, "wasm");
    const blas = (auto.tried as { name: string; reason: string }[]).find((t) => t.name === "blas");
    assert.match(blas!.reason, /--allow-ffi/);
  },
});

Deno.test("without --allow-read, wasm fails with the flag named and auto falls back to cpu", async () => {
  const forced = await startIn([], "wasm");
  assert.match(String(forced.error), /--allow-read/);
  const auto = await startIn([], "auto");
  assert.equal(auto.name, "cpu");
});

Deno.test("a missing BLAS library fails with what to install and auto falls back to wasm", async () => {
  const options = { blas: { libraryPath: "/nonexistent/libopenblas.so.0" } };
  const forced = await startIn(["--allow-all"], "blas", options);
  assert.match(String(forced.error), /the blas backend could not start/);
  assert.match(String(forced.error), /\/nonexistent\/libopenblas\.so\.0/);
  assert.match(String(forced.error), /apt-get install libopenblas0-pthread/);
  const auto = await startIn(["--allow-all"], "auto", options);
  assert.ok(auto.name === "wasm" || auto.name === "webgpu", String(auto.name));
});
