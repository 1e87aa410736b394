/**
 * 2-D convolution on BLAS: forward, both gradients and the fused forward (bias + activation),
 * NHWC float32, any stride, padding and (forward) dilation. Three ways to a GEMM:
 *
 * - 1x1, stride 1, unpadded: the input already is the GEMM operand.
 * - stride 1 with 16-63 input channels: the "grid" path, one GEMM per filter tap reading a
 *   zero-padded copy of the input in place (no im2col).
 * - otherwise im2col: the [rows, fh*fw*Cin] patch matrix, built a cache-sized chunk of rows at
 *   a time, times the filter [fh*fw*Cin, Cout].
 *
 * The filter gradient is the transposed product; the input gradient is, at stride 1, the
 * convolution of dy with the rotated filter (same paths again) and, when strided, dy * W^T
 * scattered back with col2im. NCHW, other dtypes and other activations run the cpu kernel.
 *
 * With oneDNN in use, the convolutions run on its kernels where it takes the geometry (in
 * bfloat16 with float32 accumulation when the backend's `convolutionPrecision` says so), and a
 * fused forward with a per-channel bias runs as one oneDNN inference call with the bias and
 * relu inside: what a batch norm folded into the convolution (`inferenceModel` of
 * @selfsup/encoders) leaves, where the JavaScript pass over the output for them took a fifth
 * of a folded ResNet-18's time.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { BlasBackend } from "./backend.ts";
import { allFloat32, type BlasKernelArgs, cpuKernel, sizeOf } from "./_util.ts";
import type { InputKeys, OneDnnConvGeometry, OneDnnConvolution } from "./onednn.ts";

/** Target size (floats) of one im2col chunk: about 1 MiB, so a chunk stays in cache. */
const CHUNK_FLOATS = 1 << 18;

/** Where every output pixel reads its input window: oneDNN's geometry plus dilations. */
interface Geometry extends OneDnnConvGeometry {
  dh: number;
  dw: number;
}

function geometryOf(info: tf.backend_util.Conv2DInfo): Geometry {
  return {
    batch: info.batchSize,
    inH: info.inHeight,
    inW: info.inWidth,
    inC: info.inChannels,
    outH: info.outHeight,
    outW: info.outWidth,
    outC: info.outChannels,
    fh: info.filterHeight,
    fw: info.filterWidth,
    sh: info.strideHeight,
    sw: info.strideWidth,
    dh: info.dilationHeight,
    dw: info.dilationWidth,
    top: info.padInfo.top,
    left: info.padInfo.left,
  };
}

/** True for a 1x1, stride-1, unpadded convolution: the input already is the im2col matrix. */
function isPointwise(g: Geometry): boolean {
  return g.fh === 1 && g.fw === 1 && g.sh === 1 && g.sw === 1 && g.top === 0 &&
    g.left === 0 && g.outH === g.inH && g.outW === g.inW;
}

function chunkRows(k: number): number {
  return Math.max(32, Math.floor(CHUNK_FLOATS / k));
}

/** Copies `n` floats; short runs by hand because a `subarray` view costs more than the copy. */
function copyRun(src: Float32Array, from: number, dst: Float32Array, to: number, n: number) {
  if (n < 24) {
    for (let i = 0; i < n; i++) dst[to + i] = src[from + i];
  } else {
    dst.set(src.subarray(from, from + n), to);
  }
}

/** Writes rows [row0, row0 + rows) of x's im2col matrix ([rows, fh*fw*inC]) into `cols`. */
function im2col(x: Float32Array, g: Geometry, row0: number, rows: number, cols: Float32Array) {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, dh, dw, top, left } = g;
  const run = fw * inC;
  let o = 0;
  for (let r = row0; r < row0 + rows; r++) {
    const ox = r % outW;
    const t = (r - ox) / outW;
    const oy = t % outH;
    const n = (t - oy) / outH;
    const iy0 = oy * sh - top;
    const ix0 = ox * sw - left;
    const contiguous = dw === 1 && ix0 >= 0 && ix0 + fw <= inW;
    for (let ky = 0; ky < fh; ky++) {
      const iy = iy0 + ky * dh;
      if (iy < 0 || iy >= inH) {
        cols.fill(0, o, o + run);
        o += run;
        continue;
      }
      const rowBase = (n * inH + iy) * inW;
      if (contiguous) {
        copyRun(x, (rowBase + ix0) * inC, cols, o, run);
        o += run;
        continue;
      }
      for (let kx = 0; kx < fw; kx++) {
        const ix = ix0 + kx * dw;
        if (ix < 0 || ix >= inW) cols.fill(0, o, o + inC);
        else copyRun(x, (rowBase + ix) * inC, cols, o, inC);
        o += inC;
      }
    }
  }
}

