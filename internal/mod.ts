/**
 * Internal helpers of the selfsup packages: the seeded generator, permutations, seed
 * derivation, argument validation and its message format, layer seeds and the layer helpers
 * both model packages build from (the fused batch-norm layer and op), model and optimizer
 * state as plain tensor records, and the learners' shared bookkeeping (step counter, learning
 * rate options, state).
 *
 * Not for users: published only because the packages that import it are (as the Deno
 * standard library's `@std/internal`). Its API may change in any release. The public seed
 * helper is `deriveSeed` of `@selfsup/augment`.
 *
 * @example
 * ```ts
 * import { checkInteger, Random } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const random = new Random(7);
 * assert.ok(random.next() < 1);
 * assert.throws(() => checkInteger("f", "steps", 1.5, { min: 1 }), {
 *   name: "RangeError",
 *   message: "f(): steps must be an integer >= 1, got 1.5",
 * });
 * ```
 *
 * @module
 */
export * from "./random.ts";
export * from "./validate.ts";
export * from "./layer_seed.ts";
export * from "./tensor_records.ts";
export * from "./learner_checks.ts";
export * from "./learner_core.ts";
export * from "./learning_rate_schedule.ts";
export * from "./batch_norm_training.ts";
export * from "./batch_normalization.ts";
export * from "./layers.ts";
