import * as tf from "@tensorflow/tfjs";
import { type Batch, batches, type Dataset } from "@selfsup/data";
import { deriveSeed } from "@selfsup/internal";
import { writeCheckpoint } from "./checkpoint.ts";
import { knnMonitor } from "./evaluate.ts";
import type { Progress } from "./progress.ts";
import type { StageLearner, StagePlan } from "./recipes/recipe.ts";
import { stepsPerEpoch } from "./recipes/recipe.ts";
import type { MetricsLog } from "./run_folder.ts";

/** Where a run stands: what a checkpoint holds besides the learner's own state. */
export interface RunPosition {
  /** The stage in progress (== stages.length once every stage has finished). */
  stage: number;
  /** Steps taken in that stage. */
  step: number;
  /** Final learner states of the finished stages. */
  finished: unknown[];
  /** Each stage's total steps, fixed when the stage started (a resume keeps them). */
  totalSteps: number[];
  /** Training seconds so far (all stages). */
  trainSeconds: number;
  /**
   * Training seconds of each stage so far (checkpoint writes excluded, as from
   * `trainSeconds`). Absent in checkpoints written before it was added.
   */
  stageSeconds?: number[];
  /** metrics.jsonl's length at this point. */
  metricsBytes: number;
}

/** Why the loop stopped early. */
export class StopRequested extends Error {
  override name = "StopRequested";
}

/** A loss that is NaN or infinite: the run stops, the last good checkpoint stays. */
export class NonFiniteLoss extends Error {
  override name = "NonFiniteLoss";
}

/** What the loop needs besides the stages. */
export interface LoopContext {
  runDir: string;
  seed: number;
  metrics: MetricsLog;
  progress: Progress;
  logEvery: number;
  checkpointEvery: number;
  /** Also checkpoint when this many seconds have passed since the last one. */
  checkpointSeconds: number;
  /** Periodic kNN interval in steps (null: a tenth of the stage's steps). */
  knnEvery: number | null;
  knnBank: Dataset;
  validation: Dataset;
  knnK: number;
  knnTemperature: number;
  /** Set by the SIGINT handler: finish the step, checkpoint, stop. */
  stopRequested: () => boolean;
  /** Fits a budgeted stage's steps (--minutes); null: the stage's epochs decide. */
  fitSteps: ((plan: StagePlan) => Promise<number>) | null;
}

/**
 * Runs the recipe's stages from `position` (a fresh run or a checkpoint) to the end, with a
 * metrics line every `logEvery` steps, a kNN line on the validation slice every `knnEvery`
 * steps, and a checkpoint every `checkpointEvery` steps and at the end of each stage.
 *
 * The batch of step s of a stage is batch `s mod stepsPerEpoch` of epoch
 * `floor(s / stepsPerEpoch)` in `batches(data, { seed, epoch })`: a pure function of
 * (seed, stage, step), which with the learner's state makes a resumed run take exactly the
 * steps the uninterrupted one would.
 *
 * @returns The final states of every stage and the final position.
 * @throws {StopRequested} After a checkpoint, when the user asked to stop (Ctrl-C).
 * @throws {NonFiniteLoss} When a loss is not finite (nothing of that step is saved).
 */
export async function runStages(
  stages: StagePlan[],
  position: RunPosition,
  currentState: unknown | null,
  ctx: LoopContext,
): Promise<{ states: unknown[]; position: RunPosition }> {
  const pos = {
    ...position,
    finished: [...position.finished],
    totalSteps: [...position.totalSteps],
    stageSeconds: [...(position.stageSeconds ?? [])],
  };
  let globalOffset = 0;
  for (let s = 0; s < pos.stage; s++) globalOffset += pos.totalSteps[s];
  for (let s = pos.stage; s < stages.length; s++) {
    const plan = stages[s];
    const perEpoch = stepsPerEpoch(plan);
    if (pos.totalSteps[s] === undefined) {
      pos.totalSteps[s] = plan.budgeted && ctx.fitSteps !== null
        ? await ctx.fitSteps(plan)
        : Math.max(1, Math.round(plan.epochs * perEpoch));
    }
    const total = pos.totalSteps[s];
    const learner = await plan.build(total, pos.finished);
    try {
      if (s === position.stage && currentState !== null) await learner.setState(currentState);
      // A fresh run checkpoints before its first step, so that from the moment its folder
      // exists it can be resumed (a new run of the same name is refused). A run that takes
      // its pretraining from another run (--pretrained) starts at stage 1.
      if (s === position.stage && pos.step === 0 && currentState === null) {
        await checkpoint(ctx, pos, await learner.getState());
      }
      await runStage(s, plan, learner, pos, total, perEpoch, globalOffset, ctx);
      pos.finished.push(await learner.getState());
    } finally {
      learner.dispose();
    }
    globalOffset += total;
    pos.stage = s + 1;
    pos.step = 0;
  }
  return { states: pos.finished, position: pos };
}

