import fc from "fast-check";
import assert from "node:assert/strict";
import { accuracy, confusionMatrix } from "../eval/mod.ts";

Deno.test("confusionMatrix(): rows sum to class sizes and the trace over N is the accuracy", () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.nat(4), fc.nat(4)), { minLength: 1, maxLength: 100 }),
      (pairs) => {
        const labels = pairs.map(([l]) => l);
        const predicted = pairs.map(([, p]) => p);
        const matrix = confusionMatrix(predicted, labels, 5);
        matrix.forEach((row, c) => {
          assert.equal(row.reduce((a, b) => a + b, 0), labels.filter((l) => l === c).length);
        });
        const trace = matrix.reduce((s, row, c) => s + row[c], 0);
        assert.equal(trace / pairs.length, accuracy(predicted, labels));
      },
    ),
    { numRuns: 200 },
  );
});
