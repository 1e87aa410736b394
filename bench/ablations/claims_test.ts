import assert from "node:assert/strict";
import fc from "fast-check";
import { ablationPlan, FULL, QUICK } from "./plan.ts";
import {
  augmentationClaims,
  batchClaims,
  headClaims,
  MUCH_BETTER,
  predictionClaims,
  simclrv2Claims,
  WIDTH_SPREAD,
} from "./claims.ts";
import type { Results, RunResults } from "./tables.ts";

function result(probe: number, more: Partial<RunResults> = {}): RunResults {
  return { linearProbeAccuracy: probe, knnAccuracy: probe, featureDim: 64, stages: [], ...more };
}

const texts = (claims: { text: string }[]) => claims.map((c) => c.text);

Deno.test("augmentationClaims(): the composition against every single, crop + colour against its parts", () => {
  const plan = ablationPlan(QUICK);
  const results: Results = {
    "aug-crop": result(0.8),
    "aug-colour": result(0.6),
    "aug-crop-colour": result(0.85),
    simclr: result(0.84),
  };
  assert.deepEqual(texts(augmentationClaims(plan, results)), [
    "The composition (the default views) beats every single transformation: holds — 84.00% " +
    "vs the best single, crop, 80.00%.",
    "Crop + colour beats crop alone and colour alone: holds — 85.00% vs 80.00% and 60.00%.",
  ]);
  results["aug-colour"] = result(0.9);
  const [composition, cropColour] = augmentationClaims(plan, results);
  assert.equal(composition.holds, false);
  assert.match(composition.text, /does not hold — 84\.00% vs the best single, colour, 90\.00%/);
  assert.equal(cropColour.holds, false);
  // Unfinished runs: the claims that need them are left out.
  assert.deepEqual(augmentationClaims(plan, { "aug-crop": result(0.8) }), []);
});

Deno.test("augmentationClaims(): the best pair and flip, in the full table", () => {
  const plan = ablationPlan(FULL);
  const results: Results = {
    "aug-crop": result(0.8),
    "aug-colour": result(0.6),
    "aug-crop-colour": result(0.85),
    "aug-crop-noise": result(0.86),
    "aug-crop-flip": result(0.79),
  };
  const claims = augmentationClaims(plan, results);
  assert.deepEqual(texts(claims).slice(1), [
    "Crop + colour is the best pair: does not hold — 85.00%; the best pair is crop + noise, " +
    "86.00%.",
    "Flip adds to crop: does not hold — 79.00% vs 80.00%.",
  ]);
});

Deno.test("headClaims(): non-linear > linear > none on h, h > z, widths within the spread", () => {
  const plan = ablationPlan(FULL);
  // 0.85 - 0.83 is 2.00 points (as printed), within WIDTH_SPREAD, whatever float says.
  assert.equal(WIDTH_SPREAD, 0.02);
  const z = (probe: number) => ({
    projection: { linearProbeAccuracy: probe, knnAccuracy: probe, featureDim: 128 },
  });
  const results: Results = {
    "head-0": result(0.7, z(0.7)),
    "head-1": result(0.8, z(0.75)),
    simclr: result(0.85, z(0.6)),
    "width-32": result(0.83, z(0.5)),
    "width-64": result(0.84, z(0.55)),
  };
  const claims = headClaims(plan, results);
  assert.deepEqual(claims.map((c) => c.holds), [true, true, true, true]);
  assert.deepEqual(texts(claims), [
    "A non-linear head gives a better h than a linear one and than none: holds — non-linear " +
    "85.00%, linear 80.00%, none 70.00%.",
    "A linear head gives a better h than none: holds — 80.00% vs 70.00%.",
    "The representation h beats the projection z (linear probe) with a head: holds — " +
    "linear: h 80.00% vs z 75.00%; non-linear: h 85.00% vs z 60.00%.",
    "The head's output width matters little for h (probes within 2.00 points): holds — " +
    "32: 83.00%, 64: 84.00%, 128: 85.00% (spread 2.00 points).",
  ]);
  results["width-32"] = result(0.8, z(0.5));
  results["head-1"] = result(0.8, z(0.81));
  const after = headClaims(plan, results);
  assert.deepEqual(after.map((c) => c.holds), [true, true, false, false]);
});

