import assert from "node:assert/strict";
import { claims } from "./claims.ts";
import { type QualityRow, SIMCLRV2_PRETRAINING } from "./table.ts";

function row(method: string, fields: Partial<QualityRow>): QualityRow {
  return {
    method,
    labels: "none",
    share: null,
    knn: null,
    linearProbe: null,
    classifier: null,
    minutes: 30,
    epochs: "8",
    imagesPerSecond: null,
    backend: "blas",
    seed: 1,
    run: method,
    ...fields,
  };
}

Deno.test("claims() says how far and on which side of the supervised encoder a probe is", () => {
  const rows = [
    row("raw pixels", { knn: 0.7973, linearProbe: 0.852 }),
    row("supervised", { share: "all", classifier: 0.8852 }),
    row("SimCLR", { knn: 0.8003, linearProbe: 0.8472 }),
    row("BYOL", { knn: 0.7, linearProbe: 0.9 }),
  ];
  const lines = claims(rows, "resnet18x0.25");
  assert.ok(lines.includes(
    "SimCLR probe within 3 points of the supervised encoder (target): does not hold — " +
      "84.72% vs 88.52% (3.80 points below it).",
  ));
  assert.ok(lines.includes(
    "BYOL probe within 3 points of the supervised encoder (target): holds — " +
      "90.00% vs 88.52% (1.48 points above it).",
  ));
});

Deno.test("claims() checks SimCLRv2's pretraining against raw pixels when both rows are there", () => {
  const pixels = row("raw pixels", { knn: 0.7973, linearProbe: 0.852 });
  const v2 = row(SIMCLRV2_PRETRAINING, { knn: 0.8106, linearProbe: 0.8549, minutes: 30.04 });
  const line = "SimCLRv2's pretraining (SimCLR with the 3-layer head) beats raw pixels on both " +
    "measures: holds — kNN 81.06% vs 79.73%, probe 85.49% vs 85.20%, after 30.0 training minutes.";
  assert.ok(claims([pixels, v2], "resnet18x0.25").includes(line));
  const below = row(SIMCLRV2_PRETRAINING, { knn: 0.8106, linearProbe: 0.85, minutes: 30.04 });
  assert.ok(
    claims([pixels, below], "resnet18x0.25").some((l) =>
      l.startsWith("SimCLRv2's pretraining") && l.includes(": does not hold — ")
    ),
  );
  assert.ok(!claims([v2], "resnet18x0.25").some((l) => l.startsWith("SimCLRv2's pretraining")));
});
