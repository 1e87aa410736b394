/**
 * The float32 `CropAndResize` kernel (NHWC), which the augmentations' random resized crops and
 * flips run once a batch. The cpu kernel recomputes, for every output element, four or five
 * flat indices from stride arrays (about 30 multiplications and additions) and, for every
 * output pixel, the source coordinate and its floor and ceiling; at 96x96x3 that made
 * crop-and-resize the largest part of augmenting a batch. Here each box first places its output
 * rows and its output columns once (source offsets and lerp weights in typed arrays), and the
 * inner loop over a row's pixels and channels only loads, blends and stores.
 *
 * Results are the cpu kernel's bit for bit: the same float64 formulas in the same order (source
 * coordinate `y1 * (H - 1) + y * scale` with `scale = (y2 - y1) * (H - 1) / (cropH - 1)`, the
 * centre `0.5 * (y1 + y2) * (H - 1)` for a crop of one row, `top + (bottom - top) * yLerp`
 * with `top` and `bottom` lerped across first), rounded to float32 once at the store; samples
 * outside `[0, H - 1]` or `[0, W - 1]` take `extrapolationValue`, and a box whose image index is
 * `>= batch` gives zeros, as there. Other dtypes, boxes with a NaN or infinite coordinate and
 * negative image indices (the cpu kernel reads outside the image there, which gives NaN) run
 * the cpu kernel.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { type BlasKernelArgs, cpuKernel } from "./_util.ts";

/** Where the samples along one axis of a crop fall: one entry per output row or column. */
interface Placement {
  /** Offset of the floor (bilinear) or nearest (nearest) source row or column; -1 outside. */
  lo: Int32Array;
  /** Offset of the ceiling source row or column (bilinear only). */
  hi: Int32Array;
  /** The coordinate minus its floor (bilinear only). */
  lerp: Float64Array;
}

function placement(n: number): Placement {
  return { lo: new Int32Array(n), hi: new Int32Array(n), lerp: new Float64Array(n) };
}

/**
 * Places `n` samples between the normalised ends `a` and `b` of an axis of `size` pixels whose
 * steps are `stride` elements apart, with the cpu kernel's formulas. With finite float32 ends
 * the coordinates are finite, so every sample is inside or outside.
 */
function place(
  p: Placement,
  n: number,
  a: number,
  b: number,
  size: number,
  stride: number,
  bilinear: boolean,
): void {
  const scale = n > 1 ? (b - a) * (size - 1) / (n - 1) : 0;
  const { lo, hi, lerp } = p;
  for (let i = 0; i < n; i++) {
    const at = n > 1 ? a * (size - 1) + i * scale : 0.5 * (a + b) * (size - 1);
    if (at < 0 || at > size - 1) {
      lo[i] = -1;
    } else if (bilinear) {
      const floor = Math.floor(at);
      lo[i] = floor * stride;
      hi[i] = Math.ceil(at) * stride;
      lerp[i] = at - floor;
    } else {
      lo[i] = Math.round(at) * stride;
    }
  }
}

/** The cpu kernel's blend, in its order of operations. */
function blend(tl: number, tr: number, bl: number, br: number, xl: number, yl: number): number {
  const top = tl + (tr - tl) * xl;
  const bottom = bl + (br - bl) * xl;
  return top + (bottom - top) * yl;
}

/** One bilinear output row from source rows at `top` and `bottom` (element offsets). */
function bilinearRow(
  xv: Float32Array,
  top: number,
  bottom: number,
  yl: number,
  cols: Placement,
  width: number,
  c: number,
  out: Float32Array,
  o: number,
  fill: number,
): void {
  const { lo, hi, lerp } = cols;
  if (c === 3) {
    for (let x = 0; x < width; x++, o += 3) {
      const l = lo[x];
      if (l < 0) {
        out[o] = fill;
        out[o + 1] = fill;
        out[o + 2] = fill;
        continue;
      }
      const tl = top + l, tr = top + hi[x], bl = bottom + l, br = bottom + hi[x];
      const xl = lerp[x];
      out[o] = blend(xv[tl], xv[tr], xv[bl], xv[br], xl, yl);
      out[o + 1] = blend(xv[tl + 1], xv[tr + 1], xv[bl + 1], xv[br + 1], xl, yl);
      out[o + 2] = blend(xv[tl + 2], xv[tr + 2], xv[bl + 2], xv[br + 2], xl, yl);
    }
  } else if (c === 1) {
    for (let x = 0; x < width; x++, o++) {
      const l = lo[x];
      if (l < 0) {
        out[o] = fill;
        continue;
      }
      const r = hi[x];
      out[o] = blend(xv[top + l], xv[top + r], xv[bottom + l], xv[bottom + r], lerp[x], yl);
    }
  } else {
    for (let x = 0; x < width; x++, o += c) {
      const l = lo[x];
      if (l < 0) {
        for (let k = 0; k < c; k++) out[o + k] = fill;
        continue;
      }
      const tl = top + l, tr = top + hi[x], bl = bottom + l, br = bottom + hi[x];
      const xl = lerp[x];
      for (let k = 0; k < c; k++) {
        out[o + k] = blend(xv[tl + k], xv[tr + k], xv[bl + k], xv[br + k], xl, yl);
      }
    }
  }
}

