/**
 * `deno task bench`: the reference training step (issue 3) on every available backend in one
 * run, with images/s, GFLOP/s, the fraction of this machine's measured sgemm peak, and each
 * backend's ratio to the stock cpu and the wasm-with-composites baselines.
 *
 * ```sh
 * deno task bench                                  # every backend, both encoders
 * deno task bench --backends blas,wasm --steps 10 --encoder reference
 * deno task bench --memory-steps 500 --backends blas   # flat tf.memory() and RSS
 * deno task bench --batch 16 --steps 1                # a quick smoke run
 * deno task bench --backends blas --batch-norm stock  # tf.layers.batchNormalization instead
 * deno task bench --backends blas --no-onednn         # blas without oneDNN (GEMM convolutions)
 * deno task bench --learner simclr --backends blas    # the learner's whole step vs the bare one
 * deno task bench --learner byol --learner-optimizer default --rounds 5
 * deno task bench --peers --encoder reference --backends blas --steps 5 --rounds 3
 * deno task bench --backends blas --precision bfloat16  # blas convolutions in bfloat16
 * ```
 *
 * `--peers` then also times the PyTorch twin of the reference step (bench/peers/, where
 * `import torch` works in python3 or /usr/bin/python3) in float32, channels-last and bf16
 * autocast, alternating rounds with our blas reference step in this process, in float32 and,
 * where the CPU runs it natively, bfloat16, and prints each PyTorch mode's ratio to ours (its
 * bf16 against our bfloat16; bench/peers/README.md).
 *
 * `--precision bfloat16` runs the blas backend's convolutions in bfloat16 with float32
 * accumulation (`setBlasPrecision` of @selfsup/backends; refused where the CPU lacks AVX-512
 * BF16 and AMX) for the backend table, `--learner` and `--memory-steps`.
 *
 * `--learner simclr|byol` times the learner's whole step (`@selfsup/simclr` / `@selfsup/byol`:
 * views made from uint8 batches, encoder, head(s), loss, update; BYOL's target forward and EMA)
 * on the reference model against the bare reference step (fixed views, no augmentation), in
 * alternating rounds in one process, and prints each round's ratio and their median. Both use
 * Adam 1e-3 unless `--learner-optimizer default` gives the learner its own default (LARS with
 * warmup-cosine).
 *
 * Rows: `cpu-stock` is tfjs's cpu backend with tfjs's own batch-norm gradient, timed on one
 * 2 x 2 step without warm-up (a full batch takes about 1000 s per step); `wasm` is the wasm
 * backend with the composite conv gradients of @selfsup/backends (ResNet-18 at 2 x 16: its
 * 4 GB heap cannot hold a 2 x 64 step); the others are as `startBackend` starts them.
 * A software WebGPU adapter is only benchmarked when `--backends` names `webgpu`.
 * Batch norm is `@selfsup/encoders`' layer (one fused kernel per direction where the backend
 * has it: blas) unless `--batch-norm stock`.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";
import {
  AUTO_ORDER,
  type BackendName,
  batchNormGradConfig,
  blasBfloat16Support,
  type BlasPrecision,
  findTensorflowPackage,
  probeWebGpu,
  setBlasPrecision,
  startBackend,
} from "../backends/mod.ts";
import { openBlas } from "../backends/blas/ffi.ts";
import type { BlasBackend } from "../backends/blas/backend.ts";
import { buildLearnerStep, type LearnerName } from "./learner_step.ts";
import {
  buildReferenceModels,
  buildReferenceStep,
  type ReferenceEncoder,
  type ReferenceStep,
} from "./reference_step.ts";

type Row = "cpu-stock" | BackendName;
const ROWS: readonly Row[] = ["cpu-stock", ...AUTO_ORDER];
const ENCODERS: Record<ReferenceEncoder, { batch: number; label: string }> = {
  "reference": { batch: 128, label: "reference (28x28x1, 2 x 128)" },
  "resnet18-small": { batch: 64, label: "ResNet-18 small stem (32x32x3, 2 x 64)" },
  "train-default": { batch: 256, label: "deno task train's ResNet-18 x0.25 (28x28x1, 2 x 256)" },
  "train-96": { batch: 128, label: "deno task train's ResNet-18 x0.25 (96x96x3, 2 x 128)" },
};
// The cpu backend runs one 2 x 2 step: about 1000 s per 2 x 128 step otherwise (issue 3).
const STOCK_CPU_BATCH = 2;
// A 2 x 64 ResNet-18 step needs about 8 GB of live tensors in tfjs (about 62 MB per image),
// more than wasm32's 4 GB heap; wasm runs it at 2 x 16.
const WASM_RESNET_BATCH = 16;

const { values: args } = parseArgs({
  args: Deno.args,
  options: {
    backends: { type: "string" },
    steps: { type: "string", default: "5" },
    encoder: { type: "string", default: "both" },
    "memory-steps": { type: "string" },
    seed: { type: "string", default: "0" },
    batch: { type: "string" },
    "wasm-paths": { type: "string" },
    "batch-norm": { type: "string", default: "fused" },
    "no-onednn": { type: "boolean", default: false },
    learner: { type: "string" },
    "learner-optimizer": { type: "string", default: "adam" },
    rounds: { type: "string", default: "3" },
    peers: { type: "boolean", default: false },
    precision: { type: "string", default: "float32" },
  },
});

function positiveInteger(name: string, text: string): number {
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1) {
    throw new RangeError(`--${name} must be a positive integer, got "${text}"`);
  }
  return value;
}

const steps = positiveInteger("steps", args.steps);
const batchOverride = args.batch === undefined ? undefined : positiveInteger("batch", args.batch);
const seed = Number(args.seed);
const batchNorm = args["batch-norm"] as "fused" | "stock";
if (batchNorm !== "fused" && batchNorm !== "stock") {
  throw new RangeError(`--batch-norm must be fused or stock, got "${batchNorm}"`);
}
const encoders: ReferenceEncoder[] = args.encoder === "both"
  ? ["reference", "resnet18-small"]
  : [args.encoder as ReferenceEncoder];
for (const e of encoders) {
  if (!(e in ENCODERS)) {
    throw new RangeError(
      `--encoder must be reference, resnet18-small, train-default, train-96 or both, got "${e}"`,
    );
  }
}
const askedRows = args.backends?.split(",").map((s) => s.trim()) as Row[] | undefined;
for (const row of askedRows ?? []) {
  if (!ROWS.includes(row)) throw new RangeError(`--backends: unknown "${row}"; use ${ROWS}`);
}

const learner = args.learner as LearnerName | undefined;
if (learner !== undefined && learner !== "simclr" && learner !== "byol") {
  throw new RangeError(`--learner must be simclr or byol, got "${learner}"`);
}
const learnerOptimizer = args["learner-optimizer"] as "adam" | "default";
if (learnerOptimizer !== "adam" && learnerOptimizer !== "default") {
  throw new RangeError(`--learner-optimizer must be adam or default, got "${learnerOptimizer}"`);
}
const rounds = positiveInteger("rounds", args.rounds);
const precision = args.precision as BlasPrecision;
if (precision !== "float32" && precision !== "bfloat16") {
  throw new RangeError(`--precision must be float32 or bfloat16, got "${precision}"`);
}
if (args.peers && (learner !== undefined || args["memory-steps"] !== undefined)) {
  throw new RangeError("--peers runs with the backend table, not with --learner or --memory-steps");
}

tf.enableProdMode();
const stockBatchNormGradient = tf.getGradient("FusedBatchNorm");

/** GFLOP/s of a 1024^3 cblas_sgemm on all cores, best of 5 (undefined without a BLAS). */
function sgemmPeak(): number | undefined {
  let blas;
  try {
    blas = openBlas();
  } catch {
    return undefined;
  }
  const n = 1024;
  const a = new Float32Array(n * n).fill(0.5);
  const b = new Float32Array(n * n).fill(0.25);
  const c = new Float32Array(n * n);
  let best = Infinity;
  for (let i = 0; i < 6; i++) {
    const t0 = performance.now();
    blas.sgemm(false, false, n, n, n, 1, a, n, b, n, 0, c, n);
    if (i > 0) best = Math.min(best, performance.now() - t0);
  }
  blas.close();
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/** The rows this run measures: asked for, or every backend that can run here. */
function availableRows(): Row[] {
  if (askedRows !== undefined) return askedRows;
  return ROWS.filter((row) => {
    if (row === "tensorflow") return findTensorflowPackage() !== undefined;
    if (row === "webgpu") return adapter.available && !adapter.software;
    return row !== "cpu"; // cpu-stock already measures it
  });
}

async function activate(row: Row): Promise<string> {
  if (row === "cpu-stock") {
    await tf.setBackend("cpu");
    tf.registerGradient(stockBatchNormGradient);
    return "tfjs cpu kernels and batch-norm gradient";
  }
  tf.registerGradient(batchNormGradConfig);
  const blas = { oneDnn: !args["no-onednn"] };
  const { reason } = await startBackend(row, {
    wasm: { wasmPaths: args["wasm-paths"] },
    blas,
    fastGradients: true,
  });
  if (row !== "blas") return reason;
  setBlasPrecision(precision);
  return `${reason}; convolutions in ${precision}`;
}

interface Measurement {
  row: Row;
  encoder: ReferenceEncoder;
  batch: number;
  imagesPerSecond: number;
  gflops: number;
  loss: number;
}

async function measure(row: Row, encoder: ReferenceEncoder): Promise<Measurement> {
  const slow = row === "cpu-stock" || row === "cpu";
  let batch = batchOverride ?? ENCODERS[encoder].batch;
  if (slow) batch = Math.min(batch, STOCK_CPU_BATCH);
  if (row === "wasm" && encoder === "resnet18-small") batch = Math.min(batch, WASM_RESNET_BATCH);
  const reference = buildReferenceStep({ batch, seed, encoder, batchNorm });
  try {
    // Warm-up (kernel setup, shader compilation, buffer pools); stock cpu is too slow for it
    // and has none of these to warm.
    if (!slow) await reference.step();
    const rowSteps = slow ? 1 : steps;
    const t0 = performance.now();
    let loss = NaN;
    for (let i = 0; i < rowSteps; i++) loss = await reference.step();
    const seconds = (performance.now() - t0) / 1000;
    return {
      row,
      encoder,
      batch,
      imagesPerSecond: (reference.imagesPerStep * rowSteps) / seconds,
      gflops: (reference.flopsPerStep * rowSteps) / seconds / 1e9,
      loss,
    };
  } finally {
    reference.dispose();
  }
}

function formatTable(results: Measurement[], peak: number | undefined): string {
  const lines = [
    "| encoder | backend | batch | images/s | GFLOP/s | of sgemm peak | x cpu-stock | x wasm | loss |",
    "|---|---|---|---|---|---|---|---|---|",
  ];
  for (const r of results) {
    const base = (row: Row) =>
      results.find((o) => o.encoder === r.encoder && o.row === row)?.imagesPerSecond;
    const ratio = (b: number | undefined) =>
      b === undefined ? "-" : (r.imagesPerSecond / b).toPrecision(3);
    lines.push(
      `| ${r.encoder} | ${r.row} | 2 x ${r.batch} | ${r.imagesPerSecond.toFixed(2)} | ${
        r.gflops.toFixed(2)
      } | ${peak === undefined ? "-" : `${(100 * r.gflops / peak).toFixed(1)}%`} | ${
        ratio(base("cpu-stock"))
      } | ${ratio(base("wasm"))} | ${r.loss.toFixed(4)} |`,
    );
  }
  return lines.join("\n");
}

async function memoryRun(row: Row, total: number): Promise<void> {
  console.log(`${row}: ${await activate(row)}`);
  const batch = batchOverride ?? ENCODERS[encoders[0]!].batch;
  const reference = buildReferenceStep({ batch, seed, encoder: encoders[0], batchNorm });
  console.log(`${encoders[0]} encoder, 2 x ${batch} images per step`);
  // oneDNN's bfloat16 copies of convolution inputs (blas), which live outside tfjs's count.
  const dnnl = row === "blas"
    ? (tf.findBackend("blas") as unknown as BlasBackend).oneDnn
    : undefined;
  console.log(
    "| step | loss | tf tensors | tf MB | RSS MB | JS heap MB (used / reserved) | array buffers MB | " +
      "bf16 copies | images/s |\n|---|---|---|---|---|---|---|---|---|",
  );
  let t0 = performance.now();
  let since = 0;
  for (let i = 1; i <= total; i++) {
    const loss = await reference.step();
    since++;
    if (i === 1 || i % Math.max(1, Math.floor(total / 10)) === 0 || i === total) {
      const rate = (reference.imagesPerStep * since) / ((performance.now() - t0) / 1000);
      const { numTensors, numBytes } = tf.memory();
      const { rss, heapUsed, heapTotal, external } = Deno.memoryUsage();
      const copies = dnnl?.keptCopies();
      const mb = (bytes: number) => (bytes / 2 ** 20).toFixed(1);
      console.log(
        `| ${i} | ${loss.toFixed(4)} | ${numTensors} | ${mb(numBytes)} | ${mb(rss)} | ${
          mb(heapUsed)
        } / ${mb(heapTotal)} | ${mb(external)} | ${
          copies === undefined ? "-" : `${copies.count} (${mb(copies.bytes)} MB)`
        } | ${rate.toFixed(1)} |`,
      );
      t0 = performance.now();
      since = 0;
    }
  }
  reference.dispose();
}

/** Images per second of `steps` steps after one warm-up step. */
async function timeSteps(step: ReferenceStep): Promise<number> {
  await step.step();
  const t0 = performance.now();
  for (let i = 0; i < steps; i++) await step.step();
  return (step.imagesPerStep * steps) / ((performance.now() - t0) / 1000);
}

/** The learner's step against the bare reference step, alternating, on one backend. */
async function learnerRun(row: Row, which: LearnerName): Promise<void> {
  console.log(`${row}: ${await activate(row)}`);
  // One encoder: the one named, or the reference for "both" (the default).
  const encoder = encoders.length === 1 ? encoders[0] : "reference";
  const batch = batchOverride ?? ENCODERS[encoder].batch;
  const bare = buildReferenceStep({ batch, seed, encoder, batchNorm });
  const whole = buildLearnerStep({
    batch,
    seed,
    encoder,
    batchNorm,
    learner: which,
    optimizer: learnerOptimizer,
  });
  console.log(
    `${ENCODERS[encoder].label.replace(/\(.*\)/, "").trim()} encoder, 2 x ${batch} images ` +
      `per step, ${steps} timed steps per round, ` +
      `learner optimizer ${
        learnerOptimizer === "adam" ? "Adam 1e-3 (as the bare step)" : "its default"
      }`,
  );
  console.log(
    `| round | bare step images/s | ${which} step images/s | ${which} / bare time |\n|---|---|---|---|`,
  );
  const ratios: number[] = [];
  try {
    for (let r = 1; r <= rounds; r++) {
      const bareRate = await timeSteps(bare);
      const wholeRate = await timeSteps(whole);
      ratios.push(bareRate / wholeRate);
      console.log(
        `| ${r} | ${bareRate.toFixed(1)} | ${wholeRate.toFixed(1)} | ${
          (bareRate / wholeRate).toFixed(3)
        } |`,
      );
    }
  } finally {
    bare.dispose();
    whole.dispose();
  }
  const sorted = ratios.slice().sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)]!;
  console.log(
    `\n${which} step time / bare reference step time: median ${median.toFixed(3)} ` +
      `over ${rounds} rounds (min ${sorted[0]!.toFixed(3)}, max ${sorted.at(-1)!.toFixed(3)})`,
  );
}

