import type * as tf from "@tensorflow/tfjs";
import { batches } from "@selfsup/data";
import type { StagePlan } from "./recipes/recipe.ts";

/** What the speed probe measured and the steps it chose. */
export interface BudgetFit {
  totalSteps: number;
  secondsPerStep: number;
  /** Seconds of one periodic kNN monitor (0 without one). */
  secondsPerMonitor: number;
  probeSeconds: number;
}

/** The periodic kNN monitor, timed once by the probe: it shares the budget with the steps. */
export interface MonitorCost {
  run: (encoder: tf.LayersModel) => Promise<unknown>;
  /** Monitor interval in steps, or null for ten monitors per stage. */
  every: number | null;
}

/** Share of the budget left after the probe and the monitors: the rest covers checkpoints. */
export const STEP_SHARE = 0.95;
const DEFAULT_MONITORS = 10;

/**
 * `--minutes`: times a few steps of a throwaway learner built as the real one (the first step
 * is a warm-up: kernel plans, buffer pools) and one periodic kNN monitor, then returns the
 * number of steps that fit in what is left of the budget once the monitors are paid for, so
 * that the real learner's warmup + cosine schedule ends on time.
 *
 * @param plan The budgeted stage.
 * @param minutes The budget, including the probe.
 * @param seed Seed of the probe's batches.
 * @param monitor The periodic kNN monitor and its interval, to time and budget for.
 * @param probeSteps Timed steps after the warm-up.
 */
export async function fitStepsToBudget(
  plan: StagePlan,
  minutes: number,
  seed: number,
  monitor: MonitorCost | null = null,
  probeSteps = 3,
): Promise<BudgetFit> {
  const started = performance.now();
  const learner = await plan.build(probeSteps + 1, []);
  let timed = 0;
  try {
    const it = batches(plan.data, { batchSize: plan.batchSize, seed, dropLast: true });
    let step = 0;
    let t0 = 0;
    for (const batch of it) {
      if (step === 1) t0 = performance.now();
      await learner.step(batch, step);
      step += 1;
      if (step > probeSteps) break;
    }
    timed = Math.max(1, step - 1);
    const secondsPerStep = (performance.now() - t0) / 1000 / timed;
    let secondsPerMonitor = 0;
    if (monitor !== null && learner.monitorEncoder !== null) {
      const t1 = performance.now();
      await monitor.run(learner.monitorEncoder);
      secondsPerMonitor = (performance.now() - t1) / 1000;
    }
    const probeSeconds = (performance.now() - started) / 1000;
    const left = Math.max(0, minutes * 60 - probeSeconds) * STEP_SHARE;
    const totalSteps = monitor === null || secondsPerMonitor === 0
      ? left / secondsPerStep
      : monitor.every === null
      ? (left - DEFAULT_MONITORS * secondsPerMonitor) / secondsPerStep
      : left / (secondsPerStep + secondsPerMonitor / monitor.every);
    return {
      totalSteps: Math.max(1, Math.floor(totalSteps)),
      secondsPerStep,
      secondsPerMonitor,
      probeSeconds,
    };
  } finally {
    learner.dispose();
  }
}
