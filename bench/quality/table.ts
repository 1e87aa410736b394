/**
 * The quality benchmark's table: one row per representation or classifier, from the
 * results.json of each `deno task train` run of {@linkcode qualityRuns}.
 *
 * @module
 */
import type { LabelShare, QualityRun } from "./plan.ts";

/** A stage of a run as results.json records it. */
export interface StageResult {
  name: string;
  steps: number;
  seconds: number | null;
  epochs: number;
  imagesPerSecond: number | null;
}

/** The parts of a run's results.json the table reads. */
export interface RunResults {
  method: string;
  knnAccuracy: number;
  linearProbeAccuracy: number;
  backend: string;
  evaluatedOn?: string;
  labelledImages?: number | null;
  baselines?: {
    rawPixels?: { knnAccuracy: number; linearProbeAccuracy: number };
    randomEncoder?: { knnAccuracy: number; linearProbeAccuracy: number };
  };
  supervised?: { accuracy: number; labelledImages: number };
  fineTuned?: { accuracy: number; labelledImages: number };
  distilled?: { accuracy: number; student: string };
  stages: StageResult[];
  pretrainedFrom?: { run: string; stage: StageResult | null };
}

/** One line of the table. */
export interface QualityRow {
  method: string;
  /** Labels the method trained on ("none": self-supervised; the probe uses all). */
  labels: string;
  /** The share of the labels those are, or null. */
  share: LabelShare | null;
  knn: number | null;
  linearProbe: number | null;
  /** Accuracy of the run's own classifier (supervised, fine-tuned or distilled). */
  classifier: number | null;
  /** Training minutes behind this row, every stage it needed (pretraining included). */
  minutes: number;
  /** Passes over the data, per stage: "1.5" or "1.5 + 60 ft + 2 kd". */
  epochs: string;
  /** Median images/s of the row's first stage (its pretraining or supervised training). */
  imagesPerSecond: number | null;
  backend: string;
  seed: number;
  /** The run folder's name. */
  run: string;
}

const ALL = "all";

/** The method name of SimCLRv2's pretraining row. */
export const SIMCLRV2_PRETRAINING = "SimCLRv2 pretraining (3-layer head)";

/**
 * The rows of one run's results (the first run also gives the two baseline rows). `encoder` is
 * the run's encoder (config.json's), `benchEncoder` the benchmark's: a run with another
 * encoder (the small student) says so.
 */
export function rowsOf(
  run: QualityRun,
  r: RunResults,
  seed: number,
  encoder: string,
  benchEncoder: string,
): QualityRow[] {
  const share = run.labels ?? null;
  const base = { backend: r.backend, seed, run: run.name, share };
  const minutesOf = (stages: (StageResult | null | undefined)[]) =>
    stages.reduce((sum, s) => sum + (s?.seconds ?? 0), 0) / 60;
  const labelsOf = (n: number | null | undefined) =>
    n === null || n === undefined
      ? ALL
      : `${share === null ? "" : `${share}: `}${n.toLocaleString("en-US")} images`;
  const rows: QualityRow[] = [];
  const baseline = (method: string, b?: { knnAccuracy: number; linearProbeAccuracy: number }) => {
    if (b === undefined) return;
    rows.push({
      ...base,
      method,
      labels: "none",
      share: null,
      knn: b.knnAccuracy,
      linearProbe: b.linearProbeAccuracy,
      classifier: null,
      minutes: 0,
      epochs: "0",
      imagesPerSecond: null,
    });
  };
  baseline("raw pixels", r.baselines?.rawPixels);
  baseline(`random encoder (${encoder}, untrained)`, r.baselines?.randomEncoder);
  const [first] = r.stages;
  const epochs = (x: number) => (x >= 10 ? x.toFixed(0) : x.toFixed(2));
  if (r.method === "supervised") {
    rows.push({
      ...base,
      method: encoder === benchEncoder ? "supervised" : `supervised ${encoder} (labels alone)`,
      labels: labelsOf(r.supervised?.labelledImages),
      knn: r.knnAccuracy,
      linearProbe: r.linearProbeAccuracy,
      classifier: r.supervised?.accuracy ?? null,
      minutes: minutesOf([first]),
      epochs: epochs(first.epochs),
      imagesPerSecond: first.imagesPerSecond,
    });
  } else if (r.method === "simclr" || r.method === "byol") {
    rows.push({
      ...base,
      method: r.method === "simclr" ? "SimCLR" : "BYOL",
      labels: "none",
      share: null,
      knn: r.knnAccuracy,
      linearProbe: r.linearProbeAccuracy,
      classifier: null,
      minutes: minutesOf([first]),
      epochs: epochs(first.epochs),
      imagesPerSecond: first.imagesPerSecond,
    });
  } else if (r.method === "simclrv2") {
    // A --pretrained run's own first stage ran no steps: its pretraining is the source's.
    const pretrain = r.pretrainedFrom?.stage ?? first;
    const [, finetune, distill] = r.stages;
    const labels = labelsOf(r.fineTuned?.labelledImages);
    if (r.pretrainedFrom === undefined) {
      rows.push({
        ...base,
        method: SIMCLRV2_PRETRAINING,
        labels: "none",
        share: null,
        knn: r.knnAccuracy,
        linearProbe: r.linearProbeAccuracy,
        classifier: null,
        minutes: minutesOf([pretrain]),
        epochs: epochs(pretrain.epochs),
        imagesPerSecond: pretrain.imagesPerSecond,
      });
    }
    const student = r.distilled?.student;
    const self = student === encoder;
    // Fine-tuning is the same for the self and the small-student runs of one label share:
    // the self-distillation run reports it.
    if (self) {
      rows.push({
        ...base,
        method: "SimCLRv2 fine-tuned from head layer 1",
        labels,
        knn: null,
        linearProbe: null,
        classifier: r.fineTuned?.accuracy ?? null,
        minutes: minutesOf([pretrain, finetune]),
        epochs: `${epochs(pretrain.epochs)} + ${epochs(finetune.epochs)} ft`,
        imagesPerSecond: pretrain.imagesPerSecond,
      });
    }
    rows.push({
      ...base,
      method: self ? "SimCLRv2 self-distilled" : `SimCLRv2 distilled into ${student}`,
      labels,
      knn: null,
      linearProbe: null,
      classifier: r.distilled?.accuracy ?? null,
      minutes: minutesOf([pretrain, finetune, distill]),
      epochs: `${epochs(pretrain.epochs)} + ${epochs(finetune.epochs)} ft + ${
        epochs(distill.epochs)
      } kd`,
      imagesPerSecond: pretrain.imagesPerSecond,
    });
  }
  return rows;
}

/** The table as markdown, percentages with two decimals. */
export function markdownTable(rows: QualityRow[]): string {
  const pct = (x: number | null) => (x === null ? "—" : `${(100 * x).toFixed(2)}%`);
  const header = [
    "method",
    "labels used",
    "kNN",
    "linear probe",
    "classifier (own / fine-tuned / distilled)",
    "training min",
    "epochs",
    "images/s",
    "backend",
    "seed",
  ];
  const lines = [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) =>
      `| ${
        [
          r.method,
          r.labels,
          pct(r.knn),
          pct(r.linearProbe),
          pct(r.classifier),
          r.minutes.toFixed(1),
          r.epochs,
          r.imagesPerSecond === null ? "—" : r.imagesPerSecond.toFixed(0),
          r.backend,
          String(r.seed),
        ].join(" | ")
      } |`
    ),
  ];
  return lines.join("\n") + "\n";
}
