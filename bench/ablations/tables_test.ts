import assert from "node:assert/strict";
import { ablationPlan, FULL, QUICK } from "./plan.ts";
import {
  augmentationTable,
  batchTable,
  headTable,
  pct,
  type Results,
  type RunResults,
  simclrv2Table,
  widthTable,
} from "./tables.ts";

/** A run's results with these accuracies. */
export function result(probe: number, knn: number, more: Partial<RunResults> = {}): RunResults {
  return { linearProbeAccuracy: probe, knnAccuracy: knn, featureDim: 64, stages: [], ...more };
}

/** The markdown table's cells, row by row (header and separator included). */
function cells(table: string): string[][] {
  return table.trim().split("\n").map((l) => l.slice(2, -2).split(" | "));
}

Deno.test("pct() writes a fraction with two decimals, and a dash for none", () => {
  assert.equal(pct(0.8512), "85.12%");
  assert.equal(pct(1), "100.00%");
  assert.equal(pct(null), "—");
  assert.equal(pct(undefined), "—");
});

Deno.test("augmentationTable(): singles on the diagonal, pairs above it, nothing below, a dash for an unfinished run", () => {
  const plan = ablationPlan(FULL);
  const results: Results = {
    "aug-crop": result(0.8, 0.7),
    "aug-crop-colour": result(0.85, 0.75),
    "aug-colour": result(0.6, 0.5),
    "aug-cutout-rotation": result(0.4, 0.3),
    simclr: result(0.88, 0.8),
  };
  const [matrix, extra] = augmentationTable(plan, results).split("\n\n");
  const rows = cells(matrix);
  assert.deepEqual(rows[0], [
    "1st \\ 2nd",
    "crop",
    "cutout",
    "colour",
    "Sobel",
    "noise",
    "blur",
    "rotation",
  ]);
  assert.equal(rows.length, 2 + 7);
  const at = (row: string, column: string) =>
    rows[rows.findIndex((r) => r[0] === row)][rows[0].indexOf(column)];
  assert.equal(at("crop", "crop"), "80.00% (70.00%)");
  assert.equal(at("crop", "colour"), "85.00% (75.00%)");
  assert.equal(at("colour", "crop"), "");
  assert.equal(at("colour", "colour"), "60.00% (50.00%)");
  assert.equal(at("cutout", "rotation"), "40.00% (30.00%)");
  assert.equal(at("Sobel", "Sobel"), "—");
  // Data row r (table line r + 2) is empty in columns 1..r, the singles before its own.
  let below = 0;
  for (let r = 0; r < 7; r++) {
    for (let j = 1; j <= r; j++, below++) assert.equal(rows[r + 2][j], "", `${r}, ${j}`);
  }
  assert.equal(below, 21);
  assert.deepEqual(cells(extra).slice(2), [
    ["crop + flip", "—", "—", "aug-crop-flip"],
    ["crop + colour + flip (the default views)", "88.00%", "80.00%", "simclr"],
  ]);
});

Deno.test("headTable() and widthTable(): h and z of each head, the projection's width", () => {
  const plan = ablationPlan(FULL);
  const projection = (probe: number, dim: number) => ({
    projection: { linearProbeAccuracy: probe, knnAccuracy: probe - 0.1, featureDim: dim },
  });
  const results: Results = {
    "head-0": result(0.7, 0.6, projection(0.7, 64)),
    "head-1": result(0.8, 0.7, projection(0.75, 128)),
    simclr: result(0.85, 0.8, projection(0.6, 128)),
    "width-32": result(0.84, 0.79, projection(0.5, 32)),
  };
  assert.deepEqual(cells(headTable(plan, results)).slice(2), [
    ["none (z = h)", "70.00%", "70.00%", "60.00%", "60.00%", "64 / 64", "head-0"],
    ["linear", "80.00%", "75.00%", "70.00%", "65.00%", "64 / 128", "head-1"],
    ["non-linear (2 layers)", "85.00%", "60.00%", "80.00%", "50.00%", "64 / 128", "simclr"],
  ]);
  assert.deepEqual(cells(widthTable(plan, results)).slice(2), [
    ["32", "84.00%", "50.00%", "79.00%", "40.00%", "width-32"],
    ["64", "—", "—", "—", "—", "width-64"],
    ["128", "85.00%", "60.00%", "80.00%", "50.00%", "simclr"],
  ]);
});

Deno.test("batchTable(): a row per batch size, a column per method and length", () => {
  const plan = ablationPlan(FULL);
  const results: Results = { simclr: result(0.8, 0.7), "byol-b32-long": result(0.75, 0.65) };
  const rows = cells(batchTable(plan, results));
  assert.deepEqual(rows[0], [
    "batch",
    "SimCLR, 0.5 epochs",
    "SimCLR, 1.5 epochs",
    "BYOL, 0.5 epochs",
    "BYOL, 1.5 epochs",
  ]);
  assert.deepEqual(rows.slice(2).map((r) => r[0]), ["32", "64", "128", "256"]);
  assert.equal(rows[5][1], "80.00% (70.00%)");
  assert.equal(rows[2][4], "75.00% (65.00%)");
  assert.equal(rows[2][1], "—");
});

Deno.test("simclrv2Table(): both fine-tunings and the self-distilled student", () => {
  const plan = ablationPlan(QUICK);
  const results: Results = {
    "simclrv2-1pct-layer1": result(0.8, 0.7, {
      fineTuned: { accuracy: 0.71, labelledImages: 590 },
      distilled: { accuracy: 0.73, student: "resnet18x0.25" },
    }),
  };
  assert.deepEqual(cells(simclrv2Table(plan, results)).slice(2), [
    ["fine-tuned from head layer 1", "1%: 590 images", "71.00%", "simclrv2-1pct-layer1"],
    ["fine-tuned from h (layer 0)", "—", "—", "simclrv2-1pct-h"],
    ["self-distilled from the layer-1 teacher", "1%: 590 images", "73.00%", "simclrv2-1pct-layer1"],
  ]);
});
