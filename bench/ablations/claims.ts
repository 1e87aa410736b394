/**
 * The papers' claims checked against the ablations' results: one line each, "holds" or "does
 * not hold" with the numbers (linear probe unless said), as bench/quality/claims.ts does. A
 * claim whose runs have not finished is left out.
 *
 * @module
 */
import type { AblationPlan } from "./plan.ts";
import type { PredictionRow } from "./transformation_prediction.ts";
import { epochsText, pct, type Results, type RunResults, transformsLabel } from "./tables.ts";

/** Output widths "matter little" when their probes on h lie within this many points. */
export const WIDTH_SPREAD = 0.02;
/** h predicts a transformation "much better" than z by at least this many points. */
export const MUCH_BETTER = 0.1;

/** One claim's verdict. */
export interface Claim {
  /** Which table it belongs to. */
  table: "augmentations" | "heads" | "transformations" | "batch" | "simclrv2";
  holds: boolean;
  /** The sentence: "<claim>: holds — <numbers>." */
  text: string;
}

function claim(table: Claim["table"], what: string, holds: boolean, numbers: string): Claim {
  return { table, holds, text: `${what}: ${holds ? "holds" : "does not hold"} — ${numbers}.` };
}

const points = (x: number) => `${(100 * x).toFixed(2)} points`;
// Differences of accuracies compared as printed, in hundredths of a point: 0.85 - 0.83 is
// 2.00 points, not 2.0000000000000018.
const hundredths = (x: number) => Math.round(x * 1e4);

/** The augmentation table's claims (SimCLR section 3, figure 5). */
export function augmentationClaims(plan: AblationPlan, results: Results): Claim[] {
  const out: Claim[] = [];
  const probe = (run: string) => results[run]?.linearProbeAccuracy;
  const full = plan.augmentations.find((r) => r.isDefault);
  const singles = plan.augmentations.filter((r) =>
    r.transforms.length === 1 && probe(r.run) !== undefined
  );
  if (full !== undefined && probe(full.run) !== undefined && singles.length > 0) {
    const best = singles.reduce((a, b) => (probe(b.run)! > probe(a.run)! ? b : a));
    out.push(claim(
      "augmentations",
      "The composition (the default views) beats every single transformation",
      singles.every((r) => probe(full.run)! > probe(r.run)!),
      `${pct(probe(full.run))} vs the best single, ${transformsLabel(best)}, ` +
        `${pct(probe(best.run))}`,
    ));
  }
  const find = (...t: string[]) =>
    plan.augmentations.find((r) =>
      !r.isDefault && r.transforms.length === t.length &&
      t.every((x) => r.transforms.includes(x as never))
    );
  const [crop, colour, both] = [find("crop"), find("colour"), find("crop", "colour")];
  if ([crop, colour, both].every((r) => r !== undefined && probe(r.run) !== undefined)) {
    const [a, b, c] = [probe(crop!.run)!, probe(colour!.run)!, probe(both!.run)!];
    out.push(claim(
      "augmentations",
      "Crop + colour beats crop alone and colour alone",
      c > a && c > b,
      `${pct(c)} vs ${pct(a)} and ${pct(b)}`,
    ));
  }
  const pairs = plan.augmentations.filter((r) =>
    !r.isDefault && r.transforms.length === 2 && !r.transforms.includes("flip") &&
    probe(r.run) !== undefined
  );
  if (pairs.length > 1 && both !== undefined && probe(both.run) !== undefined) {
    const best = pairs.reduce((a, b) => (probe(b.run)! > probe(a.run)! ? b : a));
    out.push(claim(
      "augmentations",
      "Crop + colour is the best pair",
      best.run === both.run,
      `${pct(probe(both.run))}; the best pair is ${transformsLabel(best)}, ` +
        `${pct(probe(best.run))}`,
    ));
  }
  const cropFlip = find("crop", "flip");
  if (cropFlip !== undefined && crop !== undefined) {
    const [a, b] = [probe(cropFlip.run), probe(crop.run)];
    if (a !== undefined && b !== undefined) {
      out.push(claim("augmentations", "Flip adds to crop", a > b, `${pct(a)} vs ${pct(b)}`));
    }
  }
  return out;
}

/** The projection-head claims (SimCLR section 4.2, figure 8). */
export function headClaims(plan: AblationPlan, results: Results): Claim[] {
  const out: Claim[] = [];
  const at = (layers: number) => results[plan.heads.find((h) => h.layers === layers)?.run ?? ""];
  const [none, linear, nonLinear] = [at(0), at(1), at(2)];
  if (nonLinear !== undefined && (linear !== undefined || none !== undefined)) {
    const others = [linear, none].filter((r): r is RunResults => r !== undefined);
    out.push(claim(
      "heads",
      "A non-linear head gives a better h than a linear one and than none",
      others.every((r) => nonLinear.linearProbeAccuracy > r.linearProbeAccuracy),
      `non-linear ${pct(nonLinear.linearProbeAccuracy)}, linear ` +
        `${pct(linear?.linearProbeAccuracy)}, none ${pct(none?.linearProbeAccuracy)}`,
    ));
  }
  if (linear !== undefined && none !== undefined) {
    out.push(claim(
      "heads",
      "A linear head gives a better h than none",
      linear.linearProbeAccuracy > none.linearProbeAccuracy,
      `${pct(linear.linearProbeAccuracy)} vs ${pct(none.linearProbeAccuracy)}`,
    ));
  }
  const withZ = [[linear, "linear"], [nonLinear, "non-linear"]] as const;
  const zs = withZ.filter(([r]) => r?.projection !== undefined);
  if (zs.length > 0) {
    out.push(claim(
      "heads",
      "The representation h beats the projection z (linear probe) with a head",
      zs.every(([r]) => r!.linearProbeAccuracy > r!.projection!.linearProbeAccuracy),
      zs.map(([r, name]) =>
        `${name}: h ${pct(r!.linearProbeAccuracy)} vs z ${pct(r!.projection!.linearProbeAccuracy)}`
      ).join("; "),
    ));
  }
  const widths = plan.widths.filter((w) => results[w.run] !== undefined);
  if (widths.length > 1) {
    const probes = widths.map((w) => results[w.run]!.linearProbeAccuracy);
    const spread = Math.max(...probes) - Math.min(...probes);
    out.push(claim(
      "heads",
      `The head's output width matters little for h (probes within ${points(WIDTH_SPREAD)})`,
      hundredths(spread) <= hundredths(WIDTH_SPREAD),
      `${widths.map((w, i) => `${w.dim}: ${pct(probes[i])}`).join(", ")} (spread ` +
        `${points(spread)})`,
    ));
  }
  return out;
}

