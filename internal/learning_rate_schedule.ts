// The learners' learning-rate options (a constant, a function of the step, an optimizer that
// keeps its own rate, or the paper's default schedule) resolved in one place, so that every
// learner accepts the same combinations and refuses the others with the same messages.
import type * as tf from "@tensorflow/tfjs";
import { checkInteger, checkNumber, typeError } from "./validate.ts";

/** A learning rate: a constant or a function from the step to the rate. */
export type LearningRate = number | ((step: number) => number);

/** The learning-rate options every learner takes. */
export interface ScheduleOptions {
  /** An optimizer passed in: without `learningRate`, it keeps its own rate. */
  optimizer?: tf.Optimizer;
  /** A constant rate (>= 0) or a function from the step to the rate. */
  learningRate?: LearningRate;
  /** Images per batch: the default schedule's peak rate depends on it. */
  batchSize?: number;
  /** Length of the default schedule. */
  totalSteps?: number;
  /** Warmup steps of the default schedule, in [0, totalSteps]. */
  warmupSteps?: number;
}

/** What the default schedule needs, checked. */
export interface ScheduleShape {
  /** Images per batch, an integer >= 1. */
  batchSize: number;
  /** Length of the schedule, an integer >= 1. */
  totalSteps: number;
  /** Warmup steps, an integer in [0, totalSteps]. */
  warmupSteps: number;
}

/** A learner's default schedule (the paper's), used when neither rate nor optimizer is given. */
export interface DefaultSchedule {
  /** The warmup steps when `warmupSteps` is omitted, from `totalSteps`. */
  warmupSteps: (totalSteps: number) => number;
  /** The schedule itself, e.g. `warmupCosine` of `@selfsup/optim` at a scaled peak rate. */
  schedule: (shape: ScheduleShape) => (step: number) => number;
}

const SCHEDULE_OPTIONS = ["batchSize", "totalSteps", "warmupSteps"] as const;

/**
 * Resolves a learner's learning-rate options into the rate per step, or null when an optimizer
 * passed in keeps its own rate. `batchSize`, `totalSteps` and `warmupSteps` shape only the
 * default schedule: with `learningRate` or `optimizer` they must be omitted, without them
 * `batchSize` and `totalSteps` are required. A function `learningRate` is returned as it is
 * (the learner checks what it returns at each step).
 *
 * @param fn The public function the user called, for messages.
 * @param options The learner's options.
 * @param defaults The learner's default schedule.
 * @returns The rate per step, or null.
 * @throws {TypeError} If a schedule option is given where it has no effect, or one the default
 * schedule needs is missing.
 * @throws {RangeError} If a number is out of range.
 *
 * @example
 * ```ts
 * import { resolveSchedule } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const defaults = {
 *   warmupSteps: (totalSteps: number) => Math.round(totalSteps / 10),
 *   schedule: ({ batchSize, warmupSteps }: { batchSize: number; warmupSteps: number }) =>
 *   (step: number) => step < warmupSteps ? 0 : batchSize / 256,
 * };
 * const rate = resolveSchedule("f", { batchSize: 512, totalSteps: 20 }, defaults);
 * assert.deepEqual([rate!(1), rate!(2)], [0, 2]);
 * assert.equal(resolveSchedule("f", { learningRate: 0.1 }, defaults)!(7), 0.1);
 * assert.throws(() => resolveSchedule("f", { learningRate: 0.1, totalSteps: 9 }, defaults), {
 *   name: "TypeError",
 *   message: "f(): totalSteps must be omitted when learningRate or optimizer is given (it " +
 *     "shapes only the default schedule), got 9",
 * });
 * ```
 */
export function resolveSchedule(
  fn: string,
  options: ScheduleOptions,
  defaults: DefaultSchedule,
): ((step: number) => number) | null {
  const { learningRate, optimizer } = options;
  if (learningRate !== undefined || optimizer !== undefined) {
    for (const name of SCHEDULE_OPTIONS) {
      if (options[name] !== undefined) {
        throw typeError(
          fn,
          name,
          "omitted when learningRate or optimizer is given (it shapes only the default " +
            "schedule)",
          options[name],
        );
      }
    }
    if (learningRate === undefined) return null;
    if (typeof learningRate === "function") return learningRate;
    const constant = checkNumber(fn, "learningRate", learningRate, { min: 0 });
    return () => constant;
  }
  for (const name of ["batchSize", "totalSteps"] as const) {
    if (options[name] === undefined) {
      throw typeError(
        fn,
        name,
        "an integer >= 1 (the default learning-rate schedule needs it; or pass learningRate)",
        undefined,
      );
    }
  }
  const batchSize = checkInteger(fn, "batchSize", options.batchSize, { min: 1 });
  const totalSteps = checkInteger(fn, "totalSteps", options.totalSteps, { min: 1 });
  const warmupSteps = options.warmupSteps === undefined
    ? defaults.warmupSteps(totalSteps)
    : checkInteger(fn, "warmupSteps", options.warmupSteps, { min: 0, max: totalSteps });
  return defaults.schedule({ batchSize, totalSteps, warmupSteps });
}
