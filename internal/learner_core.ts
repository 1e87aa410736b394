// The bookkeeping every learner (simclr, byol, distill) does around its own step: the step
// counter, the guard against a call while another runs or after dispose, the step index and
// learning rate a step uses, the state as tensor records, and freeing what the learner built.
// The step itself (views, forward, loss, update) stays each learner's.
import type * as tf from "@tensorflow/tfjs";
import { checkKeys, currentRate } from "./learner_checks.ts";
import {
  checkModelRecords,
  checkOptimizerRecords,
  checkStateHeader,
  readModelWeights,
  readOptimizerState,
  type TensorRecord,
  writeModelWeights,
  writeOptimizerState,
} from "./tensor_records.ts";
import { checkInteger, checkNumber, checkOptions } from "./validate.ts";

/** A learner's state as plain, structured-cloneable data. */
export interface LearnerRecords<M extends string, K extends string> {
  /** Which learner made it. */
  method: M;
  /** The step counter. */
  step: number;
  /** Every weight of each model (batch-norm moving statistics included), in model order. */
  models: Record<K, TensorRecord[]>;
  /** The optimizer's state: its iteration count, then its slots. */
  optimizer: TensorRecord[];
}

/** What a {@linkcode LearnerCore} keeps track of. */
export interface LearnerCoreOptions<M extends string, K extends string> {
  /** The learner's class name, for messages (`SimclrLearner` -> `SimclrLearner.getState()`). */
  learner: string;
  /** The state's `method`. */
  method: M;
  /** The models whose weights the state holds, by name, in the state's order. */
  models: Record<K, tf.LayersModel>;
  /** The variables the optimizer updates (its slots follow their order). */
  variables: tf.Variable[];
  /** The optimizer. */
  optimizer: tf.Optimizer;
  /** The learning rate per step, or null when the optimizer keeps its own rate. */
  schedule: ((step: number) => number) | null;
  /** What the learner built and `dispose()` frees (a default head, a default optimizer). */
  owned: readonly { dispose(): void }[];
}

/**
 * A learner's step counter, busy and disposed guard, learning rate per step, state records and
 * owned resources: everything around the step that the learners share.
 *
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { LearnerCore } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * const model = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2] })] });
 * const optimizer = tf.train.sgd(0.1);
 * const core = new LearnerCore({
 *   learner: "MyLearner",
 *   method: "mine",
 *   models: { model },
 *   variables: model.trainableWeights.map((w) => w.read() as tf.Variable),
 *   optimizer,
 *   schedule: (step) => 0.1 / (step + 1),
 *   owned: [optimizer],
 * });
 * const step = core.resolveStep("MyLearner.step", {});
 * assert.equal(core.learningRate("MyLearner.step", step), 0.1);
 * await core.run(async () => {
 *   core.steps += 1;
 * });
 * const state = await core.getState();
 * assert.equal(state.step, 1);
 * core.dispose();
 * await assert.rejects(core.getState(), {
 *   message: "MyLearner.getState(): the learner has been disposed",
 * });
 * model.dispose();
 * ```
 */
export class LearnerCore<M extends string, K extends string> {
  /** The optimizer. */
  readonly optimizer: tf.Optimizer;
  /** The variables the optimizer updates. */
  readonly variables: tf.Variable[];
  /** Steps taken: the default index of the next step. */
  steps = 0;

  readonly #learner: string;
  readonly #method: M;
  readonly #models: Record<K, tf.LayersModel>;
  readonly #schedule: ((step: number) => number) | null;
  readonly #owned: readonly { dispose(): void }[];
  #busy = false;
  #disposed = false;

  /** @param options See {@linkcode LearnerCoreOptions}. */
  constructor(options: LearnerCoreOptions<M, K>) {
    this.#learner = options.learner;
    this.#method = options.method;
    this.#models = options.models;
    this.variables = options.variables;
    this.optimizer = options.optimizer;
    this.#schedule = options.schedule;
    this.#owned = options.owned;
  }

  /** Whether the learner sets the optimizer's rate before each step (else it keeps its own). */
  get scheduled(): boolean {
    return this.#schedule !== null;
  }

  /**
   * Throws if the learner was disposed or a call is still running.
   *
   * @param fn The public method called, for the message.
   */
  checkIdle(fn: string): void {
    if (this.#disposed) throw new Error(`${fn}(): the learner has been disposed`);
    if (this.#busy) {
      throw new Error(`${fn}(): the previous call has not finished; await it first`);
    }
  }

  /**
   * Checks that the learner is idle and the step's options (an object with only `keys`), and
   * returns the step to run: `options.step`, an integer >= 0, or the counter.
   */
  resolveStep(fn: string, options: unknown, keys: readonly string[] = ["step"]): number {
    this.checkIdle(fn);
    checkOptions(fn, options);
    checkKeys(fn, options as object, keys);
    const { step } = options as { step?: unknown };
    return step === undefined ? this.steps : checkInteger(fn, "step", step, { min: 0 });
  }

  /**
   * The learning rate at `step`: the schedule's, checked (a user's schedule may return
   * anything), or the optimizer's own.
   */
  learningRate(fn: string, step: number): number {
    if (this.#schedule === null) return currentRate(this.optimizer);
    return checkNumber(fn, "learningRate(step)", this.#schedule(step), { min: 0 });
  }

  /** Runs `work` with the learner marked busy (until it settles). */
  async run<T>(work: () => Promise<T>): Promise<T> {
    this.#busy = true;
    try {
      return await work();
    } finally {
      this.#busy = false;
    }
  }

  /** The step counter, every model's weights and the optimizer's state, as records. */
  async getState(): Promise<LearnerRecords<M, K>> {
    this.checkIdle(`${this.#learner}.getState`);
    return await this.run(async () => {
      const models = {} as Record<K, TensorRecord[]>;
      for (const [name, model] of this.#entries()) models[name] = readModelWeights(model);
      return {
        method: this.#method,
        step: this.steps,
        models,
        optimizer: await readOptimizerState(this.optimizer),
      };
    });
  }

  /**
   * Restores a state made by {@linkcode LearnerCore.getState}: checks all of it first (its
   * method, step, model names, every record against its weight and the optimizer's slots
   * against the variables), so a state that does not fit changes nothing; then writes it.
   */
  async setState(state: LearnerRecords<M, K>): Promise<void> {
    const fn = `${this.#learner}.setState`;
    this.checkIdle(fn);
    const step = checkStateHeader(fn, state, this.#method);
    const entries = this.#entries();
    checkKeys(fn, state.models, entries.map(([name]) => name), "state.models");
    for (const [name, model] of entries) {
      checkModelRecords(fn, `state.models.${name}`, model, state.models[name]);
    }
    checkOptimizerRecords(fn, "state.optimizer", this.variables, state.optimizer);
    await this.run(async () => {
      for (const [name, model] of entries) {
        writeModelWeights(fn, `state.models.${name}`, model, state.models[name]);
      }
      await writeOptimizerState(fn, "state.optimizer", this.optimizer, state.optimizer);
      this.steps = step;
    });
  }

  /** Frees what the learner built; a second call does nothing. */
  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    for (const resource of this.#owned) resource.dispose();
  }

  #entries(): [K, tf.LayersModel][] {
    return Object.entries(this.#models) as [K, tf.LayersModel][];
  }
}
