import { batches } from "@selfsup/data";
import type { StagePlan } from "./recipes/recipe.ts";

/** What the speed probe measured and the steps it chose. */
export interface BudgetFit {
  totalSteps: number;
  secondsPerStep: number;
  probeSeconds: number;
}

/**
 * Share of the budget given to steps: the rest covers the periodic kNN, checkpoints and
 * metrics (measured on the default run: a few percent each).
 */
export const STEP_SHARE = 0.9;

/**
 * `--minutes`: times a few steps of a throwaway learner built as the real one (the first step
 * is a warm-up: kernel plans, buffer pools), then returns the number of steps that fit in
 * what is left of the budget, so that the real learner's warmup + cosine schedule ends on
 * time.
 *
 * @param plan The budgeted stage.
 * @param minutes The budget, including the probe.
 * @param seed Seed of the probe's batches.
 * @param probeSteps Timed steps after the warm-up.
 */
export async function fitStepsToBudget(
  plan: StagePlan,
  minutes: number,
  seed: number,
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
    const probeSeconds = (performance.now() - started) / 1000;
    const left = Math.max(0, minutes * 60 - probeSeconds) * STEP_SHARE;
    return {
      totalSteps: Math.max(1, Math.floor(left / secondsPerStep)),
      secondsPerStep,
      probeSeconds,
    };
  } finally {
    learner.dispose();
  }
}
