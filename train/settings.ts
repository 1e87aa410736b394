import { parseArgs } from "node:util";

/** The recipes `--method` takes. */
export const METHODS = ["simclr", "simclrv2", "byol", "supervised"] as const;
/** A recipe name. */
export type Method = typeof METHODS[number];
/** The backends `--backend` takes (`startBackend` of `@selfsup/backends`). */
export const BACKENDS = ["auto", "tensorflow", "webgpu", "blas", "wasm", "cpu"] as const;
/** The number formats `--precision` takes (`setBlasPrecision` of `@selfsup/backends`). */
export const PRECISIONS = ["float32", "bfloat16"] as const;

/**
 * Every resolved setting of a run. `null` where a setting does not apply to the method (e.g.
 * `tau` outside BYOL) or is left to the library's default.
 */
export interface Settings {
  method: Method;
  data: string;
  name: string;
  runs: string;
  seed: number;
  backend: typeof BACKENDS[number];
  precision: typeof PRECISIONS[number];
  minutes: number | null;
  epochs: number | null;
  smoke: boolean;
  encoder: string;
  batchSize: number;
  learningRate: number | null;
  baseLr: number | null;
  lrScaling: "linear" | "sqrt";
  warmup: number;
  weightDecay: number;
  momentum: number;
  larsEta: number;
  temperature: number | null;
  colorStrength: number | null;
  minCropArea: number;
  augment: string;
  headLayers: number;
  hiddenDim: number | null;
  projectionDim: number;
  tau: number | null;
  byolBatchNorm: "per-view" | "joint" | null;
  validationSize: number;
  knnBank: number;
  knnK: number;
  knnTemperature: number;
  knnEvery: number | null;
  probeEpochs: number;
  logEvery: number;
  checkpointEvery: number;
  checkpointMinutes: number;
  baselines: string;
  evaluateOn: "test" | "validation";
  evaluateProjection: boolean | null;
  labels: string | null;
  fromLayer: number | null;
  finetuneEpochs: number | null;
  finetuneBatchSize: number | null;
  student: string | null;
  distillEpochs: number | null;
  distillTemperature: number | null;
  distillAlpha: number | null;
  pretrained: string | null;
  imageSize: number | null;
  channels: number | null;
  limitTrain: number | null;
  limitTest: number | null;
}

/** A bad flag, value or config file: main prints the message and exits with code 2. */
export class SettingsError extends Error {
  override name = "SettingsError";
}

type Kind = "string" | "number" | "integer" | "boolean";
type DefaultFn = (s: Partial<Settings>) => unknown;

/** One setting: its flag, type, default, unit and help text (what `--help` prints). */
export interface SettingSpec {
  key: keyof Settings;
  flag: string;
  kind: Kind;
  /** A value, or a rule from the settings resolved before it (text in `defaultText`). */
  default: unknown | DefaultFn;
  defaultText?: string;
  unit?: string;
  help: string;
  group: string;
  choices?: readonly string[];
  min?: number;
  above?: number;
  max?: number;
  /** Only for these methods; null for the others. */
  methods?: readonly Method[];
}

const ENCODER_PATTERN = /^(resnet18|resnet34|resnet50|convnet)(x(\d+(\.\d+)?))?$/;
const LABELS_PATTERN = /^(\d+(\.\d+)?%|\d+|all)$/;
/** The baselines `--baselines` takes (besides `none`). */
export const BASELINES = ["pixels", "random-encoder"] as const;
/** A baseline evaluated beside the trained encoder. */
export type Baseline = typeof BASELINES[number];
/**
 * The transforms `--augment` takes (besides `default`), in the order a view applies them:
 * SimCLR's (crop, flip, colour jitter, grayscale, blur), BYOL's solarization, and the
 * operators of SimCLR's augmentation study (arXiv:2002.05709, figure 4).
 */
export const AUGMENTATIONS = [
  "crop",
  "flip",
  "color",
  "grayscale",
  "blur",
  "solarize",
  "rotation",
  "sobel",
  "cutout",
  "noise",
] as const;
/** A transform of `--augment`. */
export type Augmentation = typeof AUGMENTATIONS[number];
/** The methods with a projection head (SimCLR's head, BYOL's projector). */
const WITH_HEAD = ["simclr", "simclrv2", "byol"] as const;
const isSmoke = (s: Partial<Settings>) => s.smoke === true;
const sized = (s: Partial<Settings>, normal: unknown, smoke: unknown) =>
  isSmoke(s) ? smoke : normal;

