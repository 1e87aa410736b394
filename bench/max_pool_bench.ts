/**
 * Times a SimCLR step of `smallConvNet([32, 64])` (max pooling between its stages) on the blas
 * backend with its own `MaxPool` / `MaxPoolGrad` kernels (backends/blas/max_pool.ts) against
 * the same backend running tfjs's cpu kernels for those two, alternating in one run so both
 * see the same machine load (issue 14).
 *
 * ```sh
 * deno run -A bench/max_pool_bench.ts --batch 32 --steps 5 --rounds 3
 * ```
 *
 * Flags: `--batch` (images per view, default 32; a step forwards 2 x batch), `--size` (image
 * side, default 28, one channel), `--filters` (default "32,64"), `--steps` per timing (default
 * 5), `--rounds` (default 3; each times both kernels once, after a warm-up step), `--seed`.
 * Prints ms per step (wall and, on Linux, process CPU time) per round, the medians and the
 * ratio cpu kernels / blas kernels.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { registerBlasBackend } from "../backends/blas_backend.ts";
import { installBatchNormGradient } from "../backends/batch_norm_gradient.ts";
import { installReluGradient } from "../backends/relu_gradient.ts";
import { batchNormalization, smallConvNet } from "../encoders/mod.ts";
import { makeClock } from "./_process_clock.ts";
import { contrastiveStep, mlpHead } from "./reference_step.ts";

const { values } = parseArgs({
  options: {
    batch: { type: "string", default: "32" },
    size: { type: "string", default: "28" },
    filters: { type: "string", default: "32,64" },
    steps: { type: "string", default: "5" },
    rounds: { type: "string", default: "3" },
    // Not 0: tfjs treats seed 0 as "no seed".
    seed: { type: "string", default: "1" },
  },
});
const batch = Number(values.batch);
const size = Number(values.size);
const filters = values.filters!.split(",").map(Number);
const steps = Number(values.steps);
const rounds = Number(values.rounds);
const seed = Number(values.seed);
for (const [name, value] of Object.entries({ batch, size, steps, rounds, seed })) {
  if (!Number.isInteger(value) || value < 1) throw new RangeError(`--${name} must be >= 1`);
}

tf.enableProdMode();
registerBlasBackend();
// The gradients startBackend installs with fastGradients: true.
installReluGradient();
installBatchNormGradient();
if (!(await tf.setBackend("blas"))) throw new Error("the blas backend failed to start");

const clock = makeClock();

const POOL_KERNELS = ["MaxPool", "MaxPoolGrad"];
const own = new Map(POOL_KERNELS.map((k) => [k, tf.getKernel(k, "blas")!]));
/** Registers under `blas` either its own pooling kernels or the cpu backend's. */
function usePoolKernels(which: "blas" | "cpu"): void {
  for (const name of POOL_KERNELS) {
    const config = which === "blas" ? own.get(name)! : tf.getKernel(name, "cpu")!;
    tf.unregisterKernel(name, "blas");
    tf.registerKernel({ ...config, backendName: "blas" });
  }
}

const encoder = smallConvNet({ inputShape: [size, size, 1], filters, seed });
const head = mlpHead(filters.at(-1)!, 128, 64, seed + 100, batchNormalization);
const views = tf.randomUniform([2 * batch, size, size, 1], 0, 1, "float32", seed + 200);
const optimizer = tf.train.adam(1e-3);
const step = contrastiveStep(encoder, head, views, optimizer);

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const times: Record<"blas" | "cpu", { wall: number[]; cpu: number[] }> = {
  blas: { wall: [], cpu: [] },
  cpu: { wall: [], cpu: [] },
};
console.log(
  `smallConvNet([${filters}]) SimCLR step, 2 x ${batch} images of ${size}x${size}x1, ` +
    `${steps} steps per timing, ${rounds} rounds`,
);
for (let round = 1; round <= rounds; round++) {
  // Alternate which goes first, so neither always follows the other's garbage.
  const order: ("blas" | "cpu")[] = round % 2 === 1 ? ["cpu", "blas"] : ["blas", "cpu"];
  for (const which of order) {
    usePoolKernels(which);
    await step();
    const c0 = clock.now();
    const t0 = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const wall = (performance.now() - t0) / steps;
    const cpu = (clock.now() - c0) / steps;
    times[which].wall.push(wall);
    times[which].cpu.push(cpu);
    console.log(
      `round ${round} ${which.padEnd(4)} pooling kernels: ${wall.toFixed(1)} ms/step wall, ` +
        `${cpu.toFixed(1)} ms/step ${clock.kind}`,
    );
  }
}
usePoolKernels("blas");
const [cw, bw] = [median(times.cpu.wall), median(times.blas.wall)];
const [cc, bc] = [median(times.cpu.cpu), median(times.blas.cpu)];
console.log(
  `median: cpu pooling kernels ${cw.toFixed(1)} ms/step wall (${cc.toFixed(1)} ${clock.kind}), ` +
    `blas pooling kernels ${bw.toFixed(1)} (${bc.toFixed(1)}); ` +
    `speed-up ${(cw / bw).toFixed(2)}x wall, ${(cc / bc).toFixed(2)}x ${clock.kind}`,
);
tf.dispose(views);
optimizer.dispose();
encoder.dispose();
head.dispose();
