/**
 * The ablations' report: each table with what it varies and how, its claims' verdicts, the
 * claims that do not hold at this scale, and every run's exact command.
 *
 * @module
 */
import type { AblationBudget } from "./plan.ts";
import type { Claim } from "./claims.ts";
import { epochsText } from "./tables.ts";

/** What {@linkcode ablationReport} puts together. */
export interface ReportParts {
  /** The command, machine, split and scale lines. */
  header: string;
  budget: AblationBudget;
  /** The tables as markdown; null where there is nothing to show yet. */
  tables: {
    augmentations: string;
    heads: string;
    widths: string | null;
    transformations: string | null;
    batch: string;
    simclrv2: string;
  };
  claims: Claim[];
  /** Each run's `deno task train` command. */
  commands: Record<string, string>;
}

/** The report as markdown (without its title, so BENCHMARKS.md can hold it). */
export function ablationReport(parts: ReportParts): string {
  const { budget, tables, claims } = parts;
  const verdicts = (table: Claim["table"]) => {
    const mine = claims.filter((c) => c.table === table);
    return mine.length === 0 ? "" : `\n${mine.map((c) => `- ${c.text}`).join("\n")}\n`;
  };
  const E = budget.epochs;
  const lengths = budget.longEpochs === null
    ? epochsText(E)
    : `${E} and ${epochsText(budget.longEpochs)}`;
  const failing = claims.filter((c) => !c.holds);
  const v2 = budget.simclrv2;
  return [
    parts.header,
    "",
    `Every run is \`deno task train\` with its defaults (small-image ResNet-18 x0.25, LARS with ` +
    `warmup and cosine, batch ${budget.batch}) except what its table varies, for a fixed ` +
    `${epochsText(E)} of pretraining unless said; linear probe, kNN in parentheses. ` +
    `The run "simclr" (every default) is the default views, the non-linear 128-wide head and ` +
    `SimCLR at batch ${budget.batch} in the tables below.`,
    "",
    "## 1. Augmentations (SimCLR figure 5)",
    "",
    "Row = first transformation, column = second; the diagonal is one transformation alone. " +
    "`--augment` of the train app: both views get the same transformations, each image its " +
    "own draws (the paper applied them to one branch after a crop on both, because ImageNet's " +
    "images differ in size; these are all 28 x 28). Without crop a view is the whole image. " +
    "Colour is the paper's colour distortion: jitter at the run's colour strength (0.5 at " +
    "28 px) with p 0.8 and grayscale 0.2 (on grey images only brightness and contrast " +
    "change); cutout, Sobel, noise and rotation with p 1 (every image, as the study); blur " +
    "with p 0.5.",
    "",
    tables.augmentations,
    verdicts("augmentations"),
    "## 2. Projection head (SimCLR figure 8 and table 3)",
    "",
    "`--head-layers 0 | 1 | 2` with `--evaluate-projection`: the same kNN and linear probe on " +
    "h (the encoder's output) and on z = head(h) (inference mode). With no head z is h.",
    "",
    tables.heads,
    ...(tables.widths === null
      ? []
      : ["", "Output width of the non-linear head:", "", tables.widths]),
    "",
    "### Which transformation was applied? (SimCLR table 3)",
    "",
    'The encoder and head of the run "simclr", loaded from its encoder/ and head/: held-out ' +
    "images, a balanced share of them transformed, a linear probe fitted on half and scored on " +
    "the other half, on h and on z. (The paper: an MLP on ImageNet; corruption there, Gaussian " +
    "noise here.)",
    "",
    tables.transformations ?? 'Not yet: the run "simclr" has not finished.\n',
    verdicts("heads") + verdicts("transformations"),
    "## 3. Batch size (SimCLR figure 9, BYOL figure 3)",
    "",
    `SimCLR and BYOL at each batch size for ${lengths}, the train app's learning-rate ` +
    "scaling for each (SimCLR: base 0.075 x sqrt(batch); BYOL: 0.2 x batch / 256). At a fixed " +
    "number of epochs a smaller batch takes more steps.",
    "",
    tables.batch,
    verdicts("batch"),
    "## 4. SimCLRv2: where fine-tuning starts, and self-distillation",
    "",
    `One pretraining with the 3-layer head (${epochsText(v2.pretrainEpochs)}), fine-tuned ` +
    `${epochsText(v2.finetuneEpochs)} on 1% of the labels from head layer 1 (the paper's choice) ` +
    `and, reusing it through \`--pretrained\`, from h (\`--from-layer 0\`); the layer-1 ` +
    `teacher distilled into the same encoder for ${epochsText(v2.distillEpochs)}.`,
    "",
    tables.simclrv2,
    verdicts("simclrv2"),
    "## Where a claim does not hold at this scale",
    "",
    failing.length === 0
      ? "Every claim checked holds."
      : "These runs are short (a fraction of an epoch to a few epochs of 59,000 28 x 28 grey " +
        "images on a 2-core CPU; the papers: 100 to 1,000 epochs of ImageNet on TPUs) and one " +
        "seed each, scored on a slice where one image is 0.1 point:\n\n" +
        failing.map((c) => `- ${c.text}`).join("\n"),
    "",
    "<details><summary>Every run's command</summary>",
    "",
    ...Object.values(parts.commands).map((c) => `    ${c}`),
    "",
    "</details>",
    "",
  ].join("\n");
}
