import { join } from "node:path";
import { readCheckpoint } from "./checkpoint.ts";
import { readRunConfig } from "./run_folder.ts";
import { SETTINGS, type Settings, SettingsError } from "./settings.ts";

/**
 * The settings a `--pretrained` run must share with the run it takes its pretraining from:
 * those that shape the encoder and head (so the weights fit), those that decide which
 * images the pretraining saw (data, size, channels, seed, validation slice, limit), so that
 * `--evaluate-on validation` never scores an image the pretraining trained on, and its views
 * (`--augment`), so that config.json tells how the pretraining was made.
 */
export const PRETRAINED_MATCH: readonly (keyof Settings)[] = [
  "augment",
  "encoder",
  "headLayers",
  "hiddenDim",
  "projectionDim",
  "data",
  "imageSize",
  "channels",
  "seed",
  "validationSize",
  "limitTrain",
];

/** The source run's numbers as results.json records them under `pretrainedFrom`. */
export interface PretrainedFrom {
  /** The source run folder, as `--pretrained` named it. */
  run: string;
  /** The source's results.json: all its training seconds (with its fine-tuning, distillation). */
  trainSeconds: number;
  /** The source's pretraining epochs and steps (results.json's `epochs`, `steps`). */
  epochs: number;
  steps: number;
  /** The source's results.json `imagesPerSecond` (median over all its steps). */
  imagesPerSecond: number;
  /**
   * The source's pretraining stage alone (`stages[0]` of its results.json: name, steps,
   * seconds, epochs, imagesPerSecond); null for a source written before results.json had
   * `stages`.
   */
  stage: Record<string, unknown> | null;
}

/** What {@linkcode readPretrained} returns. */
export interface Pretrained {
  /** The final learner state of the source's pretraining stage (its checkpoint's). */
  state: unknown;
  from: PretrainedFrom;
}

/**
 * Reads the pretraining of a finished SimCLRv2 run for `--pretrained`: its pretraining
 * stage's final state from its checkpoint and its numbers from its results.json. A source that
 * itself took its pretraining from another run passes that run's `pretrainedFrom` on.
 * Changes nothing on disk.
 *
 * @param dir The source run folder.
 * @param settings This run's settings.
 * @throws {SettingsError} When `dir` is not a run folder, not a SimCLRv2 run, differs from
 *   this run in a setting of {@linkcode PRETRAINED_MATCH} (named), has no checkpoint, has not
 *   finished its pretraining stage or has no results.json.
 * @throws {CheckpointError} When its checkpoint is damaged.
 */
export async function readPretrained(dir: string, settings: Settings): Promise<Pretrained> {
  const where = `--pretrained ${dir}`;
  const config = await readRunConfig(dir, "--pretrained");
  const source = config.settings as Record<string, unknown>;
  if (source.method !== "simclrv2") {
    throw new SettingsError(
      `${where} must be a simclrv2 run (whose pretraining has the 3-layer head), got a ` +
        `${String(source.method)} run`,
    );
  }
  for (const key of PRETRAINED_MATCH) {
    const spec = SETTINGS.find((s) => s.key === key)!;
    // A setting newer than the source's config.json had its (fixed) default there.
    const theirs = source[key] === undefined && typeof spec.default !== "function"
      ? spec.default ?? null
      : source[key] ?? null;
    const ours = settings[key] ?? null;
    if (JSON.stringify(theirs) !== JSON.stringify(ours)) {
      throw new SettingsError(
        `${where}: its --${spec.flag} is ${JSON.stringify(theirs)}, this run's is ` +
          `${JSON.stringify(ours)}: the pretrained model must be built as this run's, from the ` +
          `same images`,
      );
    }
  }
  const saved = await readCheckpoint(dir) as
    | { position?: { stage?: number; step?: number; finished?: unknown[] } }
    | null;
  if (saved === null) throw new SettingsError(`${where}: no checkpoint there to take it from`);
  const position = saved.position ?? {};
  const state = position.finished?.[0];
  if ((position.stage ?? 0) < 1 || state === undefined) {
    throw new SettingsError(
      `${where}: its pretraining stage has not finished (checkpoint at step ` +
        `${position.step ?? 0} of it): --resume ${dir} first`,
    );
  }
  let results: Record<string, unknown>;
  try {
    results = JSON.parse(await Deno.readTextFile(join(dir, "results.json")));
  } catch (error) {
    const why = error instanceof Deno.errors.NotFound ? "no results.json" : String(error);
    throw new SettingsError(`${where}: the run has not finished (${why}): --resume ${dir} first`);
  }
  if (results.pretrainedFrom !== undefined && results.pretrainedFrom !== null) {
    return { state, from: results.pretrainedFrom as PretrainedFrom };
  }
  const stages = results.stages as Array<Record<string, unknown>> | undefined;
  return {
    state,
    from: {
      run: dir,
      trainSeconds: results.trainSeconds as number,
      epochs: results.epochs as number,
      steps: results.steps as number,
      imagesPerSecond: results.imagesPerSecond as number,
      stage: stages?.[0] ?? null,
    },
  };
}
