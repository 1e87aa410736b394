// What both learners share: the step counter and its validation, the learning-rate schedule,
// the default LARS optimizer, one gradient update that returns plain numbers, and the state
// as tensor records.
import * as tf from "@tensorflow/tfjs";
import {
  checkInteger,
  checkNumber,
  checkOptions,
  rangeError,
  readModelWeights,
  readOptimizerState,
  type TensorRecord,
  typeError,
  writeModelWeights,
  writeOptimizerState,
} from "@selfsup/internal";
import { DEFAULT_LARS_EXCLUDE, lars, setLearningRate, warmupCosine } from "@selfsup/optim";

/** A learning rate: a constant or a function of the step. */
export type LearningRate = number | ((step: number) => number);

/** The schedule options both learners take. */
export interface ScheduleOptions {
  optimizer?: tf.Optimizer;
  learningRate?: LearningRate;
  batchSize?: number;
  totalSteps?: number;
  warmupSteps?: number;
}

/** What a learner's default schedule is made of. */
export interface DefaultSchedule {
  /** The peak learning rate for a batch size. */
  baseLr: (batchSize: number) => number;
  /** The share of `totalSteps` spent in linear warmup when `warmupSteps` is omitted. */
  warmupFraction: number;
}

const SCHEDULE_OPTIONS = ["batchSize", "totalSteps", "warmupSteps"] as const;

/**
 * Resolves the learning-rate options into a function of the step, or null when an optimizer
 * passed in keeps its own rate. `batchSize`, `totalSteps` and `warmupSteps` shape only the
 * default schedule: with `learningRate` or `optimizer` they must be omitted.
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
    ? Math.round(defaults.warmupFraction * totalSteps)
    : checkInteger(fn, "warmupSteps", options.warmupSteps, { min: 0, max: totalSteps });
  return warmupCosine({ baseLr: defaults.baseLr(batchSize), warmupSteps, totalSteps });
}

/** Throws a TypeError naming the first key of `options` that is not in `allowed`. */
export function checkKeys(fn: string, options: object, allowed: readonly string[]): void {
  for (const key of Object.keys(options)) {
    if (!allowed.includes(key)) {
      throw new TypeError(
        `${fn}(): options must have only the keys ${allowed.join(", ")}, got key ${
          JSON.stringify(key)
        }`,
      );
    }
  }
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
  readonly #variables: tf.Variable[];
  readonly #schedule: ((step: number) => number) | null;
  readonly optimizer: tf.Optimizer;
  readonly #ownsOptimizer: boolean;
  #steps = 0;
  #busy = false;
  #disposed = false;

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
    this.#variables = trained.trainableWeights.map((w) => w.read() as tf.Variable);
    this.optimizer = optimizer;
    this.#ownsOptimizer = ownsOptimizer;
    this.#schedule = schedule;
  }

  get steps(): number {
    return this.#steps;
  }

  /** Checks the step's options (only the keys given) and returns the step to run. */
  resolveStep(fn: string, options: unknown, keys: readonly string[]): number {
    this.checkIdle(fn);
    checkOptions(fn, options);
    checkKeys(fn, options as object, keys);
    const { step } = options as { step?: unknown };
    return step === undefined ? this.#steps : checkInteger(fn, "step", step, { min: 0 });
  }

  /** The learning rate at `step`, validated (a user's schedule may return anything). */
  learningRate(fn: string, step: number): number {
    if (this.#schedule === null) {
      const rate = (this.optimizer as unknown as { learningRate?: unknown }).learningRate;
      return typeof rate === "number" ? rate : NaN;
    }
    return checkNumber(fn, "learningRate(step)", this.#schedule(step), { min: 0 });
  }

  /**
   * One update at learning rate `lr`: `loss()` returns scalars, the first the loss whose
   * gradient with respect to the trained variables is applied, the others monitors. Their
   * values come back in one read. Runs in `tf.tidy`; the counter moves on.
   */
  async update(lr: number, loss: () => tf.Scalar[]): Promise<number[]> {
    this.#busy = true;
    try {
      if (this.#schedule !== null) setLearningRate(this.optimizer, lr);
      const values = tf.tidy(() => {
        let monitors: tf.Scalar[] = [];
        try {
          const { value, grads } = tf.variableGrads(() => {
            const [total, ...rest] = loss();
            // Kept past the gradient's tidy for the read-back (disposed below).
            monitors = rest.map((m) => tf.keep(m));
            return total;
          }, this.#variables);
          this.optimizer.applyGradients(grads);
          return tf.stack([value, ...monitors]);
        } finally {
          tf.dispose(monitors);
        }
      });
      const numbers = Array.from(await values.data());
      values.dispose();
      this.#steps += 1;
      return numbers;
    } finally {
      this.#busy = false;
    }
  }

  async getState(): Promise<TrainerState<M>> {
    this.checkIdle(`${this.#learner}.getState`);
    this.#busy = true;
    try {
      const models: Record<string, TensorRecord[]> = {};
      for (const [name, model] of Object.entries(this.#models)) {
        models[name] = readModelWeights(model);
      }
      return {
        method: this.#method,
        step: this.#steps,
        models,
        optimizer: await readOptimizerState(this.optimizer),
      };
    } finally {
      this.#busy = false;
    }
  }

  /** Restores a state; on any error the learner is left as it was. */
  async setState(state: unknown): Promise<void> {
    const fn = `${this.#learner}.setState`;
    this.checkIdle(fn);
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
    const before = await this.getState();
    this.#busy = true;
    try {
      for (const [name, model] of Object.entries(this.#models)) {
        writeModelWeights(fn, `state.models.${name}`, model, models![name]);
      }
      await writeOptimizerState(fn, "state.optimizer", this.optimizer, optimizer);
      this.#steps = steps;
    } catch (error) {
      // A state that does not fit changes nothing: put back what was there.
      for (const [name, model] of Object.entries(this.#models)) {
        writeModelWeights(fn, "state", model, before.models[name]);
      }
      await writeOptimizerState(fn, "state", this.optimizer, before.optimizer);
      throw error;
    } finally {
      this.#busy = false;
    }
  }

  /** Throws if the learner was disposed or a call is still running. */
  checkIdle(fn: string): void {
    if (this.#disposed) throw new Error(`${fn}(): the learner has been disposed`);
    if (this.#busy) {
      throw new Error(`${fn}(): the previous call has not finished; await it first`);
    }
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    if (this.#ownsOptimizer) this.optimizer.dispose();
  }
}