/** One nearest-neighbour output row from the source row at `row` (an element offset). */
function nearestRow(
  xv: Float32Array,
  row: number,
  cols: Placement,
  width: number,
  c: number,
  out: Float32Array,
  o: number,
  fill: number,
): void {
  const { lo } = cols;
  for (let x = 0; x < width; x++, o += c) {
    const l = lo[x];
    if (l < 0) {
      for (let k = 0; k < c; k++) out[o + k] = fill;
    } else {
      for (let k = 0, i = row + l; k < c; k++) out[o + k] = xv[i + k];
    }
  }
}

/**
 * The `CropAndResize` kernel: inputs `image` (NHWC), `boxes` ([numBoxes, 4] normalised
 * `[y1, x1, y2, x2]`, reversed ends flip) and `boxInd`; attributes `cropSize`, `method`
 * ("bilinear", else nearest) and `extrapolationValue`.
 */
export function cropAndResize(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { image, boxes, boxInd } = inputs;
  const [cropHeight, cropWidth] = attrs.cropSize as [number, number];
  const [batch, height, width, c] = image.shape as [number, number, number, number];
  if (
    image.dtype !== "float32" || boxes.dtype !== "float32" || boxInd.dtype !== "int32" ||
    !Number.isInteger(cropHeight) || !Number.isInteger(cropWidth) ||
    height * width * c > 2 ** 31 - 1 // offsets live in Int32Arrays
  ) {
    return cpuKernel("CropAndResize", args) as tf.TensorInfo;
  }
  const box = backend.f32(boxes);
  const imageOf = backend.data.get(boxInd.dataId).values as Int32Array;
  if (!box.every(Number.isFinite) || imageOf.some((i) => i < 0)) {
    return cpuKernel("CropAndResize", args) as tf.TensorInfo;
  }
  const bilinear = attrs.method === "bilinear";
  const fill = attrs.extrapolationValue as number;
  const xv = backend.f32(image);
  const numBoxes = boxes.shape[0];
  const rowStride = width * c;
  const imageSize = height * rowStride;
  const rowLength = cropWidth * c;
  const boxLength = cropHeight * rowLength;
  const out = backend.alloc(numBoxes * boxLength);
  const rows = placement(cropHeight);
  const cols = placement(cropWidth);
  for (let b = 0; b < numBoxes; b++) {
    const first = b * boxLength;
    const which = imageOf[b];
    if (which >= batch) {
      out.fill(0, first, first + boxLength);
      continue;
    }
    place(rows, cropHeight, box[4 * b], box[4 * b + 2], height, rowStride, bilinear);
    place(cols, cropWidth, box[4 * b + 1], box[4 * b + 3], width, c, bilinear);
    const base = which * imageSize;
    for (let y = 0, o = first; y < cropHeight; y++, o += rowLength) {
      const top = rows.lo[y];
      if (top < 0) {
        out.fill(fill, o, o + rowLength);
      } else if (bilinear) {
        bilinearRow(
          xv,
          base + top,
          base + rows.hi[y],
          rows.lerp[y],
          cols,
          cropWidth,
          c,
          out,
          o,
          fill,
        );
      } else {
        nearestRow(xv, base + top, cols, cropWidth, c, out, o, fill);
      }
    }
  }
  return backend.output(out, [numBoxes, cropHeight, cropWidth, c]);
}
