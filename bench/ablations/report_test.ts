import assert from "node:assert/strict";
import { FULL } from "./plan.ts";
import { ablationReport } from "./report.ts";
import type { Claim } from "./claims.ts";

const tables = {
  augmentations: "AUG\n",
  heads: "HEADS\n",
  widths: "WIDTHS\n",
  transformations: null,
  batch: "BATCH\n",
  simclrv2: "V2\n",
};

Deno.test("ablationReport(): every table under its heading with its verdicts, the failing claims gathered", () => {
  const claims: Claim[] = [
    { table: "augmentations", holds: true, text: "A: holds — 1." },
    { table: "batch", holds: false, text: "B: does not hold — 2." },
    { table: "simclrv2", holds: false, text: "C: does not hold — 3." },
  ];
  const report = ablationReport({
    header: "HEADER",
    budget: FULL,
    tables,
    claims,
    commands: { simclr: "deno task train --method simclr", "head-0": "deno task train --x" },
  });
  const order = [
    "HEADER",
    "## 1. Augmentations",
    "AUG",
    "- A: holds — 1.",
    "## 2. Projection head",
    "HEADS",
    "WIDTHS",
    'Not yet: the run "simclr" has not finished.',
    "## 3. Batch size",
    "for 0.5 and 1.5 epochs",
    "BATCH",
    "- B: does not hold — 2.",
    "## 4. SimCLRv2",
    "V2",
    "- C: does not hold — 3.",
    "## Where a claim does not hold at this scale",
    "- B: does not hold — 2.\n- C: does not hold — 3.",
    "    deno task train --method simclr\n    deno task train --x",
  ];
  let at = 0;
  for (const part of order) {
    const found = report.indexOf(part, at);
    assert.ok(found >= at, `${part} after position ${at}`);
    at = found + part.length;
  }
  const allHold = ablationReport({
    header: "H",
    budget: FULL,
    tables,
    claims: claims.slice(0, 1),
    commands: {},
  });
  assert.match(
    allHold,
    /## Where a claim does not hold at this scale\n\nEvery claim checked holds\./,
  );
});
