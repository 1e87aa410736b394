// Training gives the same losses on every CPU backend, and every encoder trains on wasm (the
// zero-setup fallback) with no system library.
import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { type BackendName, startBackend } from "../backends/mod.ts";
import { resNet, smallConvNet } from "../encoders/mod.ts";
import { ntXent } from "../losses/mod.ts";
import { blasMissing } from "../backends/_test_util.ts";

tf.enableProdMode();

const hasBlas = blasMissing === undefined;

/** Losses of `steps` SimCLR steps (encoder -> linear head -> NT-Xent, Adam) on `backend`. */
async function losses(
  backend: BackendName,
  makeEncoder: () => tf.LayersModel,
  shape: [number, number, number],
  steps: number,
): Promise<number[]> {
  await startBackend(backend);
  const encoder = makeEncoder();
  const dim = encoder.outputs[0]!.shape[1] as number;
  const head = tf.sequential({
    layers: [tf.layers.dense({
      inputShape: [dim],
      units: 8,
      kernelInitializer: tf.initializers.glorotUniform({ seed: 5 }),
    })],
  });
  const views = tf.randomUniform([8, ...shape], 0, 1, "float32", 11);
  const optimizer = tf.train.adam(0.01);
  const variables = [...encoder.trainableWeights, ...head.trainableWeights]
    .map((w) => w.read() as tf.Variable);
  const out: number[] = [];
  for (let i = 0; i < steps; i++) {
    const loss = optimizer.minimize(
      () => {
        const h = encoder.apply(views, { training: true }) as tf.Tensor;
        const z = head.apply(h) as tf.Tensor;
        const [z1, z2] = tf.split(z, 2, 0);
        return ntXent(z1!, z2!, { temperature: 0.5 }) as tf.Scalar;
      },
      true,
      variables,
    )!;
    out.push((await loss.data())[0]!);
    loss.dispose();
  }
  views.dispose();
  encoder.dispose();
  head.dispose();
  optimizer.dispose();
  return out;
}

const small = () => smallConvNet({ inputShape: [10, 10, 1], filters: [4, 8], seed: 3 });

Deno.test({
  name: "a small encoder trains to the same losses (4 decimals) on cpu, wasm and blas" +
    (hasBlas ? "" : " [blas part skipped: no BLAS library here]"),
  fn: async () => {
    const cpu = await losses("cpu", small, [10, 10, 1], 4);
    assert.ok(cpu.at(-1)! < cpu[0]!, `loss should fall on cpu: ${cpu}`);
    const backends: BackendName[] = hasBlas ? ["wasm", "blas"] : ["wasm"];
    for (const backend of backends) {
      const got = await losses(backend, small, [10, 10, 1], 4);
      got.forEach((loss, i) =>
        assert.ok(Math.abs(loss - cpu[i]!) < 5e-5, `${backend} step ${i}: ${loss} vs cpu ${cpu[i]}`)
      );
    }
    await tf.setBackend("cpu");
  },
});

Deno.test("ResNet-18, -34 and -50 (both stems) train on wasm with no system library", async () => {
  for (
    const [depth, stem, size] of [[18, "small", 8], [34, "small", 8], [50, "imagenet", 32]] as const
  ) {
    const encoder = () =>
      resNet({ depth, inputShape: [size, size, 3], stem, widthMultiplier: 1 / 16, seed: 7 });
    const trace = await losses("wasm", encoder, [size, size, 3], 3);
    assert.ok(trace.every(Number.isFinite), `ResNet-${depth}: ${trace}`);
    assert.ok(trace[2]! < trace[0]!, `ResNet-${depth} loss should fall: ${trace}`);
  }
  await tf.setBackend("cpu");
});
