// Float64 reference operations of the encoders' tests, written from the definitions (PyTorch
// semantics: symmetric padding, max-pool padding that never wins), independent of tfjs. The
// operations heads' tests need too (moments, normalize, relu, ...) are in internal/testing.ts.
import type * as tf from "@tensorflow/tfjs";
import type { F64 } from "../internal/testing.ts";

/** Convolution of x [N, H, W, C] with k [kh, kw, C, F], zero padding `pad` on every side. */
export function conv2d(x: F64, k: F64, stride: number, pad: number): F64 {
  const [n, h, w, c] = x.shape;
  const [kh, kw, , f] = k.shape;
  const oh = Math.floor((h + 2 * pad - kh) / stride) + 1;
  const ow = Math.floor((w + 2 * pad - kw) / stride) + 1;
  const out = new Float64Array(n * oh * ow * f);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let o = 0; o < f; o++) {
          let sum = 0;
          for (let di = 0; di < kh; di++) {
            const r = i * stride - pad + di;
            if (r < 0 || r >= h) continue;
            for (let dj = 0; dj < kw; dj++) {
              const s = j * stride - pad + dj;
              if (s < 0 || s >= w) continue;
              for (let ci = 0; ci < c; ci++) {
                sum += x.data[((b * h + r) * w + s) * c + ci] *
                  k.data[((di * kw + dj) * c + ci) * f + o];
              }
            }
          }
          out[((b * oh + i) * ow + j) * f + o] = sum;
        }
      }
    }
  }
  return { data: out, shape: [n, oh, ow, f] };
}

/**
 * Max-pool of x [N, H, W, C] with a `size` window, `stride`, `padBefore` rows/columns of
 * padding before; windows are clipped to the image, so padding never wins.
 */
export function maxPool(
  x: F64,
  size: number,
  stride: number,
  padBefore: number,
  out: number[],
): F64 {
  const [n, h, w, c] = x.shape;
  const [oh, ow] = out;
  const data = new Float64Array(n * oh * ow * c);
  for (let b = 0; b < n; b++) {
    for (let i = 0; i < oh; i++) {
      for (let j = 0; j < ow; j++) {
        for (let ci = 0; ci < c; ci++) {
          let m = -Infinity;
          for (let di = 0; di < size; di++) {
            const r = i * stride - padBefore + di;
            if (r < 0 || r >= h) continue;
            for (let dj = 0; dj < size; dj++) {
              const s = j * stride - padBefore + dj;
              if (s < 0 || s >= w) continue;
              m = Math.max(m, x.data[((b * h + r) * w + s) * c + ci]);
            }
          }
          data[((b * oh + i) * ow + j) * c + ci] = m;
        }
      }
    }
  }
  return { data, shape: [n, oh, ow, c] };
}

/** Elementwise sum of two arrays of the same shape. */
export function add(a: F64, b: F64): F64 {
  return { data: a.data.map((v, i) => v + b.data[i]), shape: a.shape };
}

/** Mean over H and W of [N, H, W, C], giving [N, C]. */
export function globalAveragePool(x: F64): F64 {
  const [n, h, w, c] = x.shape;
  const data = new Float64Array(n * c);
  x.data.forEach((v, i) => {
    const b = Math.floor(i / (h * w * c));
    data[b * c + (i % c)] += v / (h * w);
  });
  return { data, shape: [n, c] };
}

/**
 * Whether `weight` belongs to a batch norm: the weights inference-mode checks randomise (with
 * internal/testing.ts's randomizeWeights), so they are not at their initial 1 and 0.
 */
export function isBatchNorm(weight: tf.LayerVariable): boolean {
  return /(gamma|beta|moving_mean|moving_variance)$/.test(weight.originalName);
}