/** Adds rows [row0, row0 + rows) of an im2col-shaped gradient back onto dx (NHWC). */
function col2imAdd(cols: Float32Array, g: Geometry, row0: number, rows: number, dx: Float32Array) {
  const { inH, inW, inC, outH, outW, fh, fw, sh, sw, dh, dw, top, left } = g;
  let o = 0;
  for (let r = row0; r < row0 + rows; r++) {
    const ox = r % outW;
    const t = (r - ox) / outW;
    const oy = t % outH;
    const n = (t - oy) / outH;
    const iy0 = oy * sh - top;
    const ix0 = ox * sw - left;
    for (let ky = 0; ky < fh; ky++) {
      const iy = iy0 + ky * dh;
      if (iy < 0 || iy >= inH) {
        o += fw * inC;
        continue;
      }
      const rowBase = (n * inH + iy) * inW;
      for (let kx = 0; kx < fw; kx++) {
        const ix = ix0 + kx * dw;
        if (ix >= 0 && ix < inW) {
          const d = (rowBase + ix) * inC;
          for (let c = 0; c < inC; c++) dx[d + c] += cols[o + c];
        }
        o += inC;
      }
    }
  }
}

/**
 * The padded grid of a stride-1 convolution: x placed in a zero frame so that every output
 * pixel's window starts at its own grid position, and tap (ky, kx) of every pixel sits a fixed
 * `offset` further on. A GEMM over the grid rows with lda = Cin then reads the shifted input in
 * place: no im2col copy at all. Rows whose window wraps into the frame are computed and dropped.
 */
interface Grid {
  /** Grid height and width. */
  hp: number;
  wp: number;
  /** Grid rows that have a complete window: N*hp*wp minus the largest tap offset. */
  rows: number;
  /** Grid-row offset of each tap, in (ky, kx) order. */
  offsets: number[];
}

/**
 * Input channels for which the grid path beats im2col (measured on the reference model: at 32
 * channels the grid wins 1.5x on the gradients; from 64 on, im2col's K = 9*Cin GEMMs win).
 * Below 16 the per-tap GEMMs are too thin.
 */
const GRID_MIN_CHANNELS = 16;
const GRID_MAX_CHANNELS = 63;

function gridOf(g: Geometry): Grid | undefined {
  if (g.sh !== 1 || g.sw !== 1 || g.fh * g.fw === 1) return undefined;
  if (g.inC < GRID_MIN_CHANNELS || g.inC > GRID_MAX_CHANNELS) return undefined;
  const hp = g.outH + (g.fh - 1) * g.dh;
  const wp = g.outW + (g.fw - 1) * g.dw;
  if (g.top < 0 || g.left < 0 || hp < g.inH + g.top || wp < g.inW + g.left) return undefined;
  const offsets: number[] = [];
  for (let ky = 0; ky < g.fh; ky++) {
    for (let kx = 0; kx < g.fw; kx++) offsets.push(ky * g.dh * wp + kx * g.dw);
  }
  return { hp, wp, rows: g.batch * hp * wp - offsets[offsets.length - 1], offsets };
}

/**
 * Grid rows per chunk: about 1 MiB of input (8192 rows at 32 channels), so a chunk's input and
 * output stay in cache across the taps (measured 1.2-1.5x over whole-grid GEMMs).
 */
function gridChunkRows(inC: number): number {
  return Math.max(1024, Math.floor(CHUNK_FLOATS / inC));
}