/**
 * Every setting, in the order `--help` lists them and defaults are resolved (a default rule
 * may read only the settings above it).
 */
export const SETTINGS: readonly SettingSpec[] = [
  // --- run
  {
    key: "method",
    flag: "method",
    kind: "string",
    default: "simclr",
    choices: METHODS,
    group: "run",
    help:
      "recipe: SimCLR, SimCLRv2 (pretrain -> fine-tune -> distil), BYOL, or the supervised baseline (same encoder and augmentation, with labels)",
  },
  {
    key: "data",
    flag: "data",
    kind: "string",
    default: "fashion-mnist",
    group: "run",
    help:
      "fashion-mnist (embedded) | idx:<folder> | folder:<path> (image folders, resized on load)",
  },
  {
    key: "name",
    flag: "name",
    kind: "string",
    default: (s: Partial<Settings>) => `${s.method}-${stamp()}`,
    defaultText: "<method>-<UTC date and time>",
    group: "run",
    help: "run name: the run folder is <runs>/<name>",
  },
  {
    key: "runs",
    flag: "runs",
    kind: "string",
    default: "runs",
    group: "run",
    help: "folder that holds the run folders",
  },
  {
    key: "seed",
    flag: "seed",
    kind: "integer",
    default: 1,
    min: 0,
    group: "run",
    help: "seed of everything that draws (weights, batch order, augmentations, splits)",
  },
  {
    key: "backend",
    flag: "backend",
    kind: "string",
    default: "auto",
    choices: BACKENDS,
    group: "run",
    help: "compute backend; auto takes the fastest that works here and says why",
  },
  {
    key: "precision",
    flag: "precision",
    kind: "string",
    default: "float32",
    choices: PRECISIONS,
    group: "run",
    help: "number format of the convolutions on blas: bfloat16 multiplies in bfloat16 with " +
      "float32 accumulation and weights (mixed precision), where the CPU has AVX-512 BF16 or AMX",
  },
  {
    key: "smoke",
    flag: "smoke",
    kind: "boolean",
    default: false,
    group: "run",
    help: "a tiny end-to-end run (few steps, tiny model, small data) for tests",
  },
  {
    key: "epochs",
    flag: "epochs",
    kind: "number",
    default: null,
    defaultText: "none (--minutes decides)",
    above: 0,
    unit: "epochs",
    group: "run",
    help: "length of the (pre)training stage in passes over the training images; fractions allowed",
  },
  {
    key: "minutes",
    flag: "minutes",
    kind: "number",
    default: (s: Partial<Settings>) => s.epochs != null ? null : sized(s, 6, null),
    defaultText:
      "6 unless --epochs is given (with the evaluation after it, about ten minutes on a 2-core CPU with blas)",
    above: 0,
    unit: "minutes",
    group: "run",
    help:
      "wall-clock budget of the (pre)training stage: a speed probe fits the schedule's steps so warmup and cosine end on time (evaluation comes after)",
  },
  // --- model and optimisation
  {
    key: "encoder",
    flag: "encoder",
    kind: "string",
    default: (s: Partial<Settings>) => sized(s, "resnet18x0.25", "convnetx0.125"),
    defaultText: "resnet18x0.25",
    group: "model",
    help:
      "resnet18 | resnet34 | resnet50 | convnet, optionally x<width multiplier> (ResNet: small-image stem at <= 32 px)",
  },
  {
    key: "batchSize",
    flag: "batch-size",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, 256, 16),
    defaultText: "256 (papers: 4096)",
    min: 2,
    unit: "images",
    group: "model",
    help: "images per step (each gives two views)",
  },
  {
    key: "lrScaling",
    flag: "lr-scaling",
    kind: "string",
    default: (s: Partial<Settings>) => s.method === "byol" ? "linear" : "sqrt",
    defaultText: "sqrt (byol: linear)",
    choices: ["linear", "sqrt"],
    group: "model",
    help:
      "peak rate = base-lr x batch/256 (linear) or base-lr x sqrt(batch) (sqrt; SimCLR appendix B.1 for small batches)",
  },
  {
    key: "baseLr",
    flag: "base-lr",
    kind: "number",
    // BYOL's depends on the images: resolveForImages.
    default: (s: Partial<Settings>) =>
      s.method === "byol" ? null : s.lrScaling === "sqrt" ? 0.075 : 0.3,
    defaultText: "0.075 sqrt / 0.3 linear (SimCLR); BYOL linear: 1.0 at <= 32 px (chosen on " +
      "the validation slice: BENCHMARKS.md), 0.2 above (BYOL section 3.3)",
    min: 0,
    group: "model",
    help: "base learning rate before batch scaling",
  },
  {
    key: "learningRate",
    flag: "learning-rate",
    kind: "number",
    default: (s: Partial<Settings>) => s.baseLr == null ? null : scaledRate(s),
    defaultText: "base-lr scaled for the batch",
    min: 0,
    group: "model",
    help: "peak learning rate after warmup (LARS)",
  },
  {
    key: "warmup",
    flag: "warmup",
    kind: "number",
    default: (s: Partial<Settings>) => s.method === "byol" ? 0.01 : 0.1,
    defaultText: "0.1 (SimCLR: 10 of 100 epochs); 0.01 (BYOL: 10 of 1000)",
    min: 0,
    max: 1,
    unit: "fraction of steps",
    group: "model",
    help: "linear warmup, then cosine decay to 0",
  },
  {
    key: "weightDecay",
    flag: "weight-decay",
    kind: "number",
    default: (s: Partial<Settings>) => s.method === "byol" ? 1.5e-6 : 1e-6,
    defaultText: "1e-6 (SimCLR); 1.5e-6 (BYOL)",
    min: 0,
    group: "model",
    help: "LARS weight decay (batch norm and biases excluded)",
  },
  {
    key: "momentum",
    flag: "momentum",
    kind: "number",
    default: 0.9,
    min: 0,
    max: 1,
    group: "model",
    help: "LARS momentum",
  },
  {
    key: "larsEta",
    flag: "lars-eta",
    kind: "number",
    default: 0.001,
    above: 0,
    group: "model",
    help: "LARS trust coefficient",
  },
  {
    key: "temperature",
    flag: "temperature",
    kind: "number",
    default: null,
    defaultText: "0.5 at <= 32 px (SimCLR appendix B.9), 0.1 above (section 5.1)",
    above: 0,
    methods: ["simclr", "simclrv2"],
    group: "model",
    help: "NT-Xent temperature",
  },
  {
    key: "colorStrength",
    flag: "color-strength",
    kind: "number",
    default: null,
    defaultText: "0.5 at <= 32 px (SimCLR appendix B.9), 1 above (appendix A)",
    min: 0,
    max: 2.5,
    methods: ["simclr", "simclrv2", "supervised", "byol"],
    group: "model",
    help: "colour-distortion strength of the SimCLR views (small-image views at <= 32 px, " +
      "also for BYOL there; ImageNet views with blur above)",
  },
  {
    key: "minCropArea",
    flag: "min-crop-area",
    kind: "number",
    default: 0.08,
    defaultText: "0.08 (SimCLR, BYOL: crop area 0.08-1)",
    above: 0,
    max: 1,
    methods: ["simclr", "simclrv2", "supervised", "byol"],
    group: "model",
    help: "smallest area of the views' random resized crop, a fraction of the image: crops " +
      "cover [min-crop-area, 1] of it",
  },
  {
    key: "augment",
    flag: "augment",
    kind: "string",
    default: "default",
    defaultText: "default",
    unit: "list",
    group: "model",
    help: "the views' transforms: default (the recipe's own views, as without this flag), or " +
      `a comma list of ${
        AUGMENTATIONS.join(", ")
      }, each at most once, applied in that order to both views. ` +
      "A listed transform takes the preset's probability and strength (crop area " +
      "--min-crop-area to 1, " +
      "flip 0.5, colour jitter at --color-strength with p 0.8, grayscale 0.2), else the " +
      "papers' (blur 0.5 as SimCLR's ImageNet views, solarize 0.2 as BYOL's), else p = 1 " +
      "(rotation, sobel, cutout, noise: SimCLR's study applies an operator to every image of " +
      "its branch); no crop means the whole image. BYOL: both views the same, at the larger " +
      "of its two views' probabilities",
  },
  {
    key: "headLayers",
    flag: "head-layers",
    kind: "integer",
    default: (s: Partial<Settings>) => s.method === "simclrv2" ? 3 : 2,
    defaultText: "2 (SimCLR), 3 (SimCLRv2)",
    min: 0,
    max: 3,
    group: "model",
    help: "layers of the projection head: 2 non-linear (SimCLR), 3 (SimCLRv2), 1 linear, " +
      "0 none (simclr only: the loss on h itself, z = h)",
  },
  {
    key: "hiddenDim",
    flag: "hidden-dim",
    kind: "integer",
    default: null,
    defaultText: "encoder width (SimCLR); 2x encoder width (BYOL: 4096 for 2048)",
    min: 1,
    group: "model",
    help: "hidden width of the projection head / BYOL projector and predictor",
  },
  {
    key: "projectionDim",
    flag: "projection-dim",
    kind: "integer",
    default: 128,
    min: 1,
    group: "model",
    help:
      "output width of the projection head (SimCLR: 128; BYOL: 256, scaled to the small encoder)",
  },
  {
    key: "tau",
    flag: "tau",
    kind: "number",
    default: (s: Partial<Settings>) => s.method === "byol" ? 0.99 : null,
    defaultText: "0.99 (BYOL: 0.996; deepmind's short-run presets 0.99)",
    min: 0,
    max: 1,
    methods: ["byol"],
    group: "model",
    help: "base EMA momentum of the target network, cosine-scheduled to 1",
  },
  {
    key: "byolBatchNorm",
    flag: "byol-batch-norm",
    kind: "string",
    default: (s: Partial<Settings>) => s.method === "byol" ? "per-view" : null,
    defaultText: "per-view (deepmind)",
    choices: ["per-view", "joint"],
    methods: ["byol"],
    group: "model",
    help: "batch-norm statistics per view or over both views (faster)",
  },
  // --- evaluation and logging
  {
    key: "validationSize",
    flag: "validation-size",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, 1000, 40),
    defaultText: "1000 (--smoke: 40)",
    min: 10,
    unit: "images",
    group: "evaluation",
    help: "held-out, class-stratified slice of the training images for the periodic kNN " +
      "(and the final evaluation with --evaluate-on validation)",
  },
  {
    key: "knnBank",
    flag: "knn-bank",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, 2000, 80),
    defaultText: "2000 (--smoke: 80)",
    min: 1,
    unit: "images",
    group: "evaluation",
    help: "training images the periodic kNN votes with",
  },
  {
    key: "knnK",
    flag: "knn-k",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, 200, 10),
    defaultText: "200 (--smoke: 10)",
    min: 1,
    group: "evaluation",
    help: "neighbours of the kNN classifier (InstDisc / SimCLR: 200)",
  },
  {
    key: "knnTemperature",
    flag: "knn-temperature",
    kind: "number",
    default: 0.1,
    above: 0,
    group: "evaluation",
    help: "temperature of the kNN vote weights",
  },
  {
    key: "knnEvery",
    flag: "knn-every",
    kind: "integer",
    default: null,
    defaultText: "a tenth of the steps",
    min: 1,
    unit: "steps",
    group: "evaluation",
    help: "periodic validation kNN interval",
  },
  {
    key: "probeEpochs",
    flag: "probe-epochs",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, 30, 2),
    defaultText: "30 (--smoke: 2)",
    min: 1,
    unit: "epochs",
    group: "evaluation",
    help: "epochs of the final linear probe",
  },
  {
    key: "logEvery",
    flag: "log-every",
    kind: "integer",
    default: 1,
    min: 1,
    unit: "steps",
    group: "evaluation",
    help: "metrics.jsonl line interval",
  },
  {
    key: "checkpointEvery",
    flag: "checkpoint-every",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, 100, 2),
    defaultText: "100 (--smoke: 2)",
    min: 1,
    unit: "steps",
    group: "evaluation",
    help: "checkpoint interval (and at the end of each stage)",
  },
  {
    key: "checkpointMinutes",
    flag: "checkpoint-minutes",
    kind: "number",
    default: 2,
    above: 0,
    unit: "minutes",
    group: "evaluation",
    help: "also checkpoint when this long has passed since the last checkpoint",
  },
  {
    key: "baselines",
    flag: "baselines",
    kind: "string",
    default: "pixels",
    unit: "list",
    group: "evaluation",
    help: "baselines evaluated like the trained encoder (kNN + linear probe), a comma list: " +
      "pixels (the raw pixels), random-encoder (this run's encoder as initialised, before any " +
      "step), or none",
  },
  {
    key: "evaluateOn",
    flag: "evaluate-on",
    kind: "string",
    default: "test",
    choices: ["test", "validation"],
    group: "evaluation",
    help: "split the final evaluation scores: the test split, or the validation slice with " +
      "every classifier fitted on the training images without it (to choose settings " +
      "without touching the test split)",
  },
  {
    key: "evaluateProjection",
    flag: "evaluate-projection",
    kind: "boolean",
    default: false,
    methods: WITH_HEAD,
    group: "evaluation",
    help: "also evaluate z = head(encoder(x)) (SimCLR's projection head, BYOL's projector; " +
      "inference mode) with the same kNN and linear probe: results.json's projection",
  },
  // --- labels
  {
    key: "labels",
    flag: "labels",
    kind: "string",
    default: (s: Partial<Settings>) =>
      s.method === "simclrv2" ? "10%" : s.method === "supervised" ? "all" : null,
    defaultText: "10% (simclrv2); all (supervised)",
    methods: ["simclrv2", "supervised"],
    group: "labels",
    help: "labelled training images: 1% | 10% | N | all, a class-stratified subset drawn " +
      "with the seed (the same images for both methods); simclrv2 fine-tunes on it, " +
      "supervised trains on it (--epochs then counts passes over it)",
  },
  // --- SimCLRv2
  {
    key: "pretrained",
    flag: "pretrained",
    kind: "string",
    default: null,
    defaultText: "none (pretrain in this run)",
    unit: "run folder",
    methods: ["simclrv2"],
    group: "simclrv2",
    help: "a finished simclrv2 run folder whose pretrained encoder and head this run " +
      "fine-tunes and distils instead of pretraining (its encoder, head, data and seed " +
      "settings must equal this run's; --epochs and --minutes do not apply)",
  },
  {
    key: "fromLayer",
    flag: "from-layer",
    kind: "integer",
    default: 1,
    min: 0,
    max: 3,
    methods: ["simclrv2"],
    group: "simclrv2",
    help: "fine-tune from this projection-head layer (SimCLRv2 section 2.2: 1)",
  },
  {
    key: "finetuneEpochs",
    flag: "finetune-epochs",
    kind: "number",
    default: (s: Partial<Settings>) =>
      s.method !== "simclrv2" ? null : sized(s, s.labels === "1%" ? 60 : 30, 1),
    defaultText: "60 at 1%, else 30 (SimCLRv2 section 4)",
    above: 0,
    methods: ["simclrv2"],
    unit: "epochs",
    group: "simclrv2",
    help: "fine-tuning length over the labelled images",
  },
  {
    key: "finetuneBatchSize",
    flag: "finetune-batch-size",
    kind: "integer",
    default: (s: Partial<Settings>) => s.method !== "simclrv2" ? null : sized(s, 64, 8),
    defaultText: "64 (paper: 1024)",
    min: 2,
    methods: ["simclrv2"],
    unit: "images",
    group: "simclrv2",
    help: "fine-tuning batch",
  },
  {
    key: "student",
    flag: "student",
    kind: "string",
    default: (s: Partial<Settings>) => s.method === "simclrv2" ? s.encoder : null,
    defaultText: "the encoder (self-distillation)",
    methods: ["simclrv2"],
    group: "simclrv2",
    help: "student encoder, as --encoder",
  },
  {
    key: "distillEpochs",
    flag: "distill-epochs",
    kind: "number",
    default: (s: Partial<Settings>) => s.method !== "simclrv2" ? null : sized(s, 2, 1),
    defaultText: "2 (paper: 400 on ImageNet)",
    above: 0,
    methods: ["simclrv2"],
    unit: "epochs",
    group: "simclrv2",
    help: "distillation length over the unlabelled images",
  },
  {
    key: "distillTemperature",
    flag: "distill-temperature",
    kind: "number",
    default: 1,
    above: 0,
    methods: ["simclrv2"],
    group: "simclrv2",
    help: "distillation temperature (SimCLRv2 section 4: 1)",
  },
  {
    key: "distillAlpha",
    flag: "distill-alpha",
    kind: "number",
    default: 1,
    min: 0,
    max: 1,
    methods: ["simclrv2"],
    group: "simclrv2",
    help: "weight of the distillation loss; 1 - alpha goes to the labels (paper: 1)",
  },
  // --- data size
  {
    key: "imageSize",
    flag: "image-size",
    kind: "integer",
    default: null,
    defaultText: "the data's own (folder: the first training image's)",
    min: 8,
    max: 1024,
    unit: "px",
    group: "data",
    help: "resize every image to this height and width on load",
  },
  {
    key: "channels",
    flag: "channels",
    kind: "integer",
    default: null,
    defaultText: "the data's own",
    choices: ["1", "3"],
    group: "data",
    help: "1 (grey) or 3 (colour): images are converted on load",
  },
  {
    key: "limitTrain",
    flag: "limit-train",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, null, 160),
    defaultText: "all",
    min: 20,
    unit: "images",
    group: "data",
    help: "use only the first N training images (class-balanced)",
  },
  {
    key: "limitTest",
    flag: "limit-test",
    kind: "integer",
    default: (s: Partial<Settings>) => sized(s, null, 60),
    defaultText: "all",
    min: 10,
    unit: "images",
    group: "data",
    help: "use only the first N test images (class-balanced)",
  },
];

