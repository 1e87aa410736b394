/**
 * The papers' claims and issue 13's targets, checked against the quality table: one line
 * each, saying whether it holds at this budget and with which numbers.
 *
 * @module
 */
import type { LabelShare } from "./plan.ts";
import { type QualityRow, SIMCLRV2_PRETRAINING } from "./table.ts";

/** One sentence per claim: "holds" or "does not hold", with the numbers; absent rows skip it. */
export function claims(rows: QualityRow[], encoder: string): string[] {
  const find = (method: string, share?: LabelShare) =>
    rows.find((r) => r.method === method && (share === undefined || r.share === share));
  const pct = (x: number | null | undefined) =>
    x === null || x === undefined ? "—" : `${(100 * x).toFixed(2)}%`;
  const verdict = (ok: boolean) => (ok ? "holds" : "does not hold");
  const lines: string[] = [];
  const pixels = find("raw pixels");
  const supervised = find("supervised", "all");
  for (const method of ["SimCLR", "BYOL"]) {
    const r = find(method);
    if (r === undefined) continue;
    if (pixels !== undefined) {
      const ok = r.knn! > pixels.knn! && r.linearProbe! > pixels.linearProbe!;
      lines.push(
        `${method} beats raw pixels on both measures (milestone): ${verdict(ok)} — kNN ` +
          `${pct(r.knn)} vs ${pct(pixels.knn)}, probe ${pct(r.linearProbe)} vs ` +
          `${pct(pixels.linearProbe)}, after ${r.minutes.toFixed(1)} training minutes.`,
      );
    }
    lines.push(
      `${method} linear probe >= 90% and kNN >= 88% (target): ` +
        `${verdict(r.linearProbe! >= 0.9 && r.knn! >= 0.88)} — ${pct(r.linearProbe)}, ` +
        `${pct(r.knn)}.`,
    );
    if (supervised?.classifier !== null && supervised !== undefined) {
      const gap = supervised.classifier! - r.linearProbe!;
      const side = gap > 0 ? "below" : "above";
      lines.push(
        `${method} probe within 3 points of the supervised encoder (target): ` +
          `${verdict(gap <= 0.03)} — ${pct(r.linearProbe)} vs ${pct(supervised.classifier)} ` +
          `(${Math.abs(100 * gap).toFixed(2)} points ${side} it).`,
      );
    }
  }
  // Not a target of the (which names SimCLR and BYOL), but the same pretraining with
  // SimCLRv2's deeper head: whether it clears the milestone is worth a line.
  const v2 = find(SIMCLRV2_PRETRAINING);
  if (v2 !== undefined && pixels !== undefined) {
    const ok = v2.knn! > pixels.knn! && v2.linearProbe! > pixels.linearProbe!;
    lines.push(
      `SimCLRv2's pretraining (SimCLR with the 3-layer head) beats raw pixels on both measures: ` +
        `${verdict(ok)} — kNN ${pct(v2.knn)} vs ${pct(pixels.knn)}, probe ` +
        `${pct(v2.linearProbe)} vs ${pct(pixels.linearProbe)}, after ${
          v2.minutes.toFixed(1)
        } training minutes.`,
    );
  }
  for (const labels of ["1%", "10%"] as const) {
    const fineTuned = find("SimCLRv2 fine-tuned from head layer 1", labels);
    const alone = find("supervised", labels);
    if (fineTuned !== undefined && alone !== undefined) {
      lines.push(
        `SimCLRv2 fine-tuned on ${labels} beats the same encoder supervised on those labels: ` +
          `${verdict(fineTuned.classifier! > alone.classifier!)} — ` +
          `${pct(fineTuned.classifier)} vs ${pct(alone.classifier)}.`,
      );
    }
    const self = find("SimCLRv2 self-distilled", labels);
    if (fineTuned !== undefined && self !== undefined) {
      lines.push(
        `Self-distillation adds accuracy at ${labels}: ` +
          `${verdict(self.classifier! > fineTuned.classifier!)} — ${pct(self.classifier)} vs ` +
          `the fine-tuned teacher's ${pct(fineTuned.classifier)}.`,
      );
    }
    const student = rows.find((r) =>
      r.method.startsWith("SimCLRv2 distilled into") && r.share === labels
    );
    const studentAlone = rows.find((r) =>
      r.method.startsWith("supervised ") && r.method.endsWith("(labels alone)") &&
      r.share === labels
    );
    if (student !== undefined && studentAlone !== undefined) {
      const gain = student.classifier! - studentAlone.classifier!;
      lines.push(
        `The distilled student beats the same student on the ${labels} labels alone` +
          `${labels === "1%" ? " by >= 5 points (target)" : ""}: ` +
          `${verdict(labels === "1%" ? gain >= 0.05 : gain > 0)} — ${pct(student.classifier)} ` +
          `vs ${pct(studentAlone.classifier)} (${(100 * gain).toFixed(2)} points).`,
      );
    }
    if (labels === "1%" && fineTuned !== undefined) {
      lines.push(
        `SimCLRv2 fine-tuned on 1% >= 85% (target): ` +
          `${verdict(fineTuned.classifier! >= 0.85)} — ${pct(fineTuned.classifier)}.`,
      );
    }
  }
  const random = rows.find((r) => r.method.startsWith("random encoder"));
  if (random !== undefined) {
    lines.push(
      `For scale: the untrained ${encoder} gives kNN ${pct(random.knn)}, probe ` +
        `${pct(random.linearProbe)}.`,
    );
  }
  return lines;
}