Deno.test("predictionClaims(): h much better than z by at least MUCH_BETTER", () => {
  fc.assert(
    fc.property(
      fc.double({ min: 0, max: 1, noNaN: true }),
      fc.double({ min: 0, max: 1, noNaN: true }),
      (h, z) => {
        fc.pre(Math.abs(h - z - MUCH_BETTER) > 1e-6);
        const row = { task: "rotation", classes: 4, chance: 0.25, h, z, trainImages: 500 };
        const [claim] = predictionClaims([{ ...row, testImages: 500 }]);
        assert.equal(claim.holds, h - z >= MUCH_BETTER);
        assert.match(claim.text, claim.holds ? /: holds — h / : /: does not hold — h /);
      },
    ),
  );
});

Deno.test("batchClaims(): BYOL's loss from the largest to the smallest batch against SimCLR's, and the spread over lengths", () => {
  const plan = ablationPlan(FULL);
  const results: Results = {};
  // SimCLR: 256 -> 32 loses 10 points at 0.5 epochs, 4 at 1.5; BYOL loses 2 and 1.
  const simclr = { 32: [0.7, 0.8], 64: [0.74, 0.81], 128: [0.77, 0.83], 256: [0.8, 0.84] };
  const byol = { 32: [0.78, 0.83], 64: [0.79, 0.83], 128: [0.8, 0.84], 256: [0.8, 0.84] };
  for (const b of plan.batch) {
    const table = b.method === "simclr" ? simclr : byol;
    const value = table[b.batchSize as 32 | 64 | 128 | 256][b.epochs === FULL.epochs ? 0 : 1];
    results[b.run] = result(value);
  }
  const claims = batchClaims(plan, results);
  assert.deepEqual(claims.map((c) => c.holds), [true, true, true, true]);
  assert.match(
    claims[0].text,
    /^BYOL loses less than SimCLR from batch 256 to 32 \(0\.5 epochs\): holds — BYOL 80\.00% -> 78\.00% \(2\.00 points lost\), SimCLR 80\.00% -> 70\.00% \(10\.00 points lost\)\.$/,
  );
  assert.match(
    claims[2].text,
    /spread between batch sizes shrinks .*: holds — 10\.00 points at 0\.5 epochs, 4\.00 points at 1\.5 epochs\./,
  );
  // One length only (quick): no spread claim.
  const quick = ablationPlan(QUICK);
  const quickResults: Results = Object.fromEntries(quick.batch.map((b) => [b.run, result(0.8)]));
  assert.deepEqual(
    batchClaims(quick, quickResults).map((c) => c.text.split(":")[0]),
    [
      "BYOL loses less than SimCLR from batch 256 to 64 (0.1 epochs)",
      "SimCLR at batch 256 beats batch 64 at the same length (0.1 epochs)",
    ],
  );
});

Deno.test("simclrv2Claims(): from layer 1 against from h, self-distilled against its teacher", () => {
  const plan = ablationPlan(QUICK);
  const results: Results = {
    "simclrv2-1pct-layer1": result(0.8, {
      fineTuned: { accuracy: 0.72, labelledImages: 590 },
      distilled: { accuracy: 0.7, student: "resnet18x0.25" },
    }),
    "simclrv2-1pct-h": result(0.8, { fineTuned: { accuracy: 0.69, labelledImages: 590 } }),
  };
  assert.deepEqual(texts(simclrv2Claims(plan, results)), [
    "Fine-tuning from head layer 1 beats fine-tuning from h at 1% of the labels: holds — " +
    "72.00% vs 69.00%.",
    "Self-distillation adds accuracy to the fine-tuned teacher at 1%: does not hold — 70.00% " +
    "vs the teacher's 72.00%.",
  ]);
  assert.deepEqual(simclrv2Claims(plan, {}), []);
});
