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

Deno.test("verifyBackend() names the computation a broken backend gets wrong", async () => {
  // A copy of the cpu backend whose matrix product is off by one.
  const CpuBackend = tf.findBackend("cpu")!.constructor as new () => tf.KernelBackend;
  tf.registerBackend("broken_matmul", () => new CpuBackend());
  for (const config of tf.getKernelsForBackend("cpu")) {
    const broken = config.kernelName === "BatchMatMul";
    tf.registerKernel({
      ...config,
      backendName: "broken_matmul",
      kernelFunc: broken
        ? (args) => {
          const out = config.kernelFunc(args) as tf.TensorInfo;
          const backend = args.backend as { data: { get(id: object): { values: Float32Array } } };
          backend.data.get(out.dataId).values[0]! += 1;
          return out;
        }
        : config.kernelFunc,
    });
  }
  try {
    await tf.setBackend("broken_matmul");
    await assert.rejects(() => verifyBackend(), /broken_matmul backend computes a matrix product/);
  } finally {
    await tf.setBackend("cpu");
    for (const config of tf.getKernelsForBackend("broken_matmul")) {
      tf.unregisterKernel(config.kernelName, "broken_matmul");
    }
    tf.removeBackend("broken_matmul");
  }
});
