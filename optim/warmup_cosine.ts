import { checkInteger, checkNonNegative, checkOptions } from "./_validate.ts";

/** Options for {@linkcode warmupCosine}. */
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
 * Follows `WarmUpAndCosineDecay` in google-research/simclr `tf2/model.py`:
 * - `step < warmupSteps`: `baseLr * step / warmupSteps`, so step 0 has learning rate 0 and the
 *   rate grows by `baseLr / warmupSteps` per step;
 * - `warmupSteps <= step < totalSteps`: `finalLr + (baseLr - finalLr) * (1 + cos(pi * t)) / 2`
 *   with `t = (step - warmupSteps) / (totalSteps - warmupSteps)`, so step `warmupSteps` has
 *   exactly `baseLr`;
 * - `step >= totalSteps`: `finalLr` (the decay is clamped, as Keras' `CosineDecay` clamps).
 *
 * The reference decays to `alpha * baseLr`; `finalLr` is that floor as an absolute rate. With
 * `warmupSteps === totalSteps` there is no decay phase: the rate climbs to
 * `baseLr * (totalSteps - 1) / totalSteps` and is `finalLr` from `totalSteps` on. Scale
 * `baseLr` for the batch size first with {@linkcode linearScaledLr} or
 * {@linkcode sqrtScaledLr}.
 *
 * @param options The schedule's shape; see {@linkcode WarmupCosineOptions}.
 * @returns A pure function from a step (an integer >= 0) to the learning rate at that step; it
 * throws a RangeError for a negative or fractional step.
 * @throws {RangeError} If `baseLr` or `finalLr` is negative or not finite, `finalLr > baseLr`,
 * `totalSteps` is not an integer >= 1, or `warmupSteps` is not an integer in [0, totalSteps].
 * @throws {TypeError} If `options` is not an object or a field is not a number.
 *
 * @example Ten warmup steps, then decay to 0 at step 100
 * ```ts
 * import { warmupCosine } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const lr = warmupCosine({ baseLr: 0.3, warmupSteps: 10, totalSteps: 100 });
 * assert.equal(lr(0), 0);
 * assert.ok(Math.abs(lr(5) - 0.15) < 1e-12);
 * assert.equal(lr(10), 0.3);
 * assert.ok(Math.abs(lr(55) - 0.15) < 1e-12); // halfway through the decay
 * assert.equal(lr(100), 0);
 * assert.equal(lr(1000), 0);
 * ```
 */
export function warmupCosine(options: WarmupCosineOptions): (step: number) => number {
  checkOptions("warmupCosine options", options);
  const baseLr = checkNonNegative("baseLr", options.baseLr);
  const finalLr = checkNonNegative("finalLr", options.finalLr ?? 0);
  if (finalLr > baseLr) {
    throw new RangeError(`finalLr must be <= baseLr (${baseLr}), got ${finalLr}`);
  }
  const totalSteps = checkInteger("totalSteps", options.totalSteps, 1);
  const warmupSteps = checkInteger("warmupSteps", options.warmupSteps, 0);
  if (warmupSteps > totalSteps) {
    throw new RangeError(`warmupSteps must be <= totalSteps (${totalSteps}), got ${warmupSteps}`);
  }
  const decaySteps = totalSteps - warmupSteps;
  return (step: number): number => {
    checkInteger("step", step, 0);
    if (step < warmupSteps) return baseLr * step / warmupSteps;
    if (step >= totalSteps) return finalLr;
    // The same value as finalLr + (baseLr - finalLr) * (1 + cos) / 2, written so that step
    // warmupSteps gives exactly baseLr and rounding cannot break monotonicity.
    const progress = (1 - Math.cos(Math.PI * (step - warmupSteps) / decaySteps)) / 2;
    return baseLr - (baseLr - finalLr) * progress;
  };
}
