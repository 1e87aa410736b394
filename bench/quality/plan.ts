/**
 * The runs of `deno task bench:quality`: which `deno task train` runs make up the quality
 * benchmark (issue 13) and the flags of each, for the full and the quick version.
 *
 * @module
 */
import type { TrainRun } from "../_train_runs.ts";

/** A benchmark run: one `deno task train` invocation. */
export interface QualityRun extends TrainRun {
  /** Share of the labels the run trains on (supervised, fine-tuning); absent: none. */
  labels?: LabelShare;
}

/** A share of the training labels, as `--labels` takes it. */
export type LabelShare = "1%" | "10%" | "all";

/** Budgets of one benchmark version. */
export interface QualityBudget {
  /**
   * Length of SimCLR's, BYOL's, SimCLRv2's pretraining and the all-labels supervised run:
   * `--minutes M` or `--epochs E`.
   */
  pretrain: ["--minutes" | "--epochs", string];
  /** Fine-tuning epochs over the 1% / 10% labelled images (teachers and supervised subsets). */
  labelledEpochs: { "1%": number; "10%": number };
  /** Distillation epochs over the unlabelled training images. */
  distillEpochs: number;
  /** Epochs of the final linear probes. */
  probeEpochs: number;
  /** Flags every run gets (the smoke version's tiny data and batch). */
  common: string[];
  /** Whether the small student is also distilled and trained alone at 10% of the labels. */
  studentAtTenPercent: boolean;
}

/**
 * The full version: pretraining budgets within the "at most 1 hour per method" (30
 * minutes, its milestone), the SimCLRv2 paper's fine-tuning lengths (60 epochs at 1%, 30 at
 * 10%), distillation over 2 epochs of the unlabelled images.
 */
export const FULL: QualityBudget = {
  pretrain: ["--minutes", "30"],
  labelledEpochs: { "1%": 60, "10%": 30 },
  distillEpochs: 2,
  probeEpochs: 30,
  common: [],
  studentAtTenPercent: true,
};

/**
 * The quick version (about 20 minutes on a 2-core CPU with blas): the same runs, shorter, but
 * for the small student at 10% of the labels.
 */
export const QUICK: QualityBudget = {
  pretrain: ["--minutes", "1.5"],
  labelledEpochs: { "1%": 10, "10%": 1 },
  distillEpochs: 0.1,
  probeEpochs: 10,
  common: [],
  studentAtTenPercent: false,
};

/** A seconds-long version for tests: `--smoke` runs (tiny model and data), batch 8. */
export const SMOKE: QualityBudget = {
  pretrain: ["--epochs", "1"],
  labelledEpochs: { "1%": 2, "10%": 2 },
  distillEpochs: 1,
  probeEpochs: 2,
  common: ["--smoke", "--batch-size", "8"],
  studentAtTenPercent: true,
};

/** The student of the SimCLRv2 rows that distil into a smaller encoder. */
export const SMALL_STUDENT = "resnet18x0.125";

/**
 * The benchmark's runs, in an order where each run's `after` comes first: the supervised
 * baselines (all, 10%, 1% of the labels; the first also evaluates raw pixels and the random
 * encoder), SimCLR, BYOL, SimCLRv2 pretrained once and fine-tuned on 1% and 10% with
 * self-distillation and distillation into {@linkcode SMALL_STUDENT}, and that student trained
 * on the labels alone.
 */
export function qualityRuns(budget: QualityBudget): QualityRun[] {
  const minutes = budget.pretrain;
  const probe = ["--probe-epochs", String(budget.probeEpochs)];
  const none = ["--baselines", "none"];
  const labelled = (labels: "1%" | "10%") => [
    "--labels",
    labels,
    "--finetune-epochs",
    String(budget.labelledEpochs[labels]),
  ];
  const supervisedOn = (labels: "1%" | "10%", encoder?: string) => [
    "--method",
    "supervised",
    "--labels",
    labels,
    "--epochs",
    String(budget.labelledEpochs[labels]),
    ...(encoder === undefined ? [] : ["--encoder", encoder]),
    ...probe,
    ...none,
  ];
  const simclrv2 = (labels: "1%" | "10%", student?: string) => [
    "--method",
    "simclrv2",
    ...labelled(labels),
    "--distill-epochs",
    String(budget.distillEpochs),
    ...(student === undefined ? [] : ["--student", student]),
    ...probe,
    ...none,
  ];
  const pretrained = "simclrv2-1pct-self";
  const runs: QualityRun[] = [
    {
      name: "supervised-all",
      flags: [
        "--method",
        "supervised",
        "--labels",
        "all",
        ...minutes,
        ...probe,
        "--baselines",
        "pixels,random-encoder",
      ],
      labels: "all",
    },
    { name: "supervised-10pct", flags: supervisedOn("10%"), labels: "10%" },
    { name: "supervised-1pct", flags: supervisedOn("1%"), labels: "1%" },
    { name: "simclr", flags: ["--method", "simclr", ...minutes, ...probe, ...none] },
    {
      name: "byol",
      flags: ["--method", "byol", ...minutes, ...probe, ...none],
    },
    { name: pretrained, flags: [...simclrv2("1%"), ...minutes], labels: "1%" },
    { name: "simclrv2-10pct-self", flags: simclrv2("10%"), after: pretrained, labels: "10%" },
    {
      name: "simclrv2-1pct-student",
      flags: simclrv2("1%", SMALL_STUDENT),
      after: pretrained,
      labels: "1%",
    },
    {
      name: "simclrv2-10pct-student",
      flags: simclrv2("10%", SMALL_STUDENT),
      after: pretrained,
      labels: "10%",
    },
    { name: "student-1pct", flags: supervisedOn("1%", SMALL_STUDENT), labels: "1%" },
    { name: "student-10pct", flags: supervisedOn("10%", SMALL_STUDENT), labels: "10%" },
  ];
  return runs
    .filter((run) => budget.studentAtTenPercent || !run.name.endsWith("10pct-student"))
    .filter((run) => budget.studentAtTenPercent || run.name !== "student-10pct")
    .map((run) => ({ ...run, flags: [...run.flags, ...budget.common] }));
}