const PEER_SCRIPT = fileURLToPath(new URL("./peers/torch_reference_step.py", import.meta.url));
const PEER_MODES = ["float32", "channels-last", "bf16"] as const;

// Debian's python3-torch installs into /usr/bin/python3, which a pyenv or venv python3 on the
// PATH hides.
const PEER_PYTHONS = ["python3", "/usr/bin/python3"];

/** The first of {@linkcode PEER_PYTHONS} where `import torch` works, if any. */
async function findPeerPython(): Promise<string | undefined> {
  for (const python of PEER_PYTHONS) {
    try {
      const probe = await new Deno.Command(python, {
        args: ["-c", "import torch"],
        stdout: "null",
        stderr: "null",
      }).output();
      if (probe.success) return python;
    } catch {
      // No such interpreter: try the next.
    }
  }
  return undefined;
}

/** What the PyTorch twin reports about its network (`--info`). */
interface PeerInfo {
  torch: string;
  threads: number;
  parameters: number;
  buffers: number;
  shapes: Record<string, number[]>;
  projection: number[];
  bf16: string | null;
}

/** The JSON lines of a child's stdout. */
async function* jsonLines(stream: ReadableStream<Uint8Array>): AsyncGenerator<unknown> {
  let text = "";
  for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
    text += chunk;
    for (let end = text.indexOf("\n"); end >= 0; end = text.indexOf("\n")) {
      yield JSON.parse(text.slice(0, end));
      text = text.slice(end + 1);
    }
  }
}

