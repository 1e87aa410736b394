/**
 * The runs of `deno task bench:ablations`: which `deno task train` runs make up each table of
 * the papers' ablations (issue 13) and the flags of each, for the full, quick and smoke
 * versions. One SimCLR run with every default (the reference) serves several tables: the full
 * augmentation set, the non-linear 128-wide head, batch 256 at the short length, and the
 * encoder and head of the transformation-prediction table.
 *
 * @module
 */
import type { TrainRun } from "../_train_runs.ts";

/** A benchmark run: one `deno task train` invocation. */
export type AblationRun = TrainRun;

/**
 * The transformations of SimCLR's augmentation study (arXiv:2002.05709, figure 5) in the
 * figure's order. `colour` is the paper's colour distortion: jitter and grayscale ("drop").
 */
export const STUDY = ["crop", "cutout", "colour", "sobel", "noise", "blur", "rotation"] as const;
/** A transformation of the augmentation table. */
export type StudyTransform = typeof STUDY[number];

/** The `--augment` entries of each study transformation. */
const AUGMENT: Record<StudyTransform | "flip", string[]> = {
  crop: ["crop"],
  cutout: ["cutout"],
  colour: ["color", "grayscale"],
  sobel: ["sobel"],
  noise: ["noise"],
  blur: ["blur"],
  rotation: ["rotation"],
  flip: ["flip"],
};

/** A row of the augmentation table: a set of transformations and its run. */
export interface AugmentationRow {
  /** The transformations (one: a single; two: a pair; the default views: crop, colour, flip). */
  transforms: (StudyTransform | "flip")[];
  run: string;
  /** The recipe's own views (`--augment default`), not a list. */
  isDefault?: boolean;
}

/** Budgets and sizes of one version of the benchmark. */
export interface AblationBudget {
  /** E: pretraining epochs of every single-length run (augmentations, heads, short batch). */
  epochs: number;
  /** The batch table's longer training (3E); null: one length only. */
  longEpochs: number | null;
  /** Batch sizes of the batch table. */
  batchSizes: number[];
  /** Batch size of every other run (the train app's default, 256; smaller for smoke). */
  batch: number;
  /** Single transformations of the augmentation table. */
  singles: readonly StudyTransform[];
  /** Every pair of the singles too (else only crop + colour). */
  pairs: boolean;
  /** Whether to add crop + flip (flip matters only with a crop). */
  flip: boolean;
  /** Projection widths beside the reference's 128 (non-linear head). */
  widths: number[];
  /** Head depths beside the reference's 2 (non-linear). */
  heads: (0 | 1)[];
  /** SimCLRv2: pretraining epochs, fine-tuning epochs over 1% of the labels, distillation. */
  simclrv2: { pretrainEpochs: number; finetuneEpochs: number; distillEpochs: number };
  /** Epochs of the final linear probes (train's `--probe-epochs`). */
  probeEpochs: number;
  /** Flags every run gets (the validation slice's size; the smoke version's tiny data). */
  common: string[];
}

/**
 * The validation slice the ablations score on: 5,000 held-out training images, a standard error
 * of about 0.6 points per accuracy near 80% (train's default 1,000 gives about 1.3, more than
 * most of the differences these tables look for).
 */
const VALIDATION = ["--validation-size", "5000"];

/**
 * The full version, about 4 hours on a 2-core CPU with blas (about 3.5 minutes per epoch of
 * SimCLR at batch 256 and 1.5 per evaluation): E = 0.5 epochs for every single-length run,
 * 1.5 for the batch table's longer one; SimCLRv2 pretrained for 1 epoch, fine-tuned 60 epochs
 * on 1% of the labels (the paper's), distilled for 1.
 */
export const FULL: AblationBudget = {
  epochs: 0.5,
  longEpochs: 1.5,
  batchSizes: [32, 64, 128, 256],
  batch: 256,
  singles: STUDY,
  pairs: true,
  flip: true,
  widths: [32, 64],
  heads: [0, 1],
  simclrv2: { pretrainEpochs: 1, finetuneEpochs: 60, distillEpochs: 1 },
  probeEpochs: 30,
  common: VALIDATION,
};

/**
 * The quick version (about 25 minutes): crop, colour, crop + colour and the default views;
 * the three heads; SimCLR and BYOL at 64 and 256 for one length; SimCLRv2 short.
 */
export const QUICK: AblationBudget = {
  epochs: 0.1,
  longEpochs: null,
  batchSizes: [64, 256],
  batch: 256,
  singles: ["crop", "colour"],
  pairs: false,
  flip: false,
  widths: [],
  heads: [0, 1],
  simclrv2: { pretrainEpochs: 0.2, finetuneEpochs: 10, distillEpochs: 0.1 },
  probeEpochs: 10,
  common: VALIDATION,
};

/** A seconds-long version for tests: `--smoke` runs (tiny model and data), few rows. */
export const SMOKE: AblationBudget = {
  epochs: 1,
  longEpochs: null,
  batchSizes: [8, 16],
  batch: 16,
  singles: ["crop", "colour"],
  pairs: false,
  flip: false,
  widths: [],
  heads: [0],
  simclrv2: { pretrainEpochs: 1, finetuneEpochs: 2, distillEpochs: 1 },
  probeEpochs: 2,
  common: ["--smoke"],
};

