/**
 * `deno task bench:gemm`: GFLOP/s of `cblas_sgemm` on the GEMMs the blas backend runs for the
 * reference step's convolutions (batch 2 x 128), next to a square 1024^3 product: what the
 * library gives on this model's narrow shapes, whatever the JavaScript around it does.
 *
 * ```sh
 * deno task bench:gemm                          # OpenBLAS, 1 and all cores
 * deno task bench:gemm --threads 2
 * BLIS_NUM_THREADS=2 deno task bench:gemm --library /usr/lib/x86_64-linux-gnu/blis-pthread/libblis.so.4
 * ```
 *
 * `--threads` sets OpenBLAS's thread count (a comma list, default `1,<cores>`); other libraries
 * read their own settings (BLIS: `BLIS_NUM_THREADS`). Each figure is the best of 5 calls after
 * one warm-up call.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { openBlas } from "../backends/blas/ffi.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    library: { type: "string" },
    threads: { type: "string", default: `1,${navigator.hardwareConcurrency}` },
  },
});
const threadCounts = values.threads.split(",").map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`--threads must be positive integers, got "${values.threads}"`);
  }
  return n;
});

interface Shape {
  what: string;
  transA: boolean;
  m: number;
  n: number;
  k: number;
}

// Rows of a 2 x 128 batch at 28x28 (padded grid 30x30), 14x14 and 7x7.
const GRID = 256 * 30 * 30;
const ROWS14 = 256 * 14 * 14;
const ROWS7 = 256 * 7 * 7;
const SHAPES: Shape[] = [
  { what: "square 1024^3", transA: false, m: 1024, n: 1024, k: 1024 },
  { what: "28x28 3x3 32->32, one tap (grid)", transA: false, m: GRID, n: 32, k: 32 },
  { what: "28x28 3x3 32->32 as im2col", transA: false, m: GRID, n: 32, k: 288 },
  { what: "14x14 3x3 64->64 im2col", transA: false, m: ROWS14, n: 64, k: 576 },
  { what: "7x7 3x3 128->128 im2col", transA: false, m: ROWS7, n: 128, k: 1152 },
  { what: "28x28 filter gradient, one tap", transA: true, m: 32, n: 32, k: GRID },
  { what: "28x28 filter gradient as im2col", transA: true, m: 288, n: 32, k: GRID },
  { what: "14x14 filter gradient im2col", transA: true, m: 576, n: 64, k: ROWS14 },
];

const blas = openBlas({ libraryPath: values.library });
console.log(
  `# bench:gemm ${new Date().toISOString()}, ${blas.path}, ` +
    `${navigator.hardwareConcurrency} cores`,
);

function gflops(s: Shape): number {
  const a = new Float32Array(s.m * s.k).fill(0.5);
  const b = new Float32Array(s.k * s.n).fill(0.25);
  const c = new Float32Array(s.m * s.n);
  const lda = s.transA ? s.m : s.k;
  const run = () => blas.sgemm(s.transA, false, s.m, s.n, s.k, 1, a, lda, b, s.n, 0, c, s.n);
  run();
  let best = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    run();
    best = Math.min(best, performance.now() - t0);
  }
  return (2 * s.m * s.n * s.k) / (best / 1000) / 1e9;
}

const header = threadCounts.map((t) => `${t} thread${t > 1 ? "s" : ""}`);
console.log(`| GEMM | M x N x K | ${header.join(" | ")} |`);
console.log(`|---|---|${header.map(() => "---|").join("")}`);
const results = SHAPES.map(() => [] as number[]);
for (const threads of threadCounts) {
  blas.setThreads(threads);
  SHAPES.forEach((s, i) => results[i]!.push(gflops(s)));
}
SHAPES.forEach((s, i) => {
  const cells = results[i]!.map((g, j) =>
    `${g.toFixed(1)} (${(100 * g / results[0]![j]!).toFixed(0)}%)`
  );
  console.log(`| ${s.what} | ${s.m} x ${s.n} x ${s.k} | ${cells.join(" | ")} |`);
});
console.log("GFLOP/s (percent of the square product with the same threads)");
blas.close();