/** What {@linkcode parseSettings} returns: the settings, or a request for help or a resume. */
export type ParsedArgs =
  | { kind: "help" }
  | { kind: "run"; settings: Settings; given: Set<keyof Settings> }
  | { kind: "resume"; folder: string };

function stamp(): string {
  return new Date().toISOString().replace(/[-:]/g, "").replace("T", "-").slice(0, 15);
}

/**
 * Parses argv (and `--config file.json`) into validated settings.
 *
 * Flags win over the config file, which wins over the defaults. Every value is checked;
 * anything wrong is a {@linkcode SettingsError} naming the flag and what it allows.
 *
 * @param argv The command-line arguments (`Deno.args`).
 * @param readText Reads a config file (injected so that the caller owns the permissions).
 * @returns The settings, `help`, or `resume` with the run folder.
 * @throws {SettingsError} On an unknown flag, a bad value or an unreadable config file.
 */
export function parseSettings(argv: string[], readText: (path: string) => string): ParsedArgs {
  const options: Record<string, { type: "string" | "boolean" }> = {
    help: { type: "boolean" },
    config: { type: "string" },
    resume: { type: "string" },
  };
  for (const spec of SETTINGS) {
    options[spec.flag] = { type: spec.kind === "boolean" ? "boolean" : "string" };
  }
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({ args: argv, options, strict: true, allowPositionals: false }));
  } catch (error) {
    throw new SettingsError(cleanParseError(error));
  }
  if (values.help === true) return { kind: "help" };
  if (values.resume !== undefined) {
    const others = Object.keys(values).filter((k) => k !== "resume" && values[k] !== undefined);
    if (others.length > 0) {
      throw new SettingsError(
        `--resume continues a run with its own settings (config.json): remove --${others[0]}`,
      );
    }
    if (values.resume === "") throw new SettingsError("--resume must be a run folder, got ''");
    return { kind: "resume", folder: values.resume as string };
  }
  const raw: Record<string, unknown> = {};
  if (values.config !== undefined) {
    let text: string;
    try {
      text = readText(values.config as string);
    } catch (error) {
      throw new SettingsError(`--config: cannot read ${values.config}: ${errorText(error)}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (error) {
      throw new SettingsError(`--config: ${values.config} is not JSON: ${errorText(error)}`);
    }
    if (json === null || typeof json !== "object" || Array.isArray(json)) {
      throw new SettingsError(`--config: ${values.config} must hold a JSON object of settings`);
    }
    for (const [k, v] of Object.entries(json)) {
      const spec = SETTINGS.find((s) => s.key === k || s.flag === k);
      if (spec === undefined) {
        throw new SettingsError(
          `--config: unknown setting "${k}" in ${values.config} (see --help for the names)`,
        );
      }
      if (v !== null) raw[spec.key] = checkValue(spec, v, `"${k}" in ${values.config}`);
    }
  }
  for (const spec of SETTINGS) {
    const v = values[spec.flag];
    if (v !== undefined) raw[spec.key] = checkValue(spec, v, `--${spec.flag}`);
  }
  return { kind: "run", ...resolveSettings(raw) };
}

/**
 * Fills in the defaults of every setting not given, in {@linkcode SETTINGS} order, and checks
 * the combination (e.g. a method-specific setting given for another method).
 *
 * @param given Checked values by setting key.
 * @returns The settings and which of them were given.
 * @throws {SettingsError} When a setting does not apply to the method.
 */
export function resolveSettings(
  given: Record<string, unknown>,
): { settings: Settings; given: Set<keyof Settings> } {
  const s: Partial<Settings> = {};
  const record = s as Record<string, unknown>;
  for (const spec of SETTINGS) {
    if (spec.key in given) {
      if (spec.methods !== undefined && !spec.methods.includes(s.method!)) {
        throw new SettingsError(
          `--${spec.flag} applies only to --method ${
            spec.methods.join(" | ")
          }, got --method ${s.method}`,
        );
      }
      record[spec.key] = given[spec.key];
    } else {
      const d = typeof spec.default === "function" ? (spec.default as DefaultFn)(s) : spec.default;
      record[spec.key] = spec.methods !== undefined && !spec.methods.includes(s.method!)
        ? null
        : d ?? null;
    }
  }
  if (given.epochs !== undefined && given.minutes !== undefined) {
    throw new SettingsError("--epochs and --minutes are alternatives: give one of them");
  }
  if (s.pretrained !== null) {
    const length = given.epochs !== undefined ? "epochs" : "minutes";
    if (given[length] !== undefined) {
      throw new SettingsError(
        `--${length} sizes the pretraining, which --pretrained takes from ${s.pretrained}: ` +
          `remove --${length}`,
      );
    }
    // No pretraining step runs here: the lengths that size it would only mislead config.json.
    s.minutes = null;
    s.epochs = null;
  } else if (s.minutes === null && s.epochs === null) s.epochs = 1; // --smoke without either
  if (s.headLayers === 0 && s.method !== "simclr") {
    throw new SettingsError(
      `--head-layers 0 (no head) applies only to --method simclr, got --method ${s.method}`,
    );
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(s.name!)) {
    throw new SettingsError(
      `--name must be letters, digits, '.', '_' or '-' (a folder name), got '${s.name}'`,
    );
  }
  return { settings: s as Settings, given: new Set(Object.keys(given) as (keyof Settings)[]) };
}

function checkValue(spec: SettingSpec, value: unknown, where: string): unknown {
  const allowed = describeAllowed(spec);
  const bad = () => new SettingsError(`${where} must be ${allowed}, got ${JSON.stringify(value)}`);
  switch (spec.kind) {
    case "boolean":
      if (typeof value !== "boolean") throw bad();
      return value;
    case "string": {
      if (typeof value !== "string" || value === "") throw bad();
      if (spec.choices !== undefined && !spec.choices.includes(value)) throw bad();
      if ((spec.key === "encoder" || spec.key === "student") && !ENCODER_PATTERN.test(value)) {
        throw bad();
      }
      if (spec.key === "labels") {
        if (!LABELS_PATTERN.test(value)) throw bad();
        const n = parseFloat(value);
        if (value !== "all" && (!(n > 0) || (value.endsWith("%") && n > 100))) throw bad();
      }
      if (spec.key === "augment" && value !== "default") {
        const list = value.split(",");
        const known = (a: string) => (AUGMENTATIONS as readonly string[]).includes(a);
        if (!list.every(known) || new Set(list).size !== list.length) throw bad();
      }
      if (spec.key === "baselines") {
        const list = value.split(",");
        const known = (b: string) => b === "none" || (BASELINES as readonly string[]).includes(b);
        if (!list.every(known) || new Set(list).size !== list.length) throw bad();
        if (list.includes("none") && list.length > 1) throw bad();
      }
      return value;
    }
    case "number":
    case "integer": {
      const n = typeof value === "number"
        ? value
        : typeof value === "string" && value.trim() !== ""
        ? Number(value)
        : NaN;
      if (!Number.isFinite(n)) throw bad();
      if (spec.kind === "integer" && !Number.isSafeInteger(n)) throw bad();
      if (spec.choices !== undefined && !spec.choices.includes(String(n))) throw bad();
      if (spec.min !== undefined && n < spec.min) throw bad();
      if (spec.above !== undefined && n <= spec.above) throw bad();
      if (spec.max !== undefined && n > spec.max) throw bad();
      return n;
    }
  }
}

function describeAllowed(spec: SettingSpec): string {
  if (spec.choices !== undefined) return `one of ${spec.choices.join(", ")}`;
  if (spec.key === "encoder" || spec.key === "student") {
    return "resnet18 | resnet34 | resnet50 | convnet, optionally followed by x<width>, e.g. resnet18x0.25";
  }
  if (spec.key === "labels") {
    return "a percentage in (0, 100] such as 1% or 10%, a count N > 0, or all";
  }
  if (spec.key === "augment") {
    return `a comma list of ${AUGMENTATIONS.join(", ")} (each at most once), or default alone`;
  }
  if (spec.key === "baselines") {
    return `a comma list of ${BASELINES.join(", ")} (each at most once), or none alone`;
  }
  const what = spec.kind === "integer" ? "an integer" : spec.kind === "number" ? "a number" : "";
  if (spec.kind === "boolean") return "a boolean";
  if (spec.kind === "string") return "a non-empty string";
  const bounds = [
    spec.min !== undefined ? `>= ${spec.min}` : "",
    spec.above !== undefined ? `> ${spec.above}` : "",
    spec.max !== undefined ? `<= ${spec.max}` : "",
  ].filter((b) => b !== "");
  return bounds.length === 0 ? what : `${what} ${bounds.join(" and ")}`;
}

function cleanParseError(error: unknown): string {
  const text = errorText(error);
  const unknown = /Unknown option '([^']+)'/.exec(text);
  if (unknown) return `unknown flag ${unknown[1]} (deno task train --help lists every flag)`;
  const missing = /Option '(-\w, )?(--[\w-]+) <value>' argument missing/.exec(text);
  if (missing) return `${missing[2]} needs a value`;
  const positional = /Unexpected argument '([^']+)'/.exec(text);
  if (positional) return `unexpected argument '${positional[1]}': settings are --flag value pairs`;
  return text;
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** Image side at and below which the small-image recipe applies (SimCLR appendix B.9). */
export const SMALL_IMAGE_PX = 32;

/**
 * Fills in the settings whose defaults depend on the images (temperature and colour strength
 * of the SimCLR views, BYOL's learning rate), so that config.json records every value the run
 * used.
 */
export function resolveForImages(settings: Settings, height: number, width: number): Settings {
  const small = height <= SMALL_IMAGE_PX && width <= SMALL_IMAGE_PX;
  const simclr = settings.method === "simclr" || settings.method === "simclrv2";
  // BYOL's base rate: the paper's 0.2 is for ImageNet; on 28x28 images 1.0 trains far better
  // (validation slice, BENCHMARKS.md "BYOL's learning rate").
  const baseLr = settings.baseLr ?? (small ? 1.0 : 0.2);
  return {
    ...settings,
    baseLr,
    learningRate: settings.learningRate ?? scaledRate({ ...settings, baseLr }),
    temperature: settings.temperature ?? (simclr ? (small ? 0.5 : 0.1) : null),
    // BYOL above 32 px keeps its own asymmetric views, which have no strength setting.
    colorStrength: settings.method === "byol" && !small
      ? null
      : settings.colorStrength ?? (small ? 0.5 : 1),
  };
}

/** The peak rate of a base rate: x batch/256 (linear) or x sqrt(batch) (sqrt). */
function scaledRate(s: Partial<Settings>): number {
  return s.lrScaling === "sqrt"
    ? s.baseLr! * Math.sqrt(s.batchSize!)
    : s.baseLr! * s.batchSize! / 256;
}

/** The baselines of `--baselines`, in the order given (`none`: an empty list). */
export function baselineList(settings: Pick<Settings, "baselines">): Baseline[] {
  return settings.baselines === "none" ? [] : settings.baselines.split(",") as Baseline[];
}

/** The transforms of `--augment`, in the order given; null for `default` (the preset's views). */
export function augmentList(settings: Pick<Settings, "augment">): Augmentation[] | null {
  return settings.augment === "default" ? null : settings.augment.split(",") as Augmentation[];
}

/** Parses an encoder spec (`resnet18x0.25`) into its family and width multiplier. */
export function parseEncoderSpec(spec: string): { family: string; width: number } {
  const m = ENCODER_PATTERN.exec(spec);
  if (m === null) throw new SettingsError(`bad encoder '${spec}'`);
  return { family: m[1], width: m[3] === undefined ? 1 : Number(m[3]) };
}

/**
 * The `--help` text: every setting with its default and unit, grouped.
 */
export function helpText(): string {
  const lines = [
    "deno task train [--flag value ...]: self-supervised training, evaluation and a report",
    "",
    "  --help                  this text",
    "  --config <file.json>    settings as a JSON object (keys: flag or camelCase names); flags win",
    "  --resume <runs/name>    continue a run from its last checkpoint, with its own settings",
  ];
  let group = "";
  for (const spec of SETTINGS) {
    if (spec.group !== group) {
      group = spec.group;
      lines.push("", `${group}:`);
    }
    const arg = spec.kind === "boolean"
      ? ""
      : ` <${spec.choices?.join("|") ?? spec.unit ?? spec.kind}>`;
    const d = spec.defaultText ??
      (typeof spec.default === "function" ? "" : JSON.stringify(spec.default));
    const only = spec.methods ? ` [${spec.methods.join(", ")}]` : "";
    lines.push(`  --${spec.flag}${arg}`, `      ${spec.help}${only}; default ${d}`);
  }
  return lines.join("\n");
}