/** x [N, inH, inW, C] copied into a zeroed grid [N, hp, wp, C] at (top, left). */
function padToGrid(backend: BlasBackend, x: Float32Array, g: Geometry, grid: Grid): Float32Array {
  const { batch, inH, inW, inC, top, left } = g;
  const out = backend.alloc(batch * grid.hp * grid.wp * inC);
  out.fill(0);
  const run = inW * inC;
  for (let n = 0; n < batch; n++) {
    for (let y = 0; y < inH; y++) {
      const from = (n * inH + y) * run;
      out.set(x.subarray(from, from + run), ((n * grid.hp + y + top) * grid.wp + left) * inC);
    }
  }
  return out;
}

/**
 * The backend's oneDNN plan for `g`, when it has oneDNN in use and oneDNN
 * takes the geometry (no dilation, no negative padding but a strided window's unread end,
 * nothing empty).
 */
function oneDnnPlan(backend: BlasBackend, g: Geometry): OneDnnConvolution | undefined {
  const dnnl = backend.activeOneDnn;
  if (dnnl === undefined || g.dh !== 1 || g.dw !== 1) return undefined;
  if (g.batch * g.outH * g.outW * g.outC * g.inC * g.fh * g.fw === 0) return undefined;
  return dnnl.convolution(g, backend.convolutionPrecision);
}

/**
 * y [batch*outH*outW, outC] = conv(x, w), written into `y`; `keys` stand for x's values (see
 * oneDNN's {@linkcode InputKeys}).
 */
function convForward(
  backend: BlasBackend,
  x: Float32Array,
  w: Float32Array,
  g: Geometry,
  y: Float32Array,
  keys?: InputKeys,
): void {
  const rows = g.batch * g.outH * g.outW;
  const k = g.fh * g.fw * g.inC;
  if (rows === 0 || g.outC === 0) return;
  if (k === 0) {
    y.fill(0);
    return;
  }
  const dnnl = oneDnnPlan(backend, g);
  if (dnnl !== undefined) {
    dnnl.forward(x, w, y, keys);
    return;
  }
  const { blas } = backend;
  if (isPointwise(g)) {
    blas.sgemm(false, false, rows, g.outC, k, 1, x, k, w, g.outC, 0, y, g.outC);
    return;
  }
  const grid = gridOf(g);
  if (grid !== undefined) {
    const { inC, outC, outH, outW } = g;
    const xg = padToGrid(backend, x, g, grid);
    const yg = backend.alloc(grid.rows * outC);
    // A chunk of rows at a time, all taps: the chunk's outputs stay in cache between taps.
    const step = gridChunkRows(inC);
    for (let r0 = 0; r0 < grid.rows; r0 += step) {
      const m = Math.min(step, grid.rows - r0);
      grid.offsets.forEach((offset, tap) => {
        blas.sgemm(
          false,
          false,
          m,
          outC,
          inC,
          1,
          xg.subarray((r0 + offset) * inC),
          inC,
          w.subarray(tap * inC * outC),
          outC,
          tap === 0 ? 0 : 1,
          yg.subarray(r0 * outC),
          outC,
        );
      });
    }
    const run = outW * outC;
    for (let n = 0; n < g.batch; n++) {
      for (let oy = 0; oy < outH; oy++) {
        const from = (n * grid.hp + oy) * grid.wp * outC;
        y.set(yg.subarray(from, from + run), (n * outH + oy) * run);
      }
    }
    backend.release(xg);
    backend.release(yg);
    return;
  }
  const step = chunkRows(k);
  const cols = backend.alloc(Math.min(rows, step) * k);
  for (let r0 = 0; r0 < rows; r0 += step) {
    const m = Math.min(step, rows - r0);
    im2col(x, g, r0, m, cols);
    blas.sgemm(
      false,
      false,
      m,
      g.outC,
      k,
      1,
      cols,
      k,
      w,
      g.outC,
      0,
      y.subarray(r0 * g.outC),
      g.outC,
    );
  }
  backend.release(cols);
}

function convInfoOf(
  xShape: number[],
  filterShape: number[],
  attrs: tf.NamedAttrMap,
  dilations: number | [number, number],
): tf.backend_util.Conv2DInfo {
  return tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number],
    filterShape as [number, number, number, number],
    attrs.strides as [number, number],
    dilations,
    attrs.pad as "same" | "valid" | number,
    attrs.dimRoundingMode as "floor" | "round" | "ceil" | undefined,
    false,
    "channelsLast",
  );
}

