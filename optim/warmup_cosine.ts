import { checkInteger, checkNumber, checkOptions, rangeError } from "@selfsup/internal";

/**
 * Options for {@linkcode warmupCosine}.
 *
 * @example SimCLR's ImageNet schedule: 10 warmup epochs out of 100, batch 4096
 * ```ts
 * import { linearScaledLr, type WarmupCosineOptions } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const stepsPerEpoch = 1281167 / 4096;
 * const options: WarmupCosineOptions = {
 *   baseLr: linearScaledLr(0.3, 4096),
 *   warmupSteps: Math.round(10 * stepsPerEpoch),
 *   totalSteps: Math.round(100 * stepsPerEpoch),
 * };
 * assert.equal(options.warmupSteps, 3128);
 * ```
 */
export interface WarmupCosineOptions {
  /** Peak learning rate, reached at the end of warmup (already batch-scaled). Finite, >= 0. */
  baseLr: number;
  /** Number of linear-warmup steps; an integer in [0, totalSteps]. */
  warmupSteps: number;
  /** Step at which the cosine decay reaches `finalLr`; an integer >= 1. */
  totalSteps: number;
  /** Learning rate at and after `totalSteps`; in [0, baseLr]. Defaults to 0. */
  finalLr?: number;
}

/**
 * Linear warmup followed by cosine decay: the learning-rate schedule of SimCLR (Chen et al.,
 * 2020, arXiv:2002.05709) and BYOL (Grill et al., 2020, arXiv:2006.07733).
 *
 * Follows `WarmUpAndCosineDecay` in google-research/simclr `tf2/model.py`, except for one
 * step of warmup (below):
 * - `step < warmupSteps`: `baseLr * (step + 1) / warmupSteps`, so step 0 already trains at
 *   `baseLr / warmupSteps` and step `warmupSteps - 1` reaches `baseLr`;
 * - `warmupSteps <= step < totalSteps`: `finalLr + (baseLr - finalLr) * (1 + cos(pi * t)) / 2`
 *   with `t = (step - warmupSteps) / (totalSteps - warmupSteps)`, so step `warmupSteps` has
 *   exactly `baseLr`;
 * - `step >= totalSteps`: `finalLr` (the decay is clamped, as Keras' `CosineDecay` clamps).
 *
 * **Step 0.** The reference's warmup is `baseLr * step / warmupSteps`, 0 at step 0, and its
 * loop reads the rate at `optimizer.iterations` (0 before the first update), so its first
 * update is spent at rate 0. Here the warmup is the reference's rate one step later: a loop
 * that calls `schedule(optimizer.iterations)` before each update (iterations 0, 1, 2, ...)
 * makes a real first update and reaches `baseLr` at its `warmupSteps`-th update. The decay is
 * the reference's.
 *
 * The reference decays to `alpha * baseLr`; `finalLr` is that floor as an absolute rate. With
 * `warmupSteps === totalSteps` there is no decay phase: the rate climbs to `baseLr` at step
 * `totalSteps - 1` and is `finalLr` from `totalSteps` on. Scale `baseLr` for the batch size
 * first with {@linkcode linearScaledLr} or {@linkcode sqrtScaledLr}.
 *
 * @param options The schedule's shape; see {@linkcode WarmupCosineOptions}.
 * @returns A pure function from a step (an integer >= 0, e.g. `optimizer.iterations`) to the
 * learning rate of the update made at that step; it throws a RangeError for a negative or
 * fractional step (a TypeError for a non-number), naming `warmupCosine()`.
 * @throws {TypeError} If `options` is not an object or a field is not a number.
 * @throws {RangeError} If `baseLr` or `finalLr` is negative or not finite, `finalLr > baseLr`,
 * `totalSteps` is not an integer >= 1, or `warmupSteps` is not an integer in [0, totalSteps].
 *
 * @example Ten warmup steps, then decay to 0 at step 100
 * ```ts
 * import { warmupCosine } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const lr = warmupCosine({ baseLr: 0.3, warmupSteps: 10, totalSteps: 100 });
 * assert.ok(Math.abs(lr(0) - 0.03) < 1e-12); // the first update trains
 * assert.ok(Math.abs(lr(4) - 0.15) < 1e-12);
 * assert.equal(lr(9), 0.3);
 * assert.equal(lr(10), 0.3);
 * assert.ok(Math.abs(lr(55) - 0.15) < 1e-12); // halfway through the decay
 * assert.equal(lr(100), 0);
 * assert.equal(lr(1000), 0);
 * ```
 *
 * @example The loop convention: the rate of each update is the schedule at `iterations`
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { lars, warmupCosine } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const w = tf.tidy(() => tf.variable(tf.scalar(1), true, "warmup_example/kernel"));
 * const schedule = warmupCosine({ baseLr: 0.1, warmupSteps: 2, totalSteps: 10 });
 * // Plain momentum-free SGD on w (no trust ratio for an excluded name), so each update is
 * // w <- w - lr * dL/dw with dL/dw = 1.
 * const optimizer = lars({ learningRate: 0, momentum: 0, exclude: ["warmup_example"] });
 * optimizer.learningRate = schedule(optimizer.iterations); // step 0: 0.05, not 0
 * optimizer.minimize(() => tf.mul(w, 1) as tf.Scalar, false, [w]);
 * assert.ok(Math.abs(w.dataSync()[0] - 0.95) < 1e-7);
 * assert.equal(optimizer.iterations, 1);
 * w.dispose();
 * optimizer.dispose();
 * ```
 */
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  const fn = "warmupCosine";
  checkOptions(fn, options);
  const baseLr = checkNumber(fn, "baseLr", options.baseLr, { min: 0 });
  const finalLr = options.finalLr === undefined
    ? 0
    : checkNumber(fn, "finalLr", options.finalLr, { min: 0 });
  if (finalLr > baseLr) throw rangeError(fn, "finalLr", `<= baseLr (${baseLr})`, finalLr);
  const totalSteps = checkInteger(fn, "totalSteps", options.totalSteps, { min: 1 });
  const warmupSteps = checkInteger(fn, "warmupSteps", options.warmupSteps, {
    min: 0,
    max: totalSteps,
  });
  const decaySteps = totalSteps - warmupSteps;
  return (step: number): number => {
    checkInteger(fn, "step", step, { min: 0 });
    // (step + 1) / warmupSteps first: exactly 1 at the last warmup step, so it gives baseLr.
    if (step < warmupSteps) return baseLr * ((step + 1) / warmupSteps);
    if (step >= totalSteps) return finalLr;
    // The same value as finalLr + (baseLr - finalLr) * (1 + cos) / 2, written so that step
    // warmupSteps gives exactly baseLr and rounding cannot break monotonicity.
    const progress = (1 - Math.cos(Math.PI * (step - warmupSteps) / decaySteps)) / 2;
    return baseLr - (baseLr - finalLr) * progress;
  };
}