/** The transformation-prediction claims (SimCLR section 4.2, table 3). */
export function predictionClaims(rows: PredictionRow[]): Claim[] {
  return rows.map((r) =>
    claim(
      "transformations",
      `A linear probe on h predicts ${r.task} much better than on z (by >= ` +
        `${points(MUCH_BETTER)})`,
      hundredths(r.h - r.z) >= hundredths(MUCH_BETTER),
      `h ${pct(r.h)}, z ${pct(r.z)}, chance ${pct(r.chance)}`,
    )
  );
}

/** The batch-size claims (SimCLR figure 9; BYOL section 5). */
export function batchClaims(plan: AblationPlan, results: Results): Claim[] {
  const out: Claim[] = [];
  const lengths = [...new Set(plan.batch.map((b) => b.epochs))].sort((a, b) => a - b);
  const sizes = [...new Set(plan.batch.map((b) => b.batchSize))].sort((a, b) => a - b);
  const [small, large] = [sizes[0], sizes.at(-1)!];
  const probe = (method: string, size: number, epochs: number) => {
    const b = plan.batch.find((x) =>
      x.method === method && x.batchSize === size && x.epochs === epochs
    );
    return b === undefined ? undefined : results[b.run]?.linearProbeAccuracy;
  };
  const drop = (method: string, epochs: number) => {
    const [a, b] = [probe(method, large, epochs), probe(method, small, epochs)];
    return a === undefined || b === undefined ? undefined : a - b;
  };
  for (const epochs of lengths) {
    const [simclr, byol] = [drop("simclr", epochs), drop("byol", epochs)];
    if (simclr === undefined || byol === undefined) continue;
    out.push(claim(
      "batch",
      `BYOL loses less than SimCLR from batch ${large} to ${small} (${epochsText(epochs)})`,
      byol < simclr,
      `BYOL ${pct(probe("byol", large, epochs))} -> ${pct(probe("byol", small, epochs))} ` +
        `(${points(byol)} lost), SimCLR ${pct(probe("simclr", large, epochs))} -> ` +
        `${pct(probe("simclr", small, epochs))} (${points(simclr)} lost)`,
    ));
  }
  const spread = (epochs: number) => {
    const probes = sizes.map((s) => probe("simclr", s, epochs));
    if (probes.some((p) => p === undefined)) return undefined;
    return Math.max(...probes as number[]) - Math.min(...probes as number[]);
  };
  if (lengths.length > 1) {
    const [short, long] = [lengths[0], lengths.at(-1)!];
    const [a, b] = [spread(short), spread(long)];
    if (a !== undefined && b !== undefined) {
      out.push(claim(
        "batch",
        "SimCLR's spread between batch sizes shrinks with longer training",
        b < a,
        `${points(a)} at ${epochsText(short)}, ${points(b)} at ${epochsText(long)}`,
      ));
    }
  }
  const first = lengths[0];
  const [a, b] = [probe("simclr", large, first), probe("simclr", small, first)];
  if (a !== undefined && b !== undefined) {
    out.push(claim(
      "batch",
      `SimCLR at batch ${large} beats batch ${small} at the same length (${epochsText(first)})`,
      a > b,
      `${pct(a)} vs ${pct(b)}`,
    ));
  }
  return out;
}

/** The SimCLRv2 claims (SimCLRv2 sections 2 and 4: figure 6 and table 3's distillation). */
export function simclrv2Claims(plan: AblationPlan, results: Results): Claim[] {
  const out: Claim[] = [];
  const layer1 = results[plan.simclrv2.fromLayer1];
  const fromH = results[plan.simclrv2.fromH];
  if (layer1?.fineTuned !== undefined && fromH?.fineTuned !== undefined) {
    out.push(claim(
      "simclrv2",
      "Fine-tuning from head layer 1 beats fine-tuning from h at 1% of the labels",
      layer1.fineTuned.accuracy > fromH.fineTuned.accuracy,
      `${pct(layer1.fineTuned.accuracy)} vs ${pct(fromH.fineTuned.accuracy)}`,
    ));
  }
  if (layer1?.fineTuned !== undefined && layer1.distilled !== undefined) {
    out.push(claim(
      "simclrv2",
      "Self-distillation adds accuracy to the fine-tuned teacher at 1%",
      layer1.distilled.accuracy > layer1.fineTuned.accuracy,
      `${pct(layer1.distilled.accuracy)} vs the teacher's ${pct(layer1.fineTuned.accuracy)}`,
    ));
  }
  return out;
}
