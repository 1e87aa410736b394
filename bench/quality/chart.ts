/**
 * The quality benchmark's chart: accuracy against training minutes. Left, every row of the
 * table at the minutes it cost (the linear probe of a representation, or the accuracy of a
 * classifier); right, the periodic validation kNN of each pretraining run as it trained.
 *
 * @module
 */
import type { TopLevelSpec } from "vega-lite";
import { vegaLiteSvg } from "../../train/_vega_svg.ts";
import type { QualityRow } from "./table.ts";

/** A point of a run's validation-kNN curve. */
export interface CurvePoint {
  method: string;
  minutes: number;
  validationKnn: number;
}

/**
 * The validation-kNN curve of a run from its metrics.jsonl lines: each periodic kNN of the
 * first stage, placed at `step / steps` of the stage's measured training seconds.
 */
export function curveOf(
  method: string,
  lines: Record<string, unknown>[],
  steps: number,
  seconds: number,
): CurvePoint[] {
  return lines
    .filter((l) => typeof l.validationKnn === "number" && (l.stage ?? 0) === 0)
    .map((l) => ({
      method,
      minutes: ((Number(l.stageStep ?? l.step) + 1) / steps) * (seconds / 60),
      validationKnn: l.validationKnn as number,
    }));
}

/** The chart as an SVG document. */
export async function qualityChart(rows: QualityRow[], curves: CurvePoint[]): Promise<string> {
  const points = rows
    .filter((r) => r.linearProbe !== null || r.classifier !== null)
    .map((r) => ({
      row: `${r.method}${r.labels === "none" ? "" : `, ${r.labels}`}`,
      minutes: r.minutes,
      accuracy: r.classifier ?? r.linearProbe,
      measure: r.classifier === null ? "linear probe" : "classifier",
    }));
  const spec: TopLevelSpec = {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    hconcat: [
      {
        title: "Test accuracy against training minutes",
        width: 420,
        height: 320,
        data: { values: points },
        mark: { type: "point", filled: true, size: 70 },
        encoding: {
          x: { field: "minutes", type: "quantitative", title: "training minutes (all stages)" },
          y: {
            field: "accuracy",
            type: "quantitative",
            title: "accuracy",
            scale: { zero: false },
            axis: { format: ".0%" },
          },
          color: { field: "row", type: "nominal", title: "row" },
          shape: { field: "measure", type: "nominal", title: "measure" },
        },
      },
      {
        title: "Validation kNN while pretraining",
        width: 320,
        height: 320,
        data: { values: curves },
        mark: { type: "line", point: true },
        encoding: {
          x: { field: "minutes", type: "quantitative", title: "training minutes" },
          y: {
            field: "validationKnn",
            type: "quantitative",
            title: "kNN accuracy (validation slice)",
            scale: { zero: false },
            axis: { format: ".0%" },
          },
          color: { field: "method", type: "nominal", title: "run" },
        },
      },
    ],
  };
  return await vegaLiteSvg(spec, "quality-");
}
