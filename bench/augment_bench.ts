/**
 * `deno task bench:augment`: throughput of the SimCLR and BYOL view presets for a 256-image
 * batch at 28x28x1 and 96x96x3, beside the time of a reference SimCLR training step on the
 * same backend, so the cost of augmentation is known as a fraction of a step.
 *
 * ```sh
 * deno task bench:augment                    # cpu, then blas if OpenBLAS loads
 * deno task bench:augment --backends blas     # one backend
 * deno task bench:augment --batch 64 --no-step
 * ```
 *
 * images/s counts source images: each one yields two views.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { byolViews, simclrViews } from "../augment/mod.ts";

tf.enableProdMode();

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    backends: { type: "string" },
    batch: { type: "string", default: "256" },
    "no-step": { type: "boolean", default: false },
  },
});
const batch = Number(args.batch);
if (!Number.isInteger(batch) || batch < 1) {
  throw new RangeError(`--batch must be a positive integer, got "${args.batch}"`);
}

type StartBackend = (name: "cpu" | "blas") => Promise<{ name: string }>;

/** startBackend from @selfsup/backends, when that package is there and exports it. */
async function loadStartBackend(): Promise<StartBackend | string> {
  const path = new URL("../backends/mod.ts", import.meta.url);
  try {
    await Deno.stat(path);
  } catch {
    return "backends/mod.ts is absent";
  }
  const mod = await import(path.href) as { startBackend?: StartBackend };
  return typeof mod.startBackend === "function"
    ? mod.startBackend
    : "backends/mod.ts does not export startBackend";
}

async function timeViews(
  make: typeof simclrViews,
  shape: [number, number, number],
  n: number,
): Promise<number> {
  const images = tf.randomUniform([n, ...shape], 0, 1, "float32", 1) as tf.Tensor4D;
  // Warm up the kernels on a small batch first.
  const warm = images.slice([0], [Math.min(8, n)]);
  for (const v of make(warm, { seed: 0 })) {
    await v.data();
    v.dispose();
  }
  const start = performance.now();
  const views = make(images, { seed: 1 });
  await Promise.all(views.map((v) => v.data()));
  const ms = performance.now() - start;
  tf.dispose([images, warm, ...views]);
  return ms;
}

/** ms per reference training step (28x28x1, 2 x 128 views), or a note why there is none. */
async function timeStep(): Promise<number | string> {
  const path = new URL("./reference_step.ts", import.meta.url);
  try {
    await Deno.stat(path);
  } catch {
    return "bench/reference_step.ts is absent";
  }
  const { buildReferenceStep } = await import(path.href);
  const step = buildReferenceStep({ batch: 128, encoder: "reference" });
  await step.step(); // warm-up
  const start = performance.now();
  await step.step();
  const ms = performance.now() - start;
  step.dispose();
  return ms;
}

const startBackend = await loadStartBackend();
const canBlas = typeof startBackend === "function" && typeof Deno.dlopen === "function";
const wanted = args.backends?.split(",") ?? (canBlas ? ["cpu", "blas"] : ["cpu"]);
if (!canBlas && args.backends === undefined) {
  console.log(
    `blas not tried: ${typeof startBackend === "string" ? startBackend : "no Deno.dlopen"}`,
  );
}

console.log(`augmentation throughput, batch ${batch}`);
for (const name of wanted) {
  if (name !== "cpu" && name !== "blas") {
    console.log(`skipped ${name}: this bench knows cpu and blas`);
    continue;
  }
  if (typeof startBackend !== "function") {
    if (name === "blas") {
      console.log(`skipped blas: ${startBackend}`);
      continue;
    }
    await tf.setBackend("cpu");
  } else {
    try {
      await startBackend(name);
    } catch (error) {
      console.log(`skipped ${name}: ${error instanceof Error ? error.message : error}`);
      continue;
    }
  }
  console.log(`\nbackend ${tf.getBackend()}`);
  let simclr28 = 0;
  for (const shape of [[28, 28, 1], [96, 96, 3]] as [number, number, number][]) {
    // Stock cpu is the fallback backend (a training step takes minutes there): its 96x96 rows
    // are timed on at most 64 images to keep the bench near a minute; images/s compares.
    const n = name === "cpu" && shape[0] === 96 ? Math.min(batch, 64) : batch;
    for (const make of [simclrViews, byolViews]) {
      const ms = await timeViews(make, shape, n);
      if (make === simclrViews && shape[0] === 28) simclr28 = ms;
      console.log(
        `  ${make.name.padEnd(11)} ${shape.join("x").padEnd(7)} ${ms.toFixed(0).padStart(7)} ms` +
          `  ${(n / ms * 1000).toFixed(0).padStart(6)} images/s` +
          (n === batch ? "" : `  (${n} images)`),
      );
    }
  }
  if (args["no-step"]) continue;
  if (name === "cpu") {
    console.log(
      "  training step: not timed on stock cpu (minutes per step; see `deno task bench`)",
    );
    continue;
  }
  const step = await timeStep();
  if (typeof step === "string") {
    console.log(`  training step: skipped, ${step}`);
    continue;
  }
  // A 2 x 128 step needs simclrViews of 128 images: scale the 28x28 time to that.
  const augment = simclr28 * 128 / batch;
  console.log(
    `  reference SimCLR step (28x28x1, 2 x 128 views): ${step.toFixed(0)} ms; its views ` +
      `take ${augment.toFixed(0)} ms = ${(100 * augment / step).toFixed(1)}% of the step`,
  );
}