function isNHWC(attrs: tf.NamedAttrMap | undefined): boolean {
  return attrs?.dataFormat === undefined || attrs.dataFormat === "NHWC";
}

/** The `Conv2D` kernel. */
export function conv2D(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, filter } = inputs;
  if (!isNHWC(attrs) || !allFloat32(x, filter)) {
    return cpuKernel("Conv2D", args) as tf.TensorInfo;
  }
  const info = convInfoOf(x.shape, filter.shape, attrs, (attrs.dilations ?? 1) as number);
  const g = geometryOf(info);
  const y = backend.alloc(sizeOf(info.outShape));
  convForward(backend, backend.f32(x), backend.f32(filter), g, y, { x: x.dataId });
  return backend.output(y, info.outShape);
}

/** The `Conv2DBackpropFilter` kernel: dW [fh*fw*Cin, Cout] = im2col(x)^T * dy. */
export function conv2DBackpropFilter(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, dy } = inputs;
  if (!isNHWC(attrs) || !allFloat32(x, dy)) {
    return cpuKernel("Conv2DBackpropFilter", args) as tf.TensorInfo;
  }
  const filterShape = attrs.filterShape as number[];
  const info = convInfoOf(x.shape, filterShape, attrs, 1);
  const g = geometryOf(info);
  const rows = g.batch * g.outH * g.outW;
  const k = g.fh * g.fw * g.inC;
  const dw = backend.alloc(k * g.outC);
  const grid = gridOf(g);
  const xv = backend.f32(x);
  const dyv = backend.f32(dy);
  const dnnl = oneDnnPlan(backend, g);
  if (rows === 0 || k === 0 || g.outC === 0) {
    dw.fill(0);
  } else if (dnnl !== undefined) {
    dnnl.backwardWeights(xv, dyv, dw, { x: x.dataId, dy: dy.dataId });
  } else if (isPointwise(g)) {
    backend.blas.sgemm(true, false, k, g.outC, rows, 1, xv, k, dyv, g.outC, 0, dw, g.outC);
  } else if (grid !== undefined) {
    // dW[tap] = shifted-x^T * dy, with dy spread onto the grid (zeros on dropped rows).
    const { inC, outC, outH, outW } = g;
    const xg = padToGrid(backend, xv, g, grid);
    const dyg = backend.alloc(grid.rows * outC);
    dyg.fill(0);
    const run = outW * outC;
    for (let n = 0; n < g.batch; n++) {
      for (let oy = 0; oy < outH; oy++) {
        const from = (n * outH + oy) * run;
        dyg.set(dyv.subarray(from, from + run), (n * grid.hp + oy) * grid.wp * outC);
      }
    }
    const step = gridChunkRows(inC);
    for (let r0 = 0; r0 < grid.rows; r0 += step) {
      const m = Math.min(step, grid.rows - r0);
      grid.offsets.forEach((offset, tap) => {
        backend.blas.sgemm(
          true,
          false,
          inC,
          outC,
          m,
          1,
          xg.subarray((r0 + offset) * inC),
          inC,
          dyg.subarray(r0 * outC),
          outC,
          r0 === 0 ? 0 : 1,
          dw.subarray(tap * inC * outC),
          outC,
        );
      });
    }
    backend.release(xg);
    backend.release(dyg);
  } else {
    const step = chunkRows(k);
    const cols = backend.alloc(Math.min(rows, step) * k);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const m = Math.min(step, rows - r0);
      im2col(xv, g, r0, m, cols);
      backend.blas.sgemm(
        true,
        false,
        k,
        g.outC,
        m,
        1,
        cols,
        k,
        dyv.subarray(r0 * g.outC),
        g.outC,
        r0 === 0 ? 0 : 1,
        dw,
        g.outC,
      );
    }
    backend.release(cols);
  }
  return backend.output(dw, filterShape.slice());
}

