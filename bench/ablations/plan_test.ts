import assert from "node:assert/strict";
import { ablationPlan, FULL, QUICK, SMOKE, STUDY } from "./plan.ts";

const flag = (flags: string[], name: string) => {
  const i = flags.lastIndexOf(name);
  return i < 0 ? undefined : flags[i + 1];
};

Deno.test("ablationPlan() names each run once, runs a run's source first and sizes every run in epochs", () => {
  for (const budget of [FULL, QUICK, SMOKE]) {
    const plan = ablationPlan(budget);
    const names = plan.runs.map((r) => r.name);
    assert.equal(new Set(names).size, names.length);
    for (const run of plan.runs) {
      if (run.after !== undefined) assert.ok(names.indexOf(run.after) < names.indexOf(run.name));
      assert.ok(!run.flags.includes("--minutes"), run.name);
      // --pretrained runs take their length from the source.
      assert.equal(flag(run.flags, "--epochs") === undefined, run.after !== undefined, run.name);
      assert.equal(flag(run.flags, "--probe-epochs"), String(budget.probeEpochs));
    }
    // Every table reads runs of the plan.
    const tableRuns = [
      plan.reference,
      ...plan.augmentations.map((r) => r.run),
      ...plan.heads.map((r) => r.run),
      ...plan.widths.map((r) => r.run),
      ...plan.batch.map((r) => r.run),
      plan.simclrv2.fromLayer1,
      plan.simclrv2.fromH,
    ];
    for (const run of tableRuns) assert.ok(names.includes(run), run);
    // ... and every run is in a table.
    for (const name of names) assert.ok(tableRuns.includes(name), name);
  }
});

Deno.test("the full augmentation table is SimCLR's figure 5: every single and pair of the seven, crop + flip and the default views", () => {
  const plan = ablationPlan(FULL);
  const rows = plan.augmentations;
  assert.equal(rows.filter((r) => r.transforms.length === 1).length, 7);
  const pairs = rows.filter((r) => r.transforms.length === 2 && !r.transforms.includes("flip"));
  assert.equal(pairs.length, 21);
  for (let i = 0; i < STUDY.length; i++) {
    for (let j = i + 1; j < STUDY.length; j++) {
      assert.equal(
        pairs.filter((r) => r.transforms.includes(STUDY[i]) && r.transforms.includes(STUDY[j]))
          .length,
        1,
        `${STUDY[i]} + ${STUDY[j]}`,
      );
    }
  }
  assert.ok(rows.some((r) => r.transforms.join() === "crop,flip"));
  const defaults = rows.filter((r) => r.isDefault);
  assert.deepEqual(defaults.map((r) => r.run), [plan.reference]);
  // The runs' --augment lists: colour is jitter and grayscale; nothing else is added.
  const byName = new Map(plan.runs.map((r) => [r.name, r.flags]));
  assert.equal(flag(byName.get("aug-crop-colour")!, "--augment"), "crop,color,grayscale");
  assert.equal(flag(byName.get("aug-sobel")!, "--augment"), "sobel");
  assert.equal(flag(byName.get("aug-crop-flip")!, "--augment"), "crop,flip");
  assert.equal(flag(byName.get(plan.reference)!, "--augment"), undefined);
  assert.equal(plan.runs.length, 1 + 7 + 21 + 1 + 2 + 2 + 15 + 2);
});

Deno.test("the quick version: crop, colour, crop + colour and the default views; three heads; one batch length", () => {
  const plan = ablationPlan(QUICK);
  assert.deepEqual(
    plan.augmentations.map((r) => r.transforms.join("+")),
    ["crop", "colour", "crop+colour", "crop+colour+flip"],
  );
  assert.deepEqual(plan.heads.map((h) => h.layers), [0, 1, 2]);
  assert.deepEqual([...new Set(plan.batch.map((b) => b.epochs))], [QUICK.epochs]);
  assert.equal(plan.runs.length, 11);
});

Deno.test("the batch table: both methods at every size and length; the reference is SimCLR at the default batch, short", () => {
  const plan = ablationPlan(FULL);
  assert.equal(plan.batch.length, 2 * 4 * 2);
  const flagsOf = (run: string) => plan.runs.find((r) => r.name === run)!.flags;
  for (const b of plan.batch) {
    const flags = flagsOf(b.run);
    assert.equal(flag(flags, "--method"), b.method, b.run);
    assert.equal(flag(flags, "--batch-size"), String(b.batchSize), b.run);
    assert.equal(flag(flags, "--epochs"), String(b.epochs), b.run);
  }
  const reference = plan.batch.filter((b) => b.run === plan.reference);
  assert.deepEqual(reference, [{
    method: "simclr",
    batchSize: 256,
    epochs: FULL.epochs,
    run: plan.reference,
  }]);
  assert.equal(FULL.longEpochs, 3 * FULL.epochs);
});

Deno.test("SimCLRv2: one pretraining, fine-tuned from layer 1 and, through --pretrained, from h", () => {
  const plan = ablationPlan(FULL);
  const [layer1, fromH] = [plan.simclrv2.fromLayer1, plan.simclrv2.fromH]
    .map((name) => plan.runs.find((r) => r.name === name)!);
  assert.equal(flag(layer1.flags, "--from-layer"), "1");
  assert.equal(flag(fromH.flags, "--from-layer"), "0");
  assert.equal(fromH.after, layer1.name);
  for (const run of [layer1, fromH]) {
    assert.equal(flag(run.flags, "--labels"), "1%");
    assert.equal(flag(run.flags, "--finetune-epochs"), "60");
  }
});
