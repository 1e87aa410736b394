import { checkInteger, checkOptions, checkProbability, rangeError } from "@selfsup/internal";

/**
 * Options for {@linkcode cosineMomentum}.
 *
 * @example BYOL's defaults, written out
 * ```ts
 * import { cosineMomentum, type CosineMomentumOptions } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const options: CosineMomentumOptions = { base: 0.996, final: 1, totalSteps: 1000 };
 * assert.equal(cosineMomentum(options)(0), 0.996);
 * ```
 */
export interface CosineMomentumOptions {
  /** Momentum at step 0; in [0, final]. Defaults to 0.996 (BYOL's tau_base). */
  base?: number;
  /** Momentum at and after `totalSteps`; in [base, 1]. Defaults to 1. */
  final?: number;
  /** Number of steps K over which the momentum rises from `base` to `final`; an integer >= 1. */
  totalSteps: number;
}

/**
 * BYOL's target-network momentum schedule (Grill et al., 2020, arXiv:2006.07733, section 3.2):
 * `tau(k) = final - (final - base) * (cos(pi * k / K) + 1) / 2`, rising from `base` at step 0 to
 * `final` at step `K = totalSteps`, and held at `final` after it.
 *
 * The target weights are updated as `xi <- tau * xi + (1 - tau) * theta`, so a larger tau moves
 * the target more slowly; BYOL uses base 0.996 and final 1.
 *
 * @param options The schedule's end points and length; see {@linkcode CosineMomentumOptions}.
 * @returns A pure function from a step (an integer >= 0) to tau at that step; it throws a
 * RangeError for a negative or fractional step (a TypeError for a non-number), naming
 * `cosineMomentum()`.
 * @throws {TypeError} If `options` is not an object or a field is not a number.
 * @throws {RangeError} If `base` or `final` is outside [0, 1], `base > final`, or `totalSteps`
 * is not an integer >= 1.
 *
 * @example BYOL's defaults over 1000 steps
 * ```ts
 * import { cosineMomentum } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * const tau = cosineMomentum({ totalSteps: 1000 });
 * assert.equal(tau(0), 0.996);
 * assert.ok(Math.abs(tau(500) - 0.998) < 1e-12);
 * assert.equal(tau(1000), 1);
 * assert.equal(tau(5000), 1);
 * ```
 */
export function cosineMomentum(options: CosineMomentumOptions): (step: number) => number {
  const fn = "cosineMomentum";
  checkOptions(fn, options);
  const base = options.base === undefined ? 0.996 : checkProbability(fn, "base", options.base);
  const final = options.final === undefined ? 1 : checkProbability(fn, "final", options.final);
  if (base > final) throw rangeError(fn, "base", `<= final (${final})`, base);
  const totalSteps = checkInteger(fn, "totalSteps", options.totalSteps, { min: 1 });
  return (step: number): number => {
    checkInteger(fn, "step", step, { min: 0 });
    if (step >= totalSteps) return final;
    // The same value as final - (final - base) * (cos + 1) / 2, written so that step 0 gives
    // exactly base and rounding cannot break monotonicity.
    return base + (final - base) * (1 - Math.cos(Math.PI * step / totalSteps)) / 2;
  };
}
