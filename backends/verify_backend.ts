import * as tf from "@tensorflow/tfjs";

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
 * Checks the active backend on a small convolution, its filter gradient and a matrix product
 * against float64 references, reading results asynchronously (so GPU backends work too).
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
  const [conv, filterGradient, product] = tf.tidy(() => {
    const input = tf.tensor4d(x, [1, size, size, 1]);
    const convolve = (filter: tf.Tensor4D) => tf.conv2d(input, filter, 1, "same");
    const filter = tf.tensor4d(w, [k, k, 1, 1]);
    const gradient = tf.grad((f) => tf.sum(convolve(f as tf.Tensor4D)))(filter);
    return [convolve(filter), gradient, tf.matMul(tf.tensor2d(a, [2, 3]), tf.tensor2d(b, [3, 2]))];
  });
  try {
    assertClose("a 5x5 convolution", await conv.data(), referenceConv(x, w, size, k));
    assertClose(
      "a filter gradient",
      await filterGradient.data(),
      referenceFilterGradient(x, size, k),
    );
    assertClose("a matrix product", await product.data(), [58, 64, 139, 154]);
  } finally {
    tf.dispose([conv, filterGradient, product]);
  }
}
