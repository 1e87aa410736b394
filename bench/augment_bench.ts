/**
 * `deno task bench:augment`: throughput of the SimCLR and BYOL view presets for a 256-image
 * batch at 28x28x1 and 96x96x3, beside the time of a training step of a model that trains at
 * that size on the same backend, so the cost of augmentation is known as a fraction of a step:
 * 28x28x1 views against the reference SimCLR step (bench/reference_step.ts, 28x28x1), 96x96x3
 * views against `deno task train`'s model for 96x96 RGB images (ResNet-18 x0.25, ImageNet
 * stem; reference_step.ts's `train-96`), both steps at 2 x 128 views.
 *
 * ```sh
 * deno task bench:augment                    # cpu, then blas if OpenBLAS loads
 * deno task bench:augment --backends blas     # one backend
 * deno task bench:augment --batch 64 --no-step
 * deno task bench:augment --backends blas --repeats 5
 * ```
 *
 * Every figure is the median of `--repeats` timed runs (default 3) after one untimed run of the
 * same size: a first call on a fresh batch size pays for allocating (and the kernel for
 * touching) its buffers, which would be counted as augmentation otherwise. images/s counts
 * source images: each one yields two views. Each row also gives the median process CPU time
 * (all threads; Linux): on a machine shared with other work it is the steadier figure.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { byolViews, simclrViews } from "../augment/mod.ts";
import { makeClock } from "./_process_clock.ts";

tf.enableProdMode();

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    backends: { type: "string" },
    batch: { type: "string", default: "256" },
    "no-step": { type: "boolean", default: false },
    repeats: { type: "string", default: "3" },
  },
});
const batch = Number(args.batch);
if (!Number.isInteger(batch) || batch < 1) {
  throw new RangeError(`--batch must be a positive integer, got "${args.batch}"`);
}

const repeats = Number(args.repeats);
if (!Number.isInteger(repeats) || repeats < 1) {
  throw new RangeError(`--repeats must be a positive integer, got "${args.repeats}"`);
}

type StartBackend = (
  name: "cpu" | "blas",
  options: { fastGradients: boolean },
) => Promise<{ name: string }>;

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

const clock = makeClock();

/** Median wall and process CPU ms. */
interface Timing {
  wall: number;
  cpu: number;
}

function median(times: number[]): number {
  times.sort((a, b) => a - b);
  const mid = times.length >> 1;
  return times.length % 2 === 1 ? times[mid] : (times[mid - 1] + times[mid]) / 2;
}

/** The medians of `repeats` timings of `run` (ms), after one untimed run. */
async function medianMs(run: () => Promise<void>): Promise<Timing> {
  await run();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < repeats; i++) {
    const start = performance.now();
    const cpuStart = clock.now();
    await run();
    cpu.push(clock.now() - cpuStart);
    wall.push(performance.now() - start);
  }
  return { wall: median(wall), cpu: median(cpu) };
}

/** " (CPU x ms)" where the clock is the process CPU clock. */
function cpuNote(ms: number): string {
  return clock.kind === "wall" ? "" : ` (${clock.kind} ${ms.toFixed(0)} ms)`;
}

/** ms for both views of `n` random images of `shape` (median; warm-up on the same batch). */
async function timeViews(
  make: typeof simclrViews,
  shape: [number, number, number],
  n: number,
): Promise<Timing> {
  const images = tf.randomUniform([n, ...shape], 0, 1, "float32", 1) as tf.Tensor4D;
  let seed = 0;
  const ms = await medianMs(async () => {
    const views = make(images, { seed: seed++ });
    await Promise.all(views.map((v) => v.data()));
    tf.dispose(views);
  });
  images.dispose();
  return ms;
}

/** The steps the views are compared with: 2 x 128 views of each image size. */
const STEPS = {
  28: { encoder: "reference", label: "reference SimCLR step (28x28x1, 2 x 128 views)" },
  96: {
    encoder: "train-96",
    label: "SimCLR step of deno task train's ResNet-18 x0.25 (96x96x3, 2 x 128 views)",
  },
} as const;
const STEP_BATCH = 128;

/** ms per training step of `encoder` (median), or a note why there is none. */
async function timeStep(encoder: string): Promise<Timing | string> {
  const path = new URL("./reference_step.ts", import.meta.url);
  try {
    await Deno.stat(path);
  } catch {
    return "bench/reference_step.ts is absent";
  }
  const { buildReferenceStep } = await import(path.href);
  const step = buildReferenceStep({ batch: STEP_BATCH, encoder });
  const ms = await medianMs(async () => {
    await step.step();
  });
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

console.log(
  `augmentation throughput, batch ${batch}, median of ${repeats} run(s) after a warm-up`,
);
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
      // The train app's gradients (batch norm, relu), so the step is the one training runs.
      await startBackend(name, { fastGradients: true });
    } catch (error) {
      console.log(`skipped ${name}: ${error instanceof Error ? error.message : error}`);
      continue;
    }
  }
  console.log(`\nbackend ${tf.getBackend()}`);
  /** ms of simclrViews per image (wall, CPU), by side. */
  const simclrPerImage = new Map<number, Timing>();
  for (const shape of [[28, 28, 1], [96, 96, 3]] as [number, number, number][]) {
    // Stock cpu is the fallback backend (a training step takes minutes there): its 96x96 rows
    // are timed on at most 64 images to keep the bench near a minute; images/s compares.
    const n = name === "cpu" && shape[0] === 96 ? Math.min(batch, 64) : batch;
    for (const make of [simclrViews, byolViews]) {
      const { wall: ms, cpu } = await timeViews(make, shape, n);
      if (make === simclrViews) simclrPerImage.set(shape[0], { wall: ms / n, cpu: cpu / n });
      console.log(
        `  ${make.name.padEnd(11)} ${shape.join("x").padEnd(7)} ${ms.toFixed(0).padStart(7)} ms` +
          `  ${(n / ms * 1000).toFixed(0).padStart(6)} images/s` +
          (n === batch ? "" : `  (${n} images)`) + cpuNote(cpu),
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
  for (const side of [28, 96] as const) {
    const { encoder, label } = STEPS[side];
    const step = await timeStep(encoder);
    if (typeof step === "string") {
      console.log(`  training step: skipped, ${step}`);
      break;
    }
    // A 2 x 128 step needs simclrViews of 128 images: scale the views' time to that.
    const perImage = simclrPerImage.get(side)!;
    const augment = perImage.wall * STEP_BATCH;
    const augmentCpu = perImage.cpu * STEP_BATCH;
    console.log(
      `  ${label}: ${step.wall.toFixed(0)} ms${cpuNote(step.cpu)}; simclrViews of its ` +
        `${STEP_BATCH} images (${side}x${side}) take ${augment.toFixed(0)} ms = ` +
        `${(100 * augment / step.wall).toFixed(1)}% of the step` +
        (clock.kind === "wall" ? "" : `, ${(100 * augmentCpu / step.cpu).toFixed(1)}% in CPU time`),
    );
  }
}
