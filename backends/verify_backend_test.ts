import * as tf from "@tensorflow/tfjs";
import assert from "node:assert/strict";
import { verifyBackend } from "./verify_backend.ts";

tf.enableProdMode();

Deno.test("verifyBackend() passes on the cpu backend and leaks no tensor", async () => {
  await tf.setBackend("cpu");
  await verifyBackend();
  const before = tf.memory().numTensors;
  await verifyBackend();
  assert.equal(tf.memory().numTensors, before);
});

for (
  const [kernel, what] of [
    ["BatchMatMul", "a matrix product"],
    ["FusedBatchNorm", "a training batch norm"],
  ] as const
) {
  Deno.test(`verifyBackend() names the computation a broken backend gets wrong: ${what}`, async () => {
    // A copy of the cpu backend whose `kernel` is off by one in its first output value.
    const name = `broken_${kernel.toLowerCase()}`;
    const CpuBackend = tf.findBackend("cpu")!.constructor as new () => tf.KernelBackend;
    tf.registerBackend(name, () => new CpuBackend());
    for (const config of tf.getKernelsForBackend("cpu")) {
      tf.registerKernel({
        ...config,
        backendName: name,
        kernelFunc: config.kernelName === kernel
          ? (args) => {
            const out = config.kernelFunc(args) as tf.TensorInfo;
            const backend = args.backend as {
              data: { get(id: object): { values: Float32Array } };
            };
            backend.data.get(out.dataId).values[0]! += 1;
            return out;
          }
          : config.kernelFunc,
      });
    }
    try {
      await tf.setBackend(name);
      await assert.rejects(() => verifyBackend(), new RegExp(`${name} backend computes ${what}`));
    } finally {
      await tf.setBackend("cpu");
      for (const config of tf.getKernelsForBackend(name)) {
        tf.unregisterKernel(config.kernelName, name);
      }
      tf.removeBackend(name);
    }
  });
}
