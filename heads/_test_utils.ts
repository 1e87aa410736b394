// The float64 reference operation only the heads' tests need, independent of tfjs. Those the
// encoders' tests need too (moments, normalize, relu, randomizeWeights, ...) are in
// internal/testing.ts.
import type { F64 } from "../internal/testing.ts";

/** x [N, I] times kernel [I, O] (row-major), plus an optional bias [O]. */
export function dense(x: F64, kernel: F64, bias?: F64): F64 {
  const [rows, inputs] = x.shape;
  const cols = kernel.shape[1];
  const data = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    for (let o = 0; o < cols; o++) {
      let sum = bias ? bias.data[o] : 0;
      for (let i = 0; i < inputs; i++) sum += x.data[r * inputs + i] * kernel.data[i * cols + o];
      data[r * cols + o] = sum;
    }
  }
  return { data, shape: [rows, cols] };
}
