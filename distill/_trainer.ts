// What both learners share: the default schedule and the default LARS optimizer, and one
// gradient update that returns plain numbers around the learners' shared bookkeeping
// (LearnerCore of @selfsup/internal), with a restore that puts back what was there on failure.
import * as tf from "@tensorflow/tfjs";
import {
  checkInteger,
  checkKeys,
  checkOptions,
  LearnerCore,
  rangeError,
  resolveSchedule,
  type ScheduleOptions,
  type TensorRecord,
  typeError,
  writeModelWeights,
  writeOptimizerState,
} from "@selfsup/internal";
import { DEFAULT_LARS_EXCLUDE, lars, setLearningRate, warmupCosine } from "@selfsup/optim";

export type { LearningRate } from "@selfsup/internal";

/** What a learner's default schedule is made of. */
export interface DefaultSchedule {
  /** The peak learning rate for a batch size. */
  baseLr: (batchSize: number) => number;
  /** The share of `totalSteps` spent in linear warmup when `warmupSteps` is omitted. */
  warmupFraction: number;
}

/**
 * The learning rate per step (null when an optimizer passed in keeps its own): the options'
 * constant or function, or the default warmup + cosine schedule.
 */
export function distillSchedule(
  fn: string,
  options: ScheduleOptions,
  { baseLr, warmupFraction }: DefaultSchedule,
): ((step: number) => number) | null {
  return resolveSchedule(fn, options, {
    warmupSteps: (totalSteps) => Math.round(warmupFraction * totalSteps),
    schedule: ({ batchSize, warmupSteps, totalSteps }) =>
      warmupCosine({ baseLr: baseLr(batchSize), warmupSteps, totalSteps }),
  });
}

/**
 * LARS (momentum 0.9, eta 0.001) with the given weight decay, excluding from weight decay and
 * the trust ratio what google-research/simclr excludes (`['batch_normalization', 'bias',
 * 'head_supervised']`): batch-norm parameters, biases and the variables of the layer that
 * makes the logits (the reference's supervised head).
 */
export function defaultOptimizer(
  model: tf.LayersModel,
  weightDecay: number,
): tf.Optimizer {
  const output = new Set(
    model.outputs[0].sourceLayer.weights.map((w) => (w.read() as tf.Variable).name),
  );
  const patterns = DEFAULT_LARS_EXCLUDE.map((p) => new RegExp(p));
  return lars({
    learningRate: 0,
    momentum: 0.9,
    weightDecay,
    exclude: (name) => output.has(name) || patterns.some((p) => p.test(name)),
  });
}

/** A learner's state: plain, structured-cloneable. */
export interface TrainerState<M extends string> {
  /** Which learner made it. */
  method: M;
  /** Steps taken. */
  step: number;
  /** Every weight of each model the learner trains (trainable or not), in model order. */
  models: Record<string, TensorRecord[]>;
  /** The optimizer's iteration count and slots. */
  optimizer: TensorRecord[];
}

/**
 * The counter, optimizer and schedule of one learner, the models it checkpoints, and one
 * gradient update of the variables it trains.
 */
export class Trainer<M extends string> {
  readonly #learner: string;
  readonly #method: M;
  readonly #models: Record<string, tf.LayersModel>;
  readonly #core: LearnerCore<M, string>;

  /**
   * @param learner The learner's class name, for messages (`FineTuneLearner.step()`).
   * @param method The state's `method`.
   * @param models The models whose weights the state holds, by name.
   * @param trained The model whose trainable weights are updated.
   */
  constructor(
    learner: string,
    method: M,
    models: Record<string, tf.LayersModel>,
    trained: tf.LayersModel,
    optimizer: tf.Optimizer,
    ownsOptimizer: boolean,
    schedule: ((step: number) => number) | null,
  ) {
    this.#learner = learner;
    this.#method = method;
    this.#models = models;
    this.#core = new LearnerCore({
      learner,
      method,
      models,
      variables: trained.trainableWeights.map((w) => w.read() as tf.Variable),
      optimizer,
      schedule,
      owned: ownsOptimizer ? [optimizer] : [],
    });
  }

  get optimizer(): tf.Optimizer {
    return this.#core.optimizer;
  }

  get steps(): number {
    return this.#core.steps;
  }

  /** Checks the step's options (only the keys given) and returns the step to run. */
  resolveStep(fn: string, options: unknown, keys: readonly string[]): number {
    return this.#core.resolveStep(fn, options, keys);
  }

  /** The learning rate at `step`, validated (a user's schedule may return anything). */
  learningRate(fn: string, step: number): number {
    return this.#core.learningRate(fn, step);
  }

  /**
   * One update at learning rate `lr`: `loss()` returns scalars, the first the loss whose
   * gradient with respect to the trained variables is applied, the others monitors. Their
   * values come back in one read. Runs in `tf.tidy`; the counter moves on.
   */
  update(lr: number, loss: () => tf.Scalar[]): Promise<number[]> {
    const core = this.#core;
    return core.run(async () => {
      if (core.scheduled) setLearningRate(core.optimizer, lr);
      const values = tf.tidy(() => {
        let monitors: tf.Scalar[] = [];
        try {
          const { value, grads } = tf.variableGrads(() => {
            const [total, ...rest] = loss();
            // Kept past the gradient's tidy for the read-back (disposed below).
            monitors = rest.map((m) => tf.keep(m));
            return total;
          }, core.variables);
          core.optimizer.applyGradients(grads);
          return tf.stack([value, ...monitors]);
        } finally {
          tf.dispose(monitors);
        }
      });
      const numbers = Array.from(await values.data());
      values.dispose();
      core.steps += 1;
      return numbers;
    });
  }

  getState(): Promise<TrainerState<M>> {
    return this.#core.getState();
  }

  /** Restores a state; on any error the learner is left as it was. */
  async setState(state: unknown): Promise<void> {
    const fn = `${this.#learner}.setState`;
    const core = this.#core;
    core.checkIdle(fn);
    checkOptions(fn, state, "state");
    const { method, step, models, optimizer } = state as Partial<TrainerState<string>>;
    if (method !== this.#method) {
      throw rangeError(fn, "state.method", JSON.stringify(this.#method), method);
    }
    const steps = checkInteger(fn, "state.step", step, { min: 0 });
    checkOptions(fn, models, "state.models");
    checkKeys(fn, models!, Object.keys(this.#models));
    if (!Array.isArray(optimizer)) {
      throw typeError(fn, "state.optimizer", "a list of tensor records", optimizer);
    }
    const before = await core.getState();
    await core.run(async () => {
      try {
        for (const [name, model] of Object.entries(this.#models)) {
          writeModelWeights(fn, `state.models.${name}`, model, models![name]);
        }
        await writeOptimizerState(fn, "state.optimizer", core.optimizer, optimizer);
        core.steps = steps;
      } catch (error) {
        // A state that does not fit changes nothing: put back what was there.
        for (const [name, model] of Object.entries(this.#models)) {
          writeModelWeights(fn, "state", model, before.models[name]);
        }
        await writeOptimizerState(fn, "state", core.optimizer, before.optimizer);
        throw error;
      }
    });
  }

  dispose(): void {
    this.#core.dispose();
  }
}