/** The `Conv2DBackpropInput` kernel. */
export function conv2DBackpropInput(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { dy, filter } = inputs;
  if (!isNHWC(attrs) || !allFloat32(dy, filter)) {
    return cpuKernel("Conv2DBackpropInput", args) as tf.TensorInfo;
  }
  const inputShape = (attrs.inputShape as number[]).slice();
  const info = convInfoOf(inputShape, filter.shape, attrs, 1);
  const g = geometryOf(info);
  const dx = backend.alloc(sizeOf(inputShape));
  const dyv = backend.f32(dy);
  const wv = backend.f32(filter);
  const rows = g.batch * g.outH * g.outW;
  const k = g.fh * g.fw * g.inC;
  const dnnl = oneDnnPlan(backend, g);
  if (rows === 0 || k === 0 || g.outC === 0) {
    dx.fill(0);
  } else if (dnnl !== undefined) {
    dnnl.backwardData(dyv, wv, dx, { dy: dy.dataId });
  } else if (isPointwise(g)) {
    backend.blas.sgemm(false, true, rows, k, g.outC, 1, dyv, g.outC, wv, g.outC, 0, dx, k);
  } else if (g.sh === 1 && g.sw === 1) {
    // Stride 1: dx is the convolution of dy with the filter rotated 180 degrees and its
    // channel axes swapped, padded so the output covers the input grid. Same im2col + GEMM as
    // the forward pass, with no scatter.
    const rotated = backend.alloc(wv.length);
    rotateFilter(wv, g, rotated);
    const gt: Geometry = {
      batch: g.batch,
      inH: g.outH,
      inW: g.outW,
      inC: g.outC,
      outH: g.inH,
      outW: g.inW,
      outC: g.inC,
      fh: g.fh,
      fw: g.fw,
      sh: 1,
      sw: 1,
      dh: g.dh,
      dw: g.dw,
      top: (g.fh - 1) * g.dh - g.top,
      left: (g.fw - 1) * g.dw - g.left,
    };
    convForward(backend, dyv, rotated, gt, dx);
    backend.release(rotated);
  } else {
    // Strided: the gradient of each im2col row is dy * W^T, scattered back with col2im.
    dx.fill(0);
    const step = chunkRows(k);
    const cols = backend.alloc(Math.min(rows, step) * k);
    for (let r0 = 0; r0 < rows; r0 += step) {
      const m = Math.min(step, rows - r0);
      backend.blas.sgemm(
        false,
        true,
        m,
        k,
        g.outC,
        1,
        dyv.subarray(r0 * g.outC),
        g.outC,
        wv,
        g.outC,
        0,
        cols,
        k,
      );
      col2imAdd(cols, g, r0, m, dx);
    }
    backend.release(cols);
  }
  return backend.output(dx, inputShape);
}

/** out[fh-1-ky, fw-1-kx, co, ci] = w[ky, kx, ci, co]. */
function rotateFilter(w: Float32Array, g: Geometry, out: Float32Array): void {
  const { fh, fw, inC, outC } = g;
  for (let ky = 0; ky < fh; ky++) {
    for (let kx = 0; kx < fw; kx++) {
      const src = (ky * fw + kx) * inC * outC;
      const dst = ((fh - 1 - ky) * fw + (fw - 1 - kx)) * outC * inC;
      for (let ci = 0; ci < inC; ci++) {
        for (let co = 0; co < outC; co++) out[dst + co * inC + ci] = w[src + ci * outC + co];
      }
    }
  }
}

/** The `FusedConv2D` kernel: conv, then a per-channel (or scalar) bias, then linear/relu. */
export function fusedConv2D(args: BlasKernelArgs): tf.TensorInfo {
  const { inputs, backend, attrs = {} } = args;
  const { x, filter } = inputs;
  const bias: tf.TensorInfo | undefined = inputs.bias;
  const activation = (attrs.activation as string | undefined) ?? "linear";
  const outC = filter.shape[3];
  const biasOk = bias === undefined ||
    (bias.shape.length <= 4 && (sizeOf(bias.shape) === 1 ||
      (sizeOf(bias.shape) === outC && bias.shape[bias.shape.length - 1] === outC)));
  if (
    !isNHWC(attrs) || !allFloat32(x, filter, bias) || !biasOk ||
    (activation !== "linear" && activation !== "relu")
  ) {
    return cpuKernel("FusedConv2D", args) as tf.TensorInfo;
  }
  const relu = activation === "relu";
  const fused = bias !== undefined && bias.shape.length === 1 && bias.shape[0] === outC &&
    biasConvolution(backend, inputs, attrs, relu);
  if (fused) return fused;
  const y = conv2D({ inputs: { x, filter }, backend, attrs });
  addBiasAndActivate(backend.f32(y), bias && backend.f32(bias), outC, relu);
  return y;
}

