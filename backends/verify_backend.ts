import * as tf from "@tensorflow/tfjs";
import { batchNormTraining } from "@selfsup/encoders";

// Float64 references of the checks, computed here rather than typed in.
function referenceConv(x: number[], w: number[], size: number, k: number): number[] {
  const out: number[] = [];
  const half = (k - 1) / 2;
  for (let r = 0; r < size; r++) {
    for (let c = 0; c < size; c++) {
      let sum = 0;
      for (let i = 0; i < k; i++) {
        for (let j = 0; j < k; j++) {
          const rr = r + i - half;
          const cc = c + j - half;
          if (rr >= 0 && rr < size && cc >= 0 && cc < size) {
            sum += x[rr * size + cc]! * w[i * k + j]!;
          }
        }
      }
      out.push(sum);
    }
  }
  return out;
}

function referenceFilterGradient(x: number[], size: number, k: number): number[] {
  // d(sum of conv)/dw[i, j] is the sum of x over the positions that tap (i, j) reads.
  const ones = new Array(size * size).fill(1);
  const out: number[] = [];
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < k; j++) {
      const tap = new Array(k * k).fill(0);
      tap[i * k + j] = 1;
      out.push(referenceConv(x, tap, size, k).reduce((a, b, n) => a + b * ones[n]!, 0));
    }
  }
  return out;
}

/**
 * Batch normalisation of x [n, c] with its own batch statistics, and the gradients of
 * sum(y * w) with respect to x, gamma and beta (the formulas of Ioffe and Szegedy, 2015).
 */
function referenceBatchNorm(
  x: number[],
  w: number[],
  gamma: number[],
  beta: number[],
  c: number,
  epsilon: number,
): { y: number[]; dx: number[]; dgamma: number[]; dbeta: number[] } {
  const n = x.length / c;
  const y = new Array<number>(x.length);
  const dx = new Array<number>(x.length);
  const dgamma = new Array<number>(c);
  const dbeta = new Array<number>(c);
  for (let j = 0; j < c; j++) {
    const column = (a: number[]) => Array.from({ length: n }, (_, i) => a[i * c + j]!);
    const [xs, dys] = [column(x), column(w)];
    const mean = xs.reduce((a, b) => a + b, 0) / n;
    const variance = xs.reduce((a, b) => a + (b - mean) ** 2, 0) / n;
    const r = 1 / Math.sqrt(variance + epsilon);
    const xhat = xs.map((v) => (v - mean) * r);
    const sumDy = dys.reduce((a, b) => a + b, 0);
    const sumDyXhat = dys.reduce((a, dy, i) => a + dy * xhat[i]!, 0);
    dgamma[j] = sumDyXhat;
    dbeta[j] = sumDy;
    for (let i = 0; i < n; i++) {
      y[i * c + j] = xhat[i]! * gamma[j]! + beta[j]!;
      dx[i * c + j] = (gamma[j]! * r / n) * (n * dys[i]! - sumDy - xhat[i]! * sumDyXhat);
    }
  }
  return { y, dx, dgamma, dbeta };
}

function assertClose(what: string, got: ArrayLike<number>, want: number[]): void {
  const bad = want.findIndex((v, i) => !(Math.abs(got[i]! - v) <= 1e-3 * (1 + Math.abs(v))));
  if (got.length !== want.length || bad >= 0) {
    throw new Error(
      `the ${tf.getBackend()} backend computes ${what} wrongly: got [${
        Array.from(got).join(", ")
      }], want [${want.join(", ")}]`,
    );
  }
}

/**
 * Checks the active backend on a small convolution, its filter gradient, a matrix product and
 * a training batch norm (`batchNormTraining` of `@selfsup/encoders`, the blas backend's oneDNN
 * kernel where it runs: forward and the gradients of x, gamma and beta) against float64
 * references, reading results asynchronously (so GPU backends work too).
 *
 * @returns When every check passes.
 * @throws {Error} Naming the computation that gave wrong values, with got and wanted values.
 * @example
 * ```ts
 * import * as tf from "@tensorflow/tfjs";
 * import { verifyBackend } from "@selfsup/backends";
 *
 * tf.enableProdMode();
 * await tf.setBackend("cpu");
 * await verifyBackend(); // throws if the backend computes wrongly
 * ```
 */
export async function verifyBackend(): Promise<void> {
  const size = 5;
  const k = 3;
  const x = Array.from({ length: size * size }, (_, i) => (i % 7) - 3);
  const w = Array.from({ length: k * k }, (_, i) => (i % 4) / 2 - 0.5);
  const a = [1, 2, 3, 4, 5, 6];
  const b = [7, 8, 9, 10, 11, 12];
  // Batch norm of 4 rows of 3 channels.
  const channels = 3;
  const bx = Array.from({ length: 12 }, (_, i) => ((i * 5) % 7) - 2.5);
  const bw = Array.from({ length: 12 }, (_, i) => ((i * 3) % 5) / 4 - 0.5);
  const gamma = [1.5, 0.5, -1];
  const beta = [0.25, 0, -0.5];
  const epsilon = 1e-3;
  const results = tf.tidy(() => {
    const input = tf.tensor4d(x, [1, size, size, 1]);
    const convolve = (filter: tf.Tensor4D) => tf.conv2d(input, filter, 1, "same");
    const filter = tf.tensor4d(w, [k, k, 1, 1]);
    const gradient = tf.grad((f) => tf.sum(convolve(f as tf.Tensor4D)))(filter);
    const weights = tf.tensor2d(bw, [4, channels]);
    const normalise = (x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      batchNormTraining(x, g, b, epsilon).y;
    const normInputs = [tf.tensor2d(bx, [4, channels]), tf.tensor1d(gamma), tf.tensor1d(beta)];
    const normGradients = tf.grads((x: tf.Tensor, g: tf.Tensor, b: tf.Tensor) =>
      tf.sum(tf.mul(normalise(x, g, b), weights))
    )(normInputs);
    return [
      convolve(filter),
      gradient,
      tf.matMul(tf.tensor2d(a, [2, 3]), tf.tensor2d(b, [3, 2])),
      normalise(normInputs[0]!, normInputs[1]!, normInputs[2]!),
      ...normGradients,
    ];
  });
  const norm = referenceBatchNorm(bx, bw, gamma, beta, channels, epsilon);
  const [conv, filterGradient, product, normalised, dx, dgamma, dbeta] = results;
  try {
    assertClose("a 5x5 convolution", await conv!.data(), referenceConv(x, w, size, k));
    assertClose(
      "a filter gradient",
      await filterGradient!.data(),
      referenceFilterGradient(x, size, k),
    );
    assertClose("a matrix product", await product!.data(), [58, 64, 139, 154]);
    assertClose("a training batch norm", await normalised!.data(), norm.y);
    assertClose("a batch-norm input gradient", await dx!.data(), norm.dx);
    assertClose("a batch-norm scale gradient", await dgamma!.data(), norm.dgamma);
    assertClose("a batch-norm offset gradient", await dbeta!.data(), norm.dbeta);
  } finally {
    tf.dispose(results);
  }
}