/** The benchmark's runs and which of them each table reads. */
export interface AblationPlan {
  runs: AblationRun[];
  /** The SimCLR run with every default (and `--evaluate-projection`). */
  reference: string;
  augmentations: AugmentationRow[];
  /** Projection heads: depth 0, 1, 2 (the reference), each evaluated on h and z. */
  heads: { layers: number; run: string }[];
  /** Output widths of the non-linear head (the reference's 128 among them). */
  widths: { dim: number; run: string }[];
  batch: { method: "simclr" | "byol"; batchSize: number; epochs: number; run: string }[];
  simclrv2: { fromLayer1: string; fromH: string };
}

/** The name of the run of a set of transformations (`aug-crop-colour`). */
function augmentationRun(transforms: readonly string[]): string {
  return `aug-${transforms.join("-")}`;
}

/**
 * The benchmark's runs, in an order where each run's `after` comes first, and the tables'
 * rows.
 */
export function ablationPlan(budget: AblationBudget): AblationPlan {
  const E = String(budget.epochs);
  const probe = ["--probe-epochs", String(budget.probeEpochs)];
  const none = ["--baselines", "none"];
  const simclr = (batch = budget.batch, epochs = E) => [
    "--method",
    "simclr",
    "--epochs",
    epochs,
    "--batch-size",
    String(batch),
    ...probe,
  ];
  const reference = "simclr";
  const runs: AblationRun[] = [{
    name: reference,
    // The reference also evaluates raw pixels and the untrained encoder: the scale of the rest.
    flags: [...simclr(), "--evaluate-projection", "--baselines", "pixels,random-encoder"],
  }];

  const augmentations: AugmentationRow[] = [];
  const sets: (StudyTransform | "flip")[][] = budget.singles.map((t) => [t]);
  for (let i = 0; i < budget.singles.length; i++) {
    for (let j = i + 1; j < budget.singles.length; j++) {
      const pair = [budget.singles[i], budget.singles[j]];
      const cropColour = pair.includes("crop") && pair.includes("colour");
      if (budget.pairs || cropColour) sets.push(pair);
    }
  }
  if (budget.flip) sets.push(["crop", "flip"]);
  for (const transforms of sets) {
    const run = augmentationRun(transforms);
    const list = transforms.flatMap((t) => AUGMENT[t]);
    runs.push({ name: run, flags: [...simclr(), "--augment", list.join(","), ...none] });
    augmentations.push({ transforms, run });
  }
  augmentations.push({ transforms: ["crop", "colour", "flip"], run: reference, isDefault: true });

  const heads = [...budget.heads, 2].map((layers) => ({
    layers,
    run: layers === 2 ? reference : `head-${layers}`,
  }));
  for (const { layers, run } of heads) {
    if (run === reference) continue;
    runs.push({
      name: run,
      flags: [...simclr(), "--head-layers", String(layers), "--evaluate-projection", ...none],
    });
  }
  const widths = [...budget.widths, 128].map((dim) => ({
    dim,
    run: dim === 128 ? reference : `width-${dim}`,
  }));
  for (const { dim, run } of widths) {
    if (run === reference) continue;
    runs.push({
      name: run,
      flags: [...simclr(), "--projection-dim", String(dim), "--evaluate-projection", ...none],
    });
  }

  const batch: AblationPlan["batch"] = [];
  const lengths = budget.longEpochs === null ? [budget.epochs] : [budget.epochs, budget.longEpochs];
  for (const method of ["simclr", "byol"] as const) {
    for (const epochs of lengths) {
      for (const batchSize of budget.batchSizes) {
        const long = epochs !== budget.epochs;
        const shared = method === "simclr" && !long && batchSize === budget.batch;
        const run = shared ? reference : `${method}-b${batchSize}${long ? "-long" : ""}`;
        batch.push({ method, batchSize, epochs, run });
        if (shared) continue;
        const flags = method === "simclr" ? simclr(batchSize, String(epochs)) : [
          "--method",
          "byol",
          "--epochs",
          String(epochs),
          "--batch-size",
          String(batchSize),
          ...probe,
        ];
        runs.push({ name: run, flags: [...flags, ...none] });
      }
    }
  }

  const v2 = budget.simclrv2;
  const fromLayer1 = "simclrv2-1pct-layer1";
  const fromH = "simclrv2-1pct-h";
  const finetune = ["--labels", "1%", "--finetune-epochs", String(v2.finetuneEpochs)];
  runs.push({
    name: fromLayer1,
    flags: [
      "--method",
      "simclrv2",
      "--epochs",
      String(v2.pretrainEpochs),
      "--batch-size",
      String(budget.batch),
      ...finetune,
      "--from-layer",
      "1",
      "--distill-epochs",
      String(v2.distillEpochs),
      ...probe,
      ...none,
    ],
  });
  runs.push({
    name: fromH,
    // Its distillation is not a row of the table: one step, because the recipe always distils.
    flags: [
      "--method",
      "simclrv2",
      "--batch-size",
      String(budget.batch),
      ...finetune,
      "--from-layer",
      "0",
      "--distill-epochs",
      "0.001",
      ...probe,
      ...none,
    ],
    after: fromLayer1,
  });
  return {
    runs: runs.map((run) => ({ ...run, flags: [...run.flags, ...budget.common] })),
    reference,
    augmentations,
    heads,
    widths,
    batch,
    simclrv2: { fromLayer1, fromH },
  };
}