async function runStage(
  stageIndex: number,
  plan: StagePlan,
  learner: StageLearner,
  pos: RunPosition & { stageSeconds: number[] },
  total: number,
  perEpoch: number,
  globalOffset: number,
  ctx: LoopContext,
): Promise<void> {
  const knnEvery = ctx.knnEvery ?? Math.max(1, Math.round(total / 10));
  const seed = deriveSeed(ctx.seed, 0x62617463, stageIndex); // "batc"
  let epochIterator: Generator<Batch> | null = null;
  let iteratorEpoch = -1;
  let nextIndex = 0;
  let started = performance.now();
  let lastCheckpoint = performance.now();
  const secondsBefore = pos.trainSeconds;
  const stageBefore = pos.stageSeconds[stageIndex] ?? 0;
  pos.stageSeconds[stageIndex] = stageBefore;
  ctx.progress.startStage(plan.name, stageIndex, total, pos.step);
  for (let step = pos.step; step < total; step++) {
    const epoch = Math.floor(step / perEpoch);
    const index = step % perEpoch;
    if (epoch !== iteratorEpoch || index !== nextIndex) {
      epochIterator = batches(plan.data, {
        batchSize: plan.batchSize,
        seed,
        epoch,
        dropLast: true,
      });
      iteratorEpoch = epoch;
      // Resuming mid-epoch: skip the batches the run already took (the order is pure).
      for (let i = 0; i < index; i++) epochIterator.next();
      nextIndex = index;
    }
    const batch = epochIterator!.next().value as Batch;
    nextIndex += 1;
    const t0 = performance.now();
    const result = await learner.step(batch, step);
    const seconds = (performance.now() - t0) / 1000;
    if (!Number.isFinite(result.loss)) {
      throw new NonFiniteLoss(
        `the loss became ${result.loss} at step ${step} of stage ${plan.name} ` +
          `(learning rate ${result.learningRate}): stopped`,
      );
    }
    pos.step = step + 1;
    const elapsed = (performance.now() - started) / 1000;
    pos.trainSeconds = secondsBefore + elapsed;
    pos.stageSeconds[stageIndex] = stageBefore + elapsed;
    const imagesPerSecond = plan.batchSize / seconds;
    const last = step + 1 === total;
    if (step % ctx.logEvery === 0 || last) {
      await ctx.metrics.write({
        step: globalOffset + step,
        stage: stageIndex,
        stageStep: step,
        epoch: (step + 1) / perEpoch,
        ...result,
        imagesPerSecond,
        tensors: tf.memory().numTensors,
        rss: Deno.memoryUsage().rss,
      });
    }
    if (learner.monitorEncoder !== null && ((step + 1) % knnEvery === 0 || last)) {
      let validationKnn: number;
      try {
        validationKnn = await knnMonitor(learner.monitorEncoder, ctx.knnBank, ctx.validation, {
          k: Math.min(ctx.knnK, ctx.knnBank.shape[0]),
          temperature: ctx.knnTemperature,
        });
      } catch (error) {
        // Weights that overflowed before the loss did: the same divergence.
        if (error instanceof RangeError && /finite features/.test(error.message)) {
          throw new NonFiniteLoss(
            `the encoder's features are no longer finite after step ${step} of stage ` +
              `${plan.name} (${error.message}): stopped`,
          );
        }
        throw error;
      }
      await ctx.metrics.write({
        step: globalOffset + step,
        stage: stageIndex,
        stageStep: step,
        epoch: (step + 1) / perEpoch,
        validationKnn,
      });
      ctx.progress.note(`step ${step + 1}: validation kNN ${(100 * validationKnn).toFixed(1)}%`);
    }
    ctx.progress.update(step + 1, result.loss, imagesPerSecond, (step + 1) / perEpoch);
    const stop = ctx.stopRequested();
    const due = (step + 1) % ctx.checkpointEvery === 0 ||
      performance.now() - lastCheckpoint >= ctx.checkpointSeconds * 1000;
    if (last || stop || due) {
      const t = performance.now();
      await checkpoint(ctx, pos, await learner.getState());
      lastCheckpoint = performance.now();
      // Checkpoint time is not training time (nor in the next step's images/s).
      started += performance.now() - t;
    }
    if (stop) throw new StopRequested(`stopped after step ${step + 1} of stage ${plan.name}`);
  }
  ctx.progress.endStage();
}

async function checkpoint(ctx: LoopContext, pos: RunPosition, state: unknown): Promise<void> {
  // A state whose weights overflowed is no good to resume from, even if the loss was finite.
  const bad = firstNonFinite(state, "state");
  if (bad !== null) {
    throw new NonFiniteLoss(`${bad} is no longer finite after step ${pos.step - 1}: stopped`);
  }
  await ctx.metrics.sync();
  pos.metricsBytes = ctx.metrics.bytes;
  await writeCheckpoint(ctx.runDir, { position: pos, state });
}

function firstNonFinite(value: unknown, path: string): string | null {
  if (value instanceof Float32Array) {
    for (let i = 0; i < value.length; i++) if (!Number.isFinite(value[i])) return path;
    return null;
  }
  if (ArrayBuffer.isView(value)) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const item = value[i] as { name?: unknown };
      const name = typeof item?.name === "string" ? `${path}[${item.name}]` : `${path}[${i}]`;
      const bad = firstNonFinite(value[i], name);
      if (bad !== null) return bad;
    }
    return null;
  }
  if (value !== null && typeof value === "object") {
    for (const [k, v] of Object.entries(value)) {
      const bad = firstNonFinite(v, `${path}.${k}`);
      if (bad !== null) return bad;
    }
  }
  return null;
}