function median(values: number[]): number {
  const sorted = values.slice().sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** Our parameter counts and layer output shapes against the twin's; the differences. */
function compareWithPeer(peer: PeerInfo, batch: number, which: ReferenceEncoder): string[] {
  const { encoder, head } = buildReferenceModels({ seed, encoder: which, batchNorm });
  const size = (ws: tf.LayerVariable[]) => ws.reduce((n, w) => n + w.read().size, 0);
  const trainable = size(encoder.trainableWeights) + size(head.trainableWeights);
  const moving = size(encoder.nonTrainableWeights) + size(head.nonTrainableWeights);
  const kinds = [
    "Conv2D",
    "SelfsupPaddedConv2D",
    "Dense",
    "BatchNormalization",
    "GlobalAveragePooling2D",
  ];
  const ours: Record<string, number[]> = {};
  for (const layer of [...encoder.layers, ...head.layers]) {
    if (kinds.includes(layer.getClassName())) {
      ours[layer.name] = (layer.outputShape as number[]).slice(1);
    }
  }
  const projection = [2 * batch, head.outputs[0]!.shape[1] as number];
  encoder.dispose();
  head.dispose();
  console.log(
    `parameters: selfsup ${trainable} trainable + ${moving} batch-norm moving statistics; ` +
      `PyTorch ${peer.parameters} + ${peer.buffers}`,
  );
  const names = [...new Set([...Object.keys(ours), ...Object.keys(peer.shapes)])];
  const differences = names
    .filter((name) => JSON.stringify(ours[name]) !== JSON.stringify(peer.shapes[name]))
    .map((name) =>
      `${name}: selfsup [${ours[name] ?? "none"}], PyTorch [${peer.shapes[name] ?? "none"}]`
    );
  if (trainable !== peer.parameters || moving !== peer.buffers) {
    differences.push("parameter counts");
  }
  if (JSON.stringify(projection) !== JSON.stringify(peer.projection)) {
    differences.push(`projections: selfsup [${projection}], PyTorch [${peer.projection}]`);
  }
  console.log(
    `layer output shapes (NHWC per image): ${names.length - differences.length} of ` +
      `${names.length} layers equal; projections selfsup [${projection}], PyTorch [${peer.projection}]`,
  );
  return differences;
}

/** Our blas reference step against its PyTorch twin (bench/peers/), alternating rounds. */
async function peersRun(): Promise<void> {
  const python = await findPeerPython();
  if (python === undefined) {
    console.log(`\npeers: skipped, no PyTorch here (import torch fails in ${PEER_PYTHONS})`);
    return;
  }
  try {
    await activate("blas");
  } catch (error) {
    console.log(`\npeers: skipped, the blas backend does not start: ${(error as Error).message}`);
    return;
  }
  // One encoder: the one named, or the reference for "both" (the default).
  const which = encoders.length === 1 ? encoders[0]! : "reference";
  const batch = batchOverride ?? ENCODERS[which].batch;
  const child = new Deno.Command(python, {
    args: [
      PEER_SCRIPT,
      "--serve",
      "--encoder",
      which,
      "--batch",
      `${batch}`,
      "--seed",
      `${seed}`,
    ],
    stdin: "piped",
    stdout: "piped",
  }).spawn();
  const replies = jsonLines(child.stdout);
  const writer = child.stdin.getWriter();
  const next = async () => {
    const reply = await replies.next();
    if (reply.done) throw new Error(`${PEER_SCRIPT} exited early`);
    return reply.value;
  };
  const ours = buildReferenceStep({ batch, seed, encoder: which, batchNorm });
  try {
    const peer = await next() as PeerInfo;
    console.log(
      `\n## PyTorch twin (${python} ${PEER_SCRIPT}): torch ${peer.torch}, ${peer.threads} threads, ` +
        `${which} encoder, 2 x ${batch} images per step, ${steps} timed steps per round`,
    );
    const differences = compareWithPeer(peer, batch, which);
    if (differences.length > 0) {
      throw new Error(`the twin is not the same network: ${differences.join("; ")}`);
    }
    const modes = PEER_MODES.filter((mode) => mode !== "bf16" || peer.bf16 === null);
    if (peer.bf16 !== null) console.log(`PyTorch bf16: skipped, ${peer.bf16}`);
    const support = blasBfloat16Support();
    const precisions: BlasPrecision[] = support.supported ? ["float32", "bfloat16"] : ["float32"];
    if (!support.supported) console.log(`selfsup bfloat16: skipped, ${support.reason}`);
    // PyTorch's bf16 autocast is compared with our bfloat16 step, the rest with our float32.
    const oursFor = (mode: string): BlasPrecision =>
      mode === "bf16" && support.supported ? "bfloat16" : "float32";
    // Keyed "selfsup <precision>" and "PyTorch <mode>" (both sides have a "float32").
    const rates = new Map<string, number[]>([
      ...precisions.map((p) => [`selfsup ${p}`, []] as [string, number[]]),
      ...modes.map((m) => [`PyTorch ${m}`, []] as [string, number[]]),
    ]);
    const ratios = new Map<string, number[]>(modes.map((m) => [m, []]));
    console.log(
      "images/s per round; ratio: selfsup's images/s / PyTorch's (above 1: we are faster), " +
        "PyTorch bf16 against selfsup bfloat16 where it runs, the others against float32",
    );
    const columns = [
      ...precisions.map((p) => `selfsup blas ${p}`),
      ...modes.map((m) => `PyTorch ${m} | ratio`),
    ];
    console.log(
      `| round | ${columns.join(" | ")} |\n` +
        `|---|${precisions.map(() => "---|").join("")}${modes.map(() => "---|---|").join("")}`,
    );
    for (let r = 1; r <= rounds; r++) {
      const mine = new Map<BlasPrecision, number>();
      for (const p of precisions) {
        setBlasPrecision(p);
        mine.set(p, await timeSteps(ours));
        rates.get(`selfsup ${p}`)!.push(mine.get(p)!);
      }
      setBlasPrecision(precision);
      const cells = [`${r}`, ...precisions.map((p) => mine.get(p)!.toFixed(1))];
      for (const mode of modes) {
        await writer.write(new TextEncoder().encode(`${mode} ${steps}\n`));
        const reply = await next() as { imagesPerSecond?: number; error?: string };
        if (reply.imagesPerSecond === undefined) throw new Error(`PyTorch ${mode}: ${reply.error}`);
        const ratio = mine.get(oursFor(mode))! / reply.imagesPerSecond;
        rates.get(`PyTorch ${mode}`)!.push(reply.imagesPerSecond);
        ratios.get(mode)!.push(ratio);
        cells.push(reply.imagesPerSecond.toFixed(1), ratio.toFixed(3));
      }
      console.log(`| ${cells.join(" | ")} |`);
    }
    const medians = [
      ...precisions.map((p) => median(rates.get(`selfsup ${p}`)!).toFixed(1)),
      ...modes.map((m) =>
        `${median(rates.get(`PyTorch ${m}`)!).toFixed(1)} | ${median(ratios.get(m)!).toFixed(3)}`
      ),
    ];
    console.log(`| median | ${medians.join(" | ")} |`);
  } finally {
    ours.dispose();
    await writer.close().catch(() => {});
    const status = await child.status;
    if (!status.success) console.log(`peers: ${PEER_SCRIPT} exited with ${status.code}`);
  }
}

const machine = `${Deno.build.os} ${Deno.build.arch}, ${navigator.hardwareConcurrency} cores, ` +
  `Deno ${Deno.version.deno}, tfjs ${tf.version.tfjs}`;
console.log(`# bench ${new Date().toISOString()} on ${machine}, batch norm ${batchNorm}`);
const adapter = await probeWebGpu();
console.log(`webgpu adapter: ${adapter.description}${adapter.software ? " (software)" : ""}`);

if (learner !== undefined) {
  const row = askedRows?.[0] ?? (await startBackend("auto")).name;
  await learnerRun(row, learner);
} else if (args["memory-steps"] !== undefined) {
  const total = positiveInteger("memory-steps", args["memory-steps"]);
  const row = askedRows?.[0] ?? (await startBackend("auto")).name;
  await memoryRun(row, total);
} else {
  const peak = sgemmPeak();
  console.log(
    peak === undefined
      ? "sgemm peak: no BLAS library (fractions of peak omitted)"
      : `sgemm peak (1024^3 cblas_sgemm, all cores): ${peak.toFixed(1)} GFLOP/s`,
  );
  const rows = availableRows();
  const results: Measurement[] = [];
  for (const encoder of encoders) {
    for (const row of rows) {
      try {
        const why = await activate(row);
        const result = await measure(row, encoder);
        results.push(result);
        console.log(
          `${encoder} ${row}: ${result.imagesPerSecond.toFixed(2)} images/s, ` +
            `${result.gflops.toFixed(2)} GFLOP/s, loss ${result.loss.toFixed(4)} (${why})`,
        );
      } catch (error) {
        console.log(`${encoder} ${row}: skipped, ${(error as Error).message}`);
      }
    }
  }
  console.log(`\n${formatTable(results, peak)}`);
  if (args.peers) await peersRun();
}
