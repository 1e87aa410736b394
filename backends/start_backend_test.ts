import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import {
  AUTO_ORDER,
  type BackendName,
  startBackend,
  type StartBackendOptions,
} from "./start_backend.ts";
import { probeWebGpu } from "./webgpu_backend.ts";

tf.enableProdMode();

function blasLibraryPresent(): boolean {
  try {
    Deno.dlopen("libopenblas.so.0", {}).close();
    return true;
  } catch {
    return false;
  }
}
const hasBlas = Deno.build.os === "linux" && blasLibraryPresent();
const gpu = await probeWebGpu();
const NO_BLAS =
  " [skipped: libopenblas.so.0 is not installed: apt-get install libopenblas0-pthread]";
const NO_GPU = ` [skipped: no WebGPU adapter here: ${gpu.description}]`;

/** Runs testdata/start.ts in a fresh Deno with exactly `flags`. */
async function startIn(
  flags: string[],
  name: string,
  options: StartBackendOptions = {},
): Promise<Record<string, unknown>> {
  const script = new URL("./testdata/start.ts", import.meta.url).pathname;
  const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...flags, script, name, JSON.stringify(options)],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const lines = new TextDecoder().decode(stdout).trim().split("\n");
  assert.ok(lines.at(-1)?.startsWith("{"), new TextDecoder().decode(stderr));
  return JSON.parse(lines.at(-1)!);
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
  name: "startBackend() starts the blas backend by name" + (hasBlas ? "" : NO_BLAS),
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

Deno.test("startBackend() rejects an unknown name with a TypeError listing the names", async () => {
  await assert.rejects(
    () => startBackend("gpu" as BackendName),
    (error: Error) =>
      error instanceof TypeError && /"auto", "tensorflow", "webgpu"/.test(error.message) &&
      /got "gpu"/.test(error.message),
  );
});

Deno.test("startBackend('tensorflow') says how to install tfjs-node when it is absent", async () => {
  await assert.rejects(
    () => startBackend("tensorflow", { tensorflow: { from: "/" } }),
    /tfjs-node.*CUDA 11\.2.*cuDNN 8\.1/,
  );
});

Deno.test({
  name: "without --allow-ffi, blas fails with the flag named and auto falls back to wasm" +
    (hasBlas ? "" : NO_BLAS),
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