/** Largest |conv(x, w) + bias| bound below which no partial sum can overflow float32. */
const NO_OVERFLOW = 1e38;

/**
 * conv(x, w) + bias (and relu) as one oneDNN inference call, or undefined when oneDNN is not
 * in use or does not take the geometry. oneDNN's relu maps NaN to 0, where tfjs keeps NaN: with
 * relu, it runs only when no pre-activation can be NaN, that is when the inputs are finite and
 * sum(|x|) * sum(|w|) + sum(|bias|), which bounds every partial sum, cannot overflow; else the
 * relu runs in JavaScript after oneDNN's conv + bias.
 */
function biasConvolution(
  backend: BlasBackend,
  inputs: BlasKernelArgs["inputs"],
  attrs: tf.NamedAttrMap,
  relu: boolean,
): tf.TensorInfo | undefined {
  const { x, filter, bias } = inputs;
  const info = convInfoOf(x.shape, filter.shape, attrs, (attrs.dilations ?? 1) as number);
  const g = geometryOf(info);
  if (backend.activeOneDnn === undefined || g.dh !== 1 || g.dw !== 1) return undefined;
  if (g.batch * g.outH * g.outW * g.outC * g.inC * g.fh * g.fw === 0) return undefined;
  const [xv, wv, bv] = [x, filter, bias].map((t) => backend.f32(t!));
  const { sasum } = backend.blas;
  // NaN fails the comparison too.
  const postRelu = relu && sasum(xv!) * sasum(wv!) + sasum(bv!) < NO_OVERFLOW;
  const plan = backend.activeOneDnn.biasConvolution(g, postRelu);
  if (plan === undefined) return undefined;
  const y = backend.alloc(sizeOf(info.outShape));
  // The filter's dataId stands for its values (tensors are immutable): oneDNN's layout of it
  // is kept and reused while the tensor lives, as a frozen model's weights are every batch.
  plan.forward(xv!, wv!, bv!, y, filter.dataId as object);
  if (relu && !postRelu) addBiasAndActivate(y, undefined, g.outC, true);
  return backend.output(y, info.outShape);
}

/**
 * In place: v[i] += bias[i % channels] (a 1-element bias broadcasts), then optional relu, in
 * one pass. The relu works on the bit patterns, without a data-dependent branch (a branch on
 * the sign mispredicts half the time on activations and made this pass 3x slower): a set
 * sign bit zeroes the value, NaN passes, as the cpu backend's `Math.max(0, x)`.
 */
export function addBiasAndActivate(
  v: Float32Array,
  bias: Float32Array | undefined,
  channels: number,
  relu: boolean,
): void {
  const bits = new Int32Array(v.buffer, v.byteOffset, v.length);
  if (bias === undefined || bias.length === 1) {
    const b = bias?.[0];
    if (b !== undefined) { for (let i = 0; i < v.length; i++) v[i] += b; }
    if (relu) { for (let i = 0; i < bits.length; i++) bits[i] = reluBits(bits[i]); }
  } else if (relu) {
    for (let i = 0; i < v.length; i += channels) {
      for (let c = 0; c < channels; c++) {
        v[i + c] += bias[c];
        bits[i + c] = reluBits(bits[i + c]);
      }
    }
  } else {
    for (let i = 0; i < v.length; i += channels) {
      for (let c = 0; c < channels; c++) v[i + c] += bias[c];
    }
  }
}

/** max(0, x) on the bits of a float32 x: NaN (any sign) passes, a set sign bit gives +0. */
function reluBits(u: number): number {
  return (u & 0x7fffffff) > 0x7f800000 ? u : u & ~(u >> 31);
}
