/**
 * The ablations' tables as markdown, from the results.json of each `deno task train` run of
 * {@linkcode ablationPlan}: augmentations (singles on the diagonal, pairs above it), projection
 * heads (h and z), output widths, batch sizes at two lengths, SimCLRv2's fine-tuning layer and
 * self-distillation. A run that has not finished shows "—".
 *
 * @module
 */
import type { AblationPlan, AugmentationRow, StudyTransform } from "./plan.ts";
import { STUDY } from "./plan.ts";

/** The parts of a run's results.json the tables read. */
export interface RunResults {
  knnAccuracy: number;
  linearProbeAccuracy: number;
  featureDim: number;
  projection?: { knnAccuracy: number; linearProbeAccuracy: number; featureDim: number };
  baselines?: {
    rawPixels?: { knnAccuracy: number; linearProbeAccuracy: number };
    randomEncoder?: { knnAccuracy: number; linearProbeAccuracy: number };
  };
  fineTuned?: { accuracy: number; labelledImages: number };
  distilled?: { accuracy: number; student: string };
  stages: { name: string; seconds: number | null; epochs: number }[];
}

/** Results by run name (finished runs only). */
export type Results = Record<string, RunResults | undefined>;

/** A fraction as a percentage with two decimals, or "—". */
export function pct(x: number | null | undefined): string {
  return x === null || x === undefined ? "—" : `${(100 * x).toFixed(2)}%`;
}

/** A length in epochs: "1 epoch", "0.5 epochs". */
export function epochsText(n: number): string {
  return `${n} epoch${n === 1 ? "" : "s"}`;
}

const NAMES: Record<StudyTransform | "flip", string> = {
  crop: "crop",
  cutout: "cutout",
  colour: "colour",
  sobel: "Sobel",
  noise: "noise",
  blur: "blur",
  rotation: "rotation",
  flip: "flip",
};

/** A row's transformations as words: "crop + colour". */
export function transformsLabel(row: Pick<AugmentationRow, "transforms" | "isDefault">): string {
  const words = row.transforms.map((t) => NAMES[t]).join(" + ");
  return row.isDefault ? `${words} (the default views)` : words;
}

function lines(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `| ${header.map(() => "---").join(" | ")} |`,
    ...rows.map((r) => `| ${r.join(" | ")} |`),
  ].join("\n") + "\n";
}

function probeAndKnn(r: RunResults | undefined): string {
  return r === undefined ? "—" : `${pct(r.linearProbeAccuracy)} (${pct(r.knnAccuracy)})`;
}

/**
 * The augmentation table: a matrix over the single transformations (row = first, column =
 * second; the diagonal a single one, the upper triangle a pair), each cell the linear probe
 * with the kNN in parentheses; then the rows that are not a single or a pair (crop + flip, the
 * default views).
 */
export function augmentationTable(plan: AblationPlan, results: Results): string {
  const singles = STUDY.filter((t) =>
    plan.augmentations.some((r) => r.transforms.length === 1 && r.transforms[0] === t)
  );
  const cell = (a: StudyTransform, b: StudyTransform) => {
    const row = plan.augmentations.find((r) =>
      !r.isDefault && r.transforms.length === (a === b ? 1 : 2) && r.transforms.includes(a) &&
      r.transforms.includes(b)
    );
    return row === undefined ? "" : probeAndKnn(results[row.run]);
  };
  const matrix = lines(
    ["1st \\ 2nd", ...singles.map((t) => NAMES[t])],
    singles.map((a, i) => [
      NAMES[a],
      ...singles.map((b, j) => (j < i ? "" : cell(a, b))),
    ]),
  );
  const others = plan.augmentations.filter((r) =>
    r.isDefault || r.transforms.some((t) => t === "flip") || r.transforms.length > 2
  );
  const extra = lines(
    ["views", "linear probe", "kNN", "run"],
    others.map((r) => [
      transformsLabel(r),
      pct(results[r.run]?.linearProbeAccuracy),
      pct(results[r.run]?.knnAccuracy),
      r.run,
    ]),
  );
  return `${matrix}\n${extra}`;
}

/** The projection-head table: none / linear / non-linear, each evaluated on h and on z. */
export function headTable(plan: AblationPlan, results: Results): string {
  const name = (layers: number) =>
    layers === 0 ? "none (z = h)" : layers === 1 ? "linear" : `non-linear (${layers} layers)`;
  return lines(
    ["projection head", "probe on h", "probe on z", "kNN on h", "kNN on z", "dim h / z", "run"],
    plan.heads.map(({ layers, run }) => {
      const r = results[run];
      return [
        name(layers),
        pct(r?.linearProbeAccuracy),
        pct(r?.projection?.linearProbeAccuracy),
        pct(r?.knnAccuracy),
        pct(r?.projection?.knnAccuracy),
        r === undefined ? "—" : `${r.featureDim} / ${r.projection?.featureDim ?? "—"}`,
        run,
      ];
    }),
  );
}

/** The output-width table of the non-linear head. */
export function widthTable(plan: AblationPlan, results: Results): string {
  return lines(
    ["output width", "probe on h", "probe on z", "kNN on h", "kNN on z", "run"],
    [...plan.widths].sort((a, b) => a.dim - b.dim).map(({ dim, run }) => {
      const r = results[run];
      return [
        String(dim),
        pct(r?.linearProbeAccuracy),
        pct(r?.projection?.linearProbeAccuracy),
        pct(r?.knnAccuracy),
        pct(r?.projection?.knnAccuracy),
        run,
      ];
    }),
  );
}

/** The batch-size table: one column per method and length, probe (kNN). */
export function batchTable(plan: AblationPlan, results: Results): string {
  const columns = [...new Set(plan.batch.map((b) => `${b.method}@${b.epochs}`))];
  const sizes = [...new Set(plan.batch.map((b) => b.batchSize))].sort((a, b) => a - b);
  const title = (column: string) => {
    const [method, epochs] = column.split("@");
    return `${method === "simclr" ? "SimCLR" : "BYOL"}, ${epochsText(Number(epochs))}`;
  };
  return lines(
    ["batch", ...columns.map(title)],
    sizes.map((size) => [
      String(size),
      ...columns.map((column) => {
        const b = plan.batch.find((x) =>
          `${x.method}@${x.epochs}` === column &&
          x.batchSize === size
        );
        return b === undefined ? "" : probeAndKnn(results[b.run]);
      }),
    ]),
  );
}

/** The SimCLRv2 table: fine-tuned from head layer 1 and from h at 1%, and self-distilled. */
export function simclrv2Table(plan: AblationPlan, results: Results): string {
  const layer1 = results[plan.simclrv2.fromLayer1];
  const fromH = results[plan.simclrv2.fromH];
  const labels = (r: RunResults | undefined) =>
    r?.fineTuned === undefined ? "—" : `1%: ${r.fineTuned.labelledImages} images`;
  return lines(
    ["classifier", "labels", "accuracy", "run"],
    [
      [
        "fine-tuned from head layer 1",
        labels(layer1),
        pct(layer1?.fineTuned?.accuracy),
        plan.simclrv2.fromLayer1,
      ],
      [
        "fine-tuned from h (layer 0)",
        labels(fromH),
        pct(fromH?.fineTuned?.accuracy),
        plan.simclrv2.fromH,
      ],
      [
        "self-distilled from the layer-1 teacher",
        labels(layer1),
        pct(layer1?.distilled?.accuracy),
        plan.simclrv2.fromLayer1,
      ],
    ],
  );
}
