import { checkInteger, checkNumber } from "@selfsup/internal";

/**
 * Linear learning-rate scaling, `baseLr * batchSize / 256` (Goyal et al., 2017,
 * arXiv:1706.02677), as SimCLR uses it with LARS: learning rate `0.3 * batchSize / 256`
 * (Chen et al., 2020, arXiv:2002.05709, section B.1; `--learning_rate_scaling=linear` in
 * google-research/simclr).
 *
 * @param baseLr The learning rate for a batch of 256; finite, >= 0.
 * @param batchSize The global batch size; an integer >= 1.
 * @returns `baseLr * batchSize / 256`.
 * @throws {TypeError} If an argument is not a number.
 * @throws {RangeError} If `baseLr` is negative or not finite, or `batchSize` is not an integer
 * >= 1.
 *
 * @example SimCLR's ImageNet setting
 * ```ts
 * import { linearScaledLr } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * assert.equal(linearScaledLr(0.3, 4096), 4.8);
 * ```
 */
export function linearScaledLr(baseLr: number, batchSize: number): number {
  checkNumber("linearScaledLr", "baseLr", baseLr, { min: 0 });
  checkInteger("linearScaledLr", "batchSize", batchSize, { min: 1 });
  return baseLr * batchSize / 256;
}

/**
 * Square-root learning-rate scaling, `baseLr * sqrt(batchSize)`, which SimCLR recommends for
 * small batches and long training: learning rate `0.075 * sqrt(batchSize)` (Chen et al., 2020,
 * arXiv:2002.05709, appendix B.1; `--learning_rate_scaling=sqrt` in google-research/simclr).
 *
 * @param baseLr The per-sqrt-example learning rate; finite, >= 0.
 * @param batchSize The global batch size; an integer >= 1.
 * @returns `baseLr * Math.sqrt(batchSize)`.
 * @throws {TypeError} If an argument is not a number.
 * @throws {RangeError} If `baseLr` is negative or not finite, or `batchSize` is not an integer
 * >= 1.
 *
 * @example SimCLR's small-batch setting
 * ```ts
 * import { sqrtScaledLr } from "@selfsup/optim";
 * import assert from "node:assert/strict";
 *
 * assert.equal(sqrtScaledLr(0.075, 256), 1.2);
 * ```
 */
export function sqrtScaledLr(baseLr: number, batchSize: number): number {
  checkNumber("sqrtScaledLr", "baseLr", baseLr, { min: 0 });
  checkInteger("sqrtScaledLr", "batchSize", batchSize, { min: 1 });
  return baseLr * Math.sqrt(batchSize);
}
