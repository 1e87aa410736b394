/**
 * Convolutions and batch norm on oneDNN (Intel's deep-learning primitives library,
 * `libdnnl.so.2`, the 2.x C API) through Deno FFI: forward, input gradient and filter gradient
 * of an NHWC float32 convolution (or, opted in, bfloat16 with float32 accumulation where the CPU
 * has bfloat16 instructions), its inference forward with a bias (and relu) applied inside,
 * batch-norm training forward and backward, large elementwise ops (add, sub, mul, div, square,
 * sqrt), relu and its gradient, as oneDNN's own jit kernels, which read and write NHWC directly
 * (no im2col) and use every core. The filter is reordered to and from the blocked layout oneDNN
 * picks.
 *
 * Each distinct geometry gets a plan (descriptors, primitives, reorders) made once and kept.
 *
 * @module
 */

import { rangeError } from "@selfsup/internal";
import { candidatesFrom, openFirst } from "./_dlopen.ts";
import { checkDimension, checkFloats } from "./_check_buffers.ts";
import { type Own, PlanCache } from "./_plan_cache.ts";

// Values from oneDNN 2.x's dnnl_types.h.
const F32 = 3;
const BF16 = 2;
const QUERY_IMPL_INFO_STR = 8;
const TAG_ANY = 1;
const TAG_NHWC = 20;
const TAG_HWIO = 30;
const ENGINE_CPU = 1;
const FORWARD_TRAINING = 64;
const FORWARD_INFERENCE = 96;
const CONVOLUTION_DIRECT = 1;
const QUERY_SRC_MD = 129;
const QUERY_DIFF_SRC_MD = 130;
const QUERY_WEIGHTS_MD = 131;
const QUERY_DIFF_WEIGHTS_MD = 132;
const QUERY_DST_MD = 133;
const QUERY_DIFF_DST_MD = 134;
const ARG_SRC = 1;
const ARG_DST = 17;
const ARG_WEIGHTS = 33;
const ARG_BIAS = 41;
const ARG_DIFF_SRC = 129;
const ARG_DIFF_DST = 145;
const ARG_DIFF_WEIGHTS = 161;
const ARG_MEAN = 49;
const ARG_VARIANCE = 50;
const ARG_SCALE = 51;
const ARG_SHIFT = 52;
const ARG_DIFF_SCALE = 255;
const ARG_DIFF_SHIFT = 256;
const TAG_A = 2;
/** dnnl_alg_kind_t of the binary ops and eltwise functions used here. */
const BINARY = { add: 0x1fff0, mul: 0x1fff1, div: 0x1fff4, sub: 0x1fff5 } as const;
const ELTWISE_RELU = 0x1f;
const ELTWISE = { square: 0x4f, sqrt: 0x6f } as const;
const ARG_SRC_1 = 2;
const BACKWARD = 128;
const USE_SCALE = 0x8;
const USE_SHIFT = 0x10;
const STREAM_DEFAULT_FLAGS = 1;
/** DNNL_MEMORY_ALLOCATE: the library allocates the buffer. */
const ALLOCATE = 0xffffffffffffffffn;
/** Bytes reserved for a dnnl_memory_desc_t (696 in 2.6) and a dnnl_convolution_desc_t (5976). */
const MEMORY_DESC_BYTES = 1024;
const OP_DESC_BYTES = 8192;

const SYMBOLS = {
  dnnl_engine_create: { parameters: ["buffer", "i32", "usize"], result: "i32" },
  dnnl_engine_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_stream_create: { parameters: ["buffer", "usize", "u32"], result: "i32" },
  dnnl_stream_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_stream_wait: { parameters: ["usize"], result: "i32" },
  dnnl_memory_desc_init_by_tag: {
    parameters: ["buffer", "i32", "buffer", "i32", "i32"],
    result: "i32",
  },
  dnnl_memory_desc_equal: { parameters: ["usize", "usize"], result: "i32" },
  dnnl_memory_desc_get_size: { parameters: ["usize"], result: "usize" },
  dnnl_convolution_forward_desc_init: {
    parameters: [
      "buffer", // conv desc
      "i32", // prop kind
      "i32", // algorithm
      "usize", // src md
      "usize", // weights md
      "usize", // bias md (null)
      "usize", // dst md
      "buffer", // strides
      "buffer", // padding left
      "buffer", // padding right
    ],
    result: "i32",
  },
  dnnl_convolution_backward_data_desc_init: {
    parameters: ["buffer", "i32", "usize", "usize", "usize", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_convolution_backward_weights_desc_init: {
    parameters: ["buffer", "i32", "usize", "usize", "usize", "usize", "buffer", "buffer", "buffer"],
    result: "i32",
  },
  dnnl_batch_normalization_forward_desc_init: {
    parameters: ["buffer", "i32", "usize", "f32", "u32"],
    result: "i32",
  },
  dnnl_batch_normalization_backward_desc_init: {
    parameters: ["buffer", "i32", "usize", "usize", "f32", "u32"],
    result: "i32",
  },
  dnnl_eltwise_forward_desc_init: {
    parameters: ["buffer", "i32", "i32", "usize", "f32", "f32"],
    result: "i32",
  },
  dnnl_eltwise_backward_desc_init: {
    parameters: ["buffer", "i32", "usize", "usize", "f32", "f32"],
    result: "i32",
  },
  dnnl_binary_desc_init: {
    parameters: ["buffer", "i32", "usize", "usize", "usize"],
    result: "i32",
  },
  dnnl_primitive_desc_create: {
    parameters: ["buffer", "buffer", "usize", "usize", "usize"],
    result: "i32",
  },
  dnnl_primitive_desc_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_primitive_desc_query_md: { parameters: ["usize", "i32", "i32"], result: "usize" },
  dnnl_primitive_desc_query: {
    parameters: ["usize", "i32", "i32", "buffer"],
    result: "i32",
  },
  dnnl_reorder_primitive_desc_create: {
    parameters: ["buffer", "usize", "usize", "usize", "usize", "usize"],
    result: "i32",
  },
  dnnl_primitive_create: { parameters: ["buffer", "usize"], result: "i32" },
  dnnl_primitive_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_primitive_execute: { parameters: ["usize", "usize", "i32", "buffer"], result: "i32" },
  dnnl_memory_create: { parameters: ["buffer", "usize", "usize", "usize"], result: "i32" },
  dnnl_memory_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_memory_set_data_handle: { parameters: ["usize", "buffer"], result: "i32" },
  dnnl_primitive_attr_create: { parameters: ["buffer"], result: "i32" },
  dnnl_primitive_attr_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_primitive_attr_set_post_ops: { parameters: ["usize", "usize"], result: "i32" },
  dnnl_post_ops_create: { parameters: ["buffer"], result: "i32" },
  dnnl_post_ops_destroy: { parameters: ["usize"], result: "i32" },
  dnnl_post_ops_append_eltwise: {
    parameters: ["usize", "f32", "i32", "f32", "f32"],
    result: "i32",
  },
  dnnl_version: { parameters: [], result: "pointer" },
} as const;

type Symbols = Deno.DynamicLibrary<typeof SYMBOLS>["symbols"];

/** The shape of an NHWC convolution with a [fh, fw, inC, outC] filter and no dilation. */
export interface OneDnnConvGeometry {
  batch: number;
  inH: number;
  inW: number;
  inC: number;
  outH: number;
  outW: number;
  outC: number;
  fh: number;
  fw: number;
  sh: number;
  sw: number;
  top: number;
  left: number;
}

/**
 * The number format a convolution multiplies in: "float32", or "bfloat16", where oneDNN rounds
 * its two inputs (x or dy, and the filter) to bfloat16 (8 significant bits, float32's range) and
 * multiplies them with float32 accumulation into float32 outputs, as PyTorch's CPU autocast does
 * for convolutions. The arrays passed in and out stay float32 either way.
 */
export type ConvolutionPrecision = "float32" | "bfloat16";

/**
 * Whether oneDNN runs bfloat16 convolutions on native bfloat16 instructions (AVX-512 BF16 or
 * AMX) here, with the kernel it picked for a probe convolution, or why not.
 */
export type BFloat16Support =
  | { supported: true; kernel: string }
  | { supported: false; reason: string };

/**
 * One geometry's three convolutions; arrays are NHWC / HWIO float32, written in full, and
 * checked to hold the geometry's sizes (a `RangeError` otherwise). A plan must not be used once
 * its cache has freed it (it throws then).
 */
export interface OneDnnConvolution {
  /** The names of the kernels oneDNN chose, e.g. "brgconv:avx512_core" (for diagnostics). */
  kernels: { forward: string; backwardData: string; backwardWeights: string };
  /** y = conv(x, w). */
  forward(x: Float32Array, w: Float32Array, y: Float32Array, keys?: InputKeys): void;
  /** dx = the gradient of conv(x, w) with respect to x, given dy. */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array, keys?: InputKeys): void;
  /** dw = the gradient of conv(x, w) with respect to w, given dy. */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array, keys?: InputKeys): void;
}

/**
 * Objects that stand for the values of a convolution's inputs (a tensor's dataId) while they
 * live. A bfloat16 plan keeps its bfloat16 copy of an input under its key, so that the next call
 * with the same key skips the conversion, until {@linkcode OneDnn.forget} drops it: a key's
 * values must not change while it is kept. float32 plans ignore the keys.
 */
export interface InputKeys {
  /** The key of x (the forward's and the filter gradient's input). */
  x?: object;
  /** The key of dy (both gradients' input). */
  dy?: object;
}

/**
 * One geometry's inference-only forward convolution with a per-channel bias and, when planned
 * with it, a relu, in one oneDNN call. Arrays as in {@linkcode OneDnnConvolution}; `bias` has
 * `outC` elements.
 */
export interface OneDnnBiasConvolution {
  /**
   * y = conv(x, w) + bias, then max(y, 0) if the plan has the relu. With a `key` (a tensor's
   * dataId: an object that stands for `w`'s values as long as it lives), the plan keeps `w` in
   * oneDNN's layout under it and skips the reorder when the key comes again: `w` must not
   * change while its key lives.
   */
  forward(
    x: Float32Array,
    w: Float32Array,
    bias: Float32Array,
    y: Float32Array,
    key?: object,
  ): void;
}

/**
 * Batch normalisation with batch statistics of a [rows, C] array (channels innermost); the
 * per-channel arrays have C elements. All outputs are written in full.
 */
export interface OneDnnBatchNorm {
  /** y = (x - mean) / sqrt(variance + epsilon) * gamma + beta, with the biased variance. */
  forward(
    x: Float32Array,
    gamma: Float32Array,
    beta: Float32Array,
    y: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
  ): void;
  /** dx, dgamma, dbeta from dy (the mean and variance outputs' own gradients taken as 0). */
  backward(
    x: Float32Array,
    dy: Float32Array,
    gamma: Float32Array,
    mean: Float32Array,
    variance: Float32Array,
    dx: Float32Array,
    dgamma: Float32Array,
    dbeta: Float32Array,
  ): void;
}

/** How many plans an opened oneDNN holds, and how many shapes it could not plan. */
export interface OneDnnPlanCounts {
  convolution: number;
  batchNorm: number;
  /** Adds, relu and relu gradients. */
  flat: number;
  /** Shapes oneDNN failed to plan (their kernels run the blas backend's own code). */
  failures: number;
}

/** The binary ops {@linkcode OneDnn.binary} runs. */
export type OneDnnBinaryOp = keyof typeof BINARY;
/** The elementwise functions {@linkcode OneDnn.unary} runs. */
export type OneDnnUnaryOp = keyof typeof ELTWISE;

/**
 * An opened oneDNN. Plans (descriptors, primitives, memories) are made once per shape and kept,
 * at most `maxPlans` of each kind (the least recently used are freed). A shape oneDNN cannot
 * plan is remembered, said once per library (a warning), and reported as undefined or false so
 * that the caller runs its own kernel. Every call checks its arrays against the shape before
 * the native call (a `RangeError` otherwise).
 */
export interface OneDnn {
  /** out = a + b elementwise over `out.length` floats (exactly rounded, as in JavaScript). */
  add(a: Float32Array, b: Float32Array, out: Float32Array): boolean;
  /**
   * out = a op b elementwise over `out.length` floats, where `b` holds as many values or one
   * (broadcast to every element); exactly rounded, as in JavaScript.
   */
  binary(op: OneDnnBinaryOp, a: Float32Array, b: Float32Array, out: Float32Array): boolean;
  /** y = x * x ("square") or sqrt(x) elementwise; exactly rounded, as in JavaScript. */
  unary(op: OneDnnUnaryOp, x: Float32Array, y: Float32Array): boolean;
  /** y = max(x, 0), except that NaN becomes 0 (callers must keep NaN inputs away). */
  relu(x: Float32Array, y: Float32Array): boolean;
  /**
   * The relu gradient: dx = dy where x > 0, dy * 0 where x <= 0, and (unlike tfjs's
   * `dy * step(x)`, which gives NaN) dy where x is NaN.
   */
  reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array): boolean;
  /** The library file that was opened. */
  path: string;
  /** Its version, "major.minor.patch" (2.3 or newer, 2.x). */
  version: string;
  /**
   * The plan for a geometry (made on first use, then cached), or undefined when oneDNN cannot
   * take it (negative padding other than a strided window stopping before the input's last
   * rows or columns, or a failed plan). With `precision` "bfloat16" (default "float32"), the
   * float32 plan serves a geometry for which oneDNN has only its slow reference bfloat16 kernel.
   */
  convolution(
    g: OneDnnConvGeometry,
    precision?: ConvolutionPrecision,
  ): OneDnnConvolution | undefined;
  /**
   * Whether bfloat16 convolutions run natively on this CPU (decided once, from the kernel oneDNN
   * picks for a probe convolution). Without native support oneDNN would emulate bfloat16, slower
   * than float32, so callers refuse the precision.
   */
  bfloat16(): BFloat16Support;
  /**
   * Drops the bfloat16 copy kept under `key` ({@linkcode InputKeys}), if any: call it when the
   * values the key stands for die (a tensor disposed).
   */
  forget(key: object): void;
  /** How many bfloat16 input copies are kept under keys, and their bytes. */
  keptCopies(): { count: number; bytes: number };
  /**
   * The inference plan for a geometry with a bias, and a relu after it when `relu` (oneDNN's
   * relu maps NaN to 0: callers keep NaN away), made on first use and cached; undefined when
   * oneDNN cannot take it, as {@linkcode OneDnn.convolution}.
   */
  biasConvolution(g: OneDnnConvGeometry, relu: boolean): OneDnnBiasConvolution | undefined;
  /**
   * The batch-norm plan for `rows` x `channels` data and `epsilon` (made once, cached), or
   * undefined when oneDNN could not plan it.
   */
  batchNorm(rows: number, channels: number, epsilon: number): OneDnnBatchNorm | undefined;
  /** How many plans are held, and how many shapes failed. */
  plans(): OneDnnPlanCounts;
  /** Frees every plan, the stream and the engine and closes the library. */
  close(): void;
}

/**
 * The environment variable that names the oneDNN library to open when no path is given (a
 * path or file name; see {@linkcode openOneDnn}).
 */
export const ONEDNN_LIBRARY_VARIABLE = "SELFSUP_ONEDNN_LIBRARY";

/** The library names tried when no path is given. */
export function defaultOneDnnCandidates(os: string = Deno.build.os): string[] {
  if (os === "darwin") return ["libdnnl.2.dylib", "libdnnl.dylib"];
  if (os === "windows") return ["dnnl.dll"];
  return ["libdnnl.so.2"];
}

/** Options for {@linkcode openOneDnn}. */
export interface OpenOneDnnOptions {
  /** A library path or file name instead of the platform's usual names. */
  libraryPath?: string;
  /** Most plans of each kind kept (default {@linkcode DEFAULT_MAX_PLANS}). */
  maxPlans?: number;
}

/**
 * Opens oneDNN 2.x through Deno FFI.
 *
 * Tries `options.libraryPath`, else the library named by the environment variable
 * `SELFSUP_ONEDNN_LIBRARY` (read with `--allow-env`), else the platform's usual names.
 *
 * The library's `dnnl_version()` is read first: only 2.x from 2.3 on is accepted (see
 * {@linkcode checkOneDnnVersion}).
 *
 * @param options A library path instead of the usual names, and how many plans to keep.
 * @returns The opened library.
 * @throws {Error} Without FFI permission, when no candidate library opens (the message says
 *   what to install), or when its version is not one these bindings drive.
 * @example Where libdnnl2 is installed
 * ```ts
 * import assert from "node:assert/strict";
 * import { openOneDnn } from "./onednn.ts"; // internal: the blas backend's own binding
 *
 * let dnnl;
 * try {
 *   dnnl = openOneDnn();
 * } catch (error) {
 *   assert.match((error as Error).message, /oneDNN/); // not installed, or not 2.x
 * }
 * if (dnnl !== undefined) {
 *   const out = new Float32Array(2);
 *   assert.equal(dnnl.add(new Float32Array([1, 2]), new Float32Array([3, 4]), out), true);
 *   assert.deepEqual(out, new Float32Array([4, 6]));
 *   dnnl.close();
 * }
 * ```
 */
export function openOneDnn(options: OpenOneDnnOptions = {}): OneDnn {
  const candidates = candidatesFrom(
    options.libraryPath,
    ONEDNN_LIBRARY_VARIABLE,
    defaultOneDnnCandidates(),
  );
  const { path, lib } = openFirst(
    "oneDNN",
    candidates,
    SYMBOLS,
    "install it (Debian/Ubuntu: `apt-get install libdnnl2`), pass its path or set " +
      ONEDNN_LIBRARY_VARIABLE,
  );
  const version = readVersion(lib.symbols);
  try {
    checkOneDnnVersion(version, path);
  } catch (error) {
    lib.close();
    throw error;
  }
  return openedOneDnn(path, lib, version, options.maxPlans ?? DEFAULT_MAX_PLANS);
}

/**
 * The geometry's fields, each checked as a dimension (a `RangeError` otherwise), or undefined
 * when oneDNN cannot take it: negative padding (the caller's own kernels take it), except at
 * the bottom and right by less than a stride (a strided window that stops before the input's
 * last rows, as tfjs's 1x1 stride-2 shortcut of an even size: oneDNN's forward and both
 * gradients take it, the unread rows' gradient is zero).
 */
function checkedGeometry(fn: string, g: OneDnnConvGeometry): OneDnnConvGeometry | undefined {
  const { batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, top, left } = g;
  const fields = { batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, top, left };
  const bottom = (outH - 1) * sh + fh - inH - top;
  const right = (outW - 1) * sw + fw - inW - left;
  // Fewer than a stride of rows left unread: what a "valid" window count leaves.
  const [endH, endW] = [Math.min(0, 1 - sh), Math.min(0, 1 - sw)];
  if (top < 0 || left < 0 || bottom < endH || right < endW) return undefined;
  for (const [name, value] of Object.entries(fields)) checkDimension(fn, name, value);
  return fields;
}

function check(name: string, status: number): void {
  if (status !== 0) throw new Error(`oneDNN ${name} failed with status ${status}`);
}

/** Address of a buffer's first byte, for parameters typed as addresses. */
function addressOf(buffer: ArrayBufferView): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer as BufferSource)));
}

/** A oneDNN release: major, minor, patch. */
export interface OneDnnVersion {
  major: number;
  minor: number;
  patch: number;
}

/**
 * Checks that these bindings can drive oneDNN `version`, and throws saying why not.
 *
 * They use oneDNN 2.x's C API, its enum values and structure sizes: 3.x removed the
 * `*_desc_init` functions (its library is `libdnnl.so.3`, so it is not even found by name), and
 * the separate batch-norm scale and shift flags appeared in 2.3. oneDNN keeps its ABI within a
 * major version, so 2.3 and every later 2.x are accepted; the tests ran on 2.6 (Debian 12's
 * `libdnnl2`).
 *
 * @throws {Error} Naming the version found and the ones accepted.
 */
export function checkOneDnnVersion(version: OneDnnVersion, path: string): void {
  const { major, minor, patch } = version;
  if (major !== 2 || minor < 3) {
    throw new Error(
      `oneDNN ${major}.${minor}.${patch} (${path}) is not supported: the blas backend's ` +
        "bindings use the 2.x C API from 2.3 on (tested with 2.6); install libdnnl2 " +
        "(Debian/Ubuntu) or pass the path of a 2.x library",
    );
  }
}

function readVersion(s: Symbols): OneDnnVersion {
  const pointer = s.dnnl_version();
  if (pointer === null) return { major: 0, minor: 0, patch: 0 };
  // dnnl_version_t starts with three ints: major, minor, patch.
  const view = new Deno.UnsafePointerView(pointer);
  return { major: view.getInt32(0), minor: view.getInt32(4), patch: view.getInt32(8) };
}

/** Most plans of each kind (convolutions, batch norms, flat elementwise) kept by default. */
export const DEFAULT_MAX_PLANS = 128;

/** A plan's native objects and the descriptor buffers they point into. */
interface Scope {
  own: Own;
  keep: ArrayBufferView[];
}

function openedOneDnn(
  path: string,
  lib: Deno.DynamicLibrary<typeof SYMBOLS>,
  version: OneDnnVersion,
  maxPlans: number,
): OneDnn {
  const s: Symbols = lib.symbols;
  const out = new BigUint64Array(1);
  /** Calls a creator that writes one handle through its first argument; returns the handle. */
  const create = (name: string, status: number): bigint => {
    check(name, status);
    return out[0]!;
  };
  const engine = create("engine_create", s.dnnl_engine_create(out, ENGINE_CPU, 0n));
  const stream = create(
    "stream_create",
    s.dnnl_stream_create(out, engine, STREAM_DEFAULT_FLAGS),
  );
  let warned = false;
  /** Says once per library that oneDNN could not plan something, and what runs it instead. */
  const onFailure = (key: string, error: unknown) => {
    if (warned) return;
    warned = true;
    console.warn(
      `oneDNN (${path}) could not plan ${key}: ${
        error instanceof Error ? error.message : String(error)
      }; the blas backend runs it on its own kernels instead (said once; other shapes may ` +
        "fall back too)",
    );
  };
  const convolutionPlans = new PlanCache<OneDnnConvolution | null>(maxPlans, onFailure);
  const biasConvolutionPlans = new PlanCache<OneDnnBiasConvolution>(maxPlans, onFailure);
  const batchNormPlans = new PlanCache<OneDnnBatchNorm>(maxPlans, onFailure);
  const flatPlans = new PlanCache<(...arrays: Float32Array[]) => void>(maxPlans, onFailure);

  /** Registers the scope's descriptor buffers to be kept as long as its plan. */
  const scopeOf = (own: Own): Scope => {
    const keep: ArrayBufferView[] = [];
    own(() => void keep.splice(0));
    return { own, keep };
  };
  /** A release flag for a plan: its functions throw once the cache has freed it. */
  const liveness = (own: Own, what: string): () => void => {
    let released = false;
    own(() => void (released = true));
    return () => {
      if (released) throw new Error(`oneDNN ${what} plan used after it was freed`);
    };
  };
  const memoryDesc = (scope: Scope, dims: number[], tag: number, dataType = F32): bigint => {
    const md = new Uint8Array(MEMORY_DESC_BYTES);
    check(
      "memory_desc_init_by_tag",
      s.dnnl_memory_desc_init_by_tag(
        md,
        dims.length,
        new BigInt64Array(dims.map(BigInt)),
        dataType,
        tag,
      ),
    );
    scope.keep.push(md);
    return addressOf(md);
  };
  /**
   * The primitive descriptor of an operation that `describe` writes into a fresh operation
   * descriptor (returning oneDNN's status), with `hint` the forward descriptor a backward
   * operation needs (0n for none).
   */
  const primitiveDesc = (
    scope: Scope,
    name: string,
    describe: (opDesc: Uint8Array) => number,
    hint = 0n,
    attr = 0n,
  ): bigint => {
    const opDesc = new Uint8Array(OP_DESC_BYTES);
    scope.keep.push(opDesc);
    check(name, describe(opDesc));
    const pd = create(
      "primitive_desc_create",
      s.dnnl_primitive_desc_create(out, opDesc, attr, engine, hint),
    );
    scope.own(() => s.dnnl_primitive_desc_destroy(pd));
    return pd;
  };
  /** The name of the implementation oneDNN chose for a primitive descriptor. */
  const implementation = (pd: bigint): string => {
    check("primitive_desc_query", s.dnnl_primitive_desc_query(pd, QUERY_IMPL_INFO_STR, 0, out));
    const name = Deno.UnsafePointer.create(out[0]!);
    return name === null ? "" : new Deno.UnsafePointerView(name).getCString();
  };
  const primitive = (scope: Scope, pd: bigint): bigint => {
    const p = create("primitive_create", s.dnnl_primitive_create(out, pd));
    scope.own(() => s.dnnl_primitive_destroy(p));
    return p;
  };
  const memory = (scope: Scope, md: bigint, handle: bigint): bigint => {
    const m = create("memory_create", s.dnnl_memory_create(out, md, engine, handle));
    scope.own(() => s.dnnl_memory_destroy(m));
    return m;
  };
  const execute = (p: bigint, args: [number, bigint][]): void => {
    const packed = new BigInt64Array(2 * args.length);
    args.forEach(([arg, mem], i) => {
      packed[2 * i] = BigInt(arg);
      packed[2 * i + 1] = mem;
    });
    check("primitive_execute", s.dnnl_primitive_execute(p, stream, args.length, packed));
  };
  const wait = () => check("stream_wait", s.dnnl_stream_wait(stream));
  const setHandle = (m: bigint, values: Float32Array | Uint16Array): void => {
    check("memory_set_data_handle", s.dnnl_memory_set_data_handle(m, values));
  };
  /** A filter in oneDNN's chosen layout, with the reorder that fills it (or empties it). */
  const internalFilter = (
    scope: Scope,
    chosen: bigint,
    user: bigint,
    userMemory: bigint,
    toUser: boolean,
  ) => {
    if (s.dnnl_memory_desc_equal(chosen, user) !== 0) return undefined;
    const mem = memory(scope, chosen, ALLOCATE);
    const [from, to] = toUser ? [chosen, user] : [user, chosen];
    const pd = create(
      "reorder_primitive_desc_create",
      s.dnnl_reorder_primitive_desc_create(out, from, engine, to, engine, 0n),
    );
    scope.own(() => s.dnnl_primitive_desc_destroy(pd));
    const reorder = primitive(scope, pd);
    const args: [number, bigint][] = toUser
      ? [[ARG_SRC, mem], [ARG_DST, userMemory]]
      : [[ARG_SRC, userMemory], [ARG_DST, mem]];
    return { mem, run: () => execute(reorder, args) };
  };
  // bfloat16 copies of convolution inputs, kept under the key of the values they convert (a
  // tensor's dataId) until `forget`: a layer's input is converted once for its forward and its
  // filter gradient, the gradient dy once for both gradients. Freed copies are reused by size.
  const copies = new Map<object, Uint16Array>();
  const spareCopies = new Map<number, Uint16Array[]>();
  const spare = (copy: Uint16Array) => {
    const free = spareCopies.get(copy.length) ?? [];
    free.push(copy);
    spareCopies.set(copy.length, free);
  };
  /**
   * A bfloat16 copy of `userMemory`'s array (described by `user`) through memory described by
   * `copy`: `use(key)` binds the copy kept under `key`, or converts into a fresh one (kept under
   * `key` when given); `done()` gives back a copy that has no key.
   */
  const converted = (scope: Scope, user: bigint, copy: bigint, userMemory: bigint) => {
    const mem = memory(scope, copy, 0n);
    const length = Number(s.dnnl_memory_desc_get_size(copy)) / 2;
    const pd = create(
      "reorder_primitive_desc_create",
      s.dnnl_reorder_primitive_desc_create(out, user, engine, copy, engine, 0n),
    );
    scope.own(() => s.dnnl_primitive_desc_destroy(pd));
    const reorder = primitive(scope, pd);
    let unkept: Uint16Array | undefined;
    return {
      mem,
      use(key: object | undefined): void {
        const kept = key === undefined ? undefined : copies.get(key);
        const fresh = kept === undefined || kept.length !== length;
        const values = fresh ? spareCopies.get(length)?.pop() ?? new Uint16Array(length) : kept;
        setHandle(mem, values);
        if (!fresh) return;
        execute(reorder, [[ARG_SRC, userMemory], [ARG_DST, mem]]);
        if (key === undefined) unkept = values;
        else copies.set(key, values);
      },
      done(): void {
        if (unkept !== undefined) spare(unkept);
        unkept = undefined;
      },
    };
  };

  /**
   * One geometry's plan in `precision`; null for a bfloat16 plan whose forward oneDNN would run
   * on its reference kernel (the float32 plan serves that geometry instead).
   */
  const convolutionPlan = (
    own: Own,
    g: OneDnnConvGeometry,
    precision: ConvolutionPrecision,
  ): OneDnnConvolution | null => {
    const scope = scopeOf(own);
    const alive = liveness(own, "convolution");
    const bottom = (g.outH - 1) * g.sh + g.fh - g.inH - g.top;
    const right = (g.outW - 1) * g.sw + g.fw - g.inW - g.left;
    const srcDims = [g.batch, g.inC, g.inH, g.inW];
    const dstDims = [g.batch, g.outC, g.outH, g.outW];
    const src = memoryDesc(scope, srcDims, TAG_NHWC);
    const dst = memoryDesc(scope, dstDims, TAG_NHWC);
    // In bfloat16, what the convolutions read (x, dy, the filter) is a bfloat16 copy; what they
    // write (y, dx, dw) stays float32.
    const low = precision === "bfloat16";
    const inputType = low ? BF16 : F32;
    const srcIn = low ? memoryDesc(scope, srcDims, TAG_NHWC, BF16) : src;
    const dstIn = low ? memoryDesc(scope, dstDims, TAG_NHWC, BF16) : dst;
    const filterDims = [g.outC, g.inC, g.fh, g.fw];
    const userFilter = memoryDesc(scope, filterDims, TAG_HWIO);
    const anyFilter = memoryDesc(scope, filterDims, TAG_ANY, inputType);
    const anyFilterGradient = memoryDesc(scope, filterDims, TAG_ANY);
    const dims = (a: number, b: number) => {
      const values = new BigInt64Array([BigInt(a), BigInt(b)]);
      scope.keep.push(values);
      return values;
    };
    const strides = dims(g.sh, g.sw);
    const padL = dims(g.top, g.left);
    const padR = dims(bottom, right);
    const fwdPd = primitiveDesc(
      scope,
      "convolution_forward_desc_init",
      (d) =>
        s.dnnl_convolution_forward_desc_init(
          d,
          FORWARD_TRAINING,
          CONVOLUTION_DIRECT,
          srcIn,
          anyFilter,
          0n,
          dst,
          strides,
          padL,
          padR,
        ),
    );
    if (low && implementation(fwdPd).startsWith("ref")) return null;
    const dataPd = primitiveDesc(
      scope,
      "convolution_backward_data_desc_init",
      (d) =>
        s.dnnl_convolution_backward_data_desc_init(
          d,
          CONVOLUTION_DIRECT,
          src,
          anyFilter,
          dstIn,
          strides,
          padL,
          padR,
        ),
      fwdPd,
    );
    const weightsPd = primitiveDesc(
      scope,
      "convolution_backward_weights_desc_init",
      (d) =>
        s.dnnl_convolution_backward_weights_desc_init(
          d,
          CONVOLUTION_DIRECT,
          srcIn,
          anyFilterGradient,
          0n,
          dstIn,
          strides,
          padL,
          padR,
        ),
      fwdPd,
    );
    // NHWC was asked for explicitly, so src/dst memories can wrap the tensors as they are.
    for (
      const [pd, query, expected] of [
        [fwdPd, QUERY_SRC_MD, srcIn],
        [fwdPd, QUERY_DST_MD, dst],
        [dataPd, QUERY_DIFF_SRC_MD, src],
        [dataPd, QUERY_DIFF_DST_MD, dstIn],
        [weightsPd, QUERY_SRC_MD, srcIn],
        [weightsPd, QUERY_DIFF_DST_MD, dstIn],
      ] as const
    ) {
      const md = s.dnnl_primitive_desc_query_md(pd, query, 0) as bigint;
      if (s.dnnl_memory_desc_equal(md, expected) === 0) {
        throw new Error("oneDNN chose a non-NHWC layout for an NHWC convolution");
      }
    }
    const srcMem = memory(scope, src, 0n);
    const dstMem = memory(scope, dst, 0n);
    const filterMem = memory(scope, userFilter, 0n);
    const fwd = primitive(scope, fwdPd);
    const data = primitive(scope, dataPd);
    const weights = primitive(scope, weightsPd);
    const fwdFilter = internalFilter(
      scope,
      s.dnnl_primitive_desc_query_md(fwdPd, QUERY_WEIGHTS_MD, 0) as bigint,
      userFilter,
      filterMem,
      false,
    );
    const dataFilter = internalFilter(
      scope,
      s.dnnl_primitive_desc_query_md(dataPd, QUERY_WEIGHTS_MD, 0) as bigint,
      userFilter,
      filterMem,
      false,
    );
    const gradFilter = internalFilter(
      scope,
      s.dnnl_primitive_desc_query_md(weightsPd, QUERY_DIFF_WEIGHTS_MD, 0) as bigint,
      userFilter,
      filterMem,
      true,
    );
    // The bfloat16 copies of x and dy (float32 when not lowered: then they are the tensors).
    const xIn = low ? converted(scope, src, srcIn, srcMem) : undefined;
    const dyIn = low ? converted(scope, dst, dstIn, dstMem) : undefined;
    const xSize = g.batch * g.inH * g.inW * g.inC;
    const ySize = g.batch * g.outH * g.outW * g.outC;
    const wSize = g.fh * g.fw * g.inC * g.outC;
    return {
      kernels: {
        forward: implementation(fwdPd),
        backwardData: implementation(dataPd),
        backwardWeights: implementation(weightsPd),
      },
      forward(x, w, y, keys = {}) {
        alive();
        checkFloats("OneDnnConvolution.forward", "x", x, xSize);
        checkFloats("OneDnnConvolution.forward", "w", w, wSize);
        checkFloats("OneDnnConvolution.forward", "y", y, ySize);
        setHandle(srcMem, x);
        setHandle(filterMem, w);
        setHandle(dstMem, y);
        xIn?.use(keys.x);
        fwdFilter?.run();
        execute(fwd, [
          [ARG_SRC, xIn?.mem ?? srcMem],
          [ARG_WEIGHTS, fwdFilter?.mem ?? filterMem],
          [ARG_DST, dstMem],
        ]);
        wait();
        xIn?.done();
      },
      backwardData(dy, w, dx, keys = {}) {
        alive();
        checkFloats("OneDnnConvolution.backwardData", "dy", dy, ySize);
        checkFloats("OneDnnConvolution.backwardData", "w", w, wSize);
        checkFloats("OneDnnConvolution.backwardData", "dx", dx, xSize);
        setHandle(dstMem, dy);
        setHandle(filterMem, w);
        setHandle(srcMem, dx);
        dyIn?.use(keys.dy);
        dataFilter?.run();
        execute(data, [
          [ARG_DIFF_DST, dyIn?.mem ?? dstMem],
          [ARG_WEIGHTS, dataFilter?.mem ?? filterMem],
          [ARG_DIFF_SRC, srcMem],
        ]);
        wait();
        dyIn?.done();
      },
      backwardWeights(x, dy, dw, keys = {}) {
        alive();
        checkFloats("OneDnnConvolution.backwardWeights", "x", x, xSize);
        checkFloats("OneDnnConvolution.backwardWeights", "dy", dy, ySize);
        checkFloats("OneDnnConvolution.backwardWeights", "dw", dw, wSize);
        setHandle(srcMem, x);
        setHandle(dstMem, dy);
        setHandle(filterMem, dw);
        xIn?.use(keys.x);
        dyIn?.use(keys.dy);
        execute(weights, [
          [ARG_SRC, xIn?.mem ?? srcMem],
          [ARG_DIFF_DST, dyIn?.mem ?? dstMem],
          [ARG_DIFF_WEIGHTS, gradFilter?.mem ?? filterMem],
        ]);
        gradFilter?.run();
        wait();
        xIn?.done();
        dyIn?.done();
      },
    };
  };

  const biasConvolutionPlan = (
    own: Own,
    g: OneDnnConvGeometry,
    relu: boolean,
  ): OneDnnBiasConvolution => {
    const scope = scopeOf(own);
    const alive = liveness(own, "bias convolution");
    const bottom = (g.outH - 1) * g.sh + g.fh - g.inH - g.top;
    const right = (g.outW - 1) * g.sw + g.fw - g.inW - g.left;
    const src = memoryDesc(scope, [g.batch, g.inC, g.inH, g.inW], TAG_NHWC);
    const dst = memoryDesc(scope, [g.batch, g.outC, g.outH, g.outW], TAG_NHWC);
    const biasMd = memoryDesc(scope, [g.outC], TAG_A);
    const filterDims = [g.outC, g.inC, g.fh, g.fw];
    const userFilter = memoryDesc(scope, filterDims, TAG_HWIO);
    const anyFilter = memoryDesc(scope, filterDims, TAG_ANY);
    const pairs = [[g.sh, g.sw], [g.top, g.left], [bottom, right]].map(([a, b]) => {
      const values = new BigInt64Array([BigInt(a!), BigInt(b!)]);
      scope.keep.push(values);
      return values;
    });
    let attr = 0n;
    if (relu) {
      attr = create("primitive_attr_create", s.dnnl_primitive_attr_create(out));
      scope.own(() => s.dnnl_primitive_attr_destroy(attr));
      const postOps = create("post_ops_create", s.dnnl_post_ops_create(out));
      try {
        check(
          "post_ops_append_eltwise",
          s.dnnl_post_ops_append_eltwise(postOps, 1, ELTWISE_RELU, 0, 0),
        );
        check("primitive_attr_set_post_ops", s.dnnl_primitive_attr_set_post_ops(attr, postOps));
      } finally {
        // The attribute keeps its own copy.
        s.dnnl_post_ops_destroy(postOps);
      }
    }
    const pd = primitiveDesc(
      scope,
      "convolution_forward_desc_init",
      (d) =>
        s.dnnl_convolution_forward_desc_init(
          d,
          FORWARD_INFERENCE,
          CONVOLUTION_DIRECT,
          src,
          anyFilter,
          biasMd,
          dst,
          pairs[0]!,
          pairs[1]!,
          pairs[2]!,
        ),
      0n,
      attr,
    );
    for (const [query, expected] of [[QUERY_SRC_MD, src], [QUERY_DST_MD, dst]] as const) {
      const md = s.dnnl_primitive_desc_query_md(pd, query, 0) as bigint;
      if (s.dnnl_memory_desc_equal(md, expected) === 0) {
        throw new Error("oneDNN chose a non-NHWC layout for an NHWC convolution");
      }
    }
    const srcMem = memory(scope, src, 0n);
    const dstMem = memory(scope, dst, 0n);
    const biasMem = memory(scope, biasMd, 0n);
    const filterMem = memory(scope, userFilter, 0n);
    const fwd = primitive(scope, pd);
    // The filter in the layout oneDNN chose, reordered once per weights: a frozen model's
    // weights come again every batch, and a reorder per call cost 10-25% on a busy machine.
    const chosen = s.dnnl_primitive_desc_query_md(pd, QUERY_WEIGHTS_MD, 0) as bigint;
    let reorder: bigint | undefined;
    let chosenMem = 0n;
    let chosenLength = 0;
    if (s.dnnl_memory_desc_equal(chosen, userFilter) === 0) {
      chosenMem = memory(scope, chosen, 0n);
      chosenLength = Number(s.dnnl_memory_desc_get_size(chosen)) / 4;
      const reorderPd = create(
        "reorder_primitive_desc_create",
        s.dnnl_reorder_primitive_desc_create(out, userFilter, engine, chosen, engine, 0n),
      );
      scope.own(() => s.dnnl_primitive_desc_destroy(reorderPd));
      reorder = primitive(scope, reorderPd);
    }
    const reordered = new WeakMap<object, Float32Array>();
    const xSize = g.batch * g.inH * g.inW * g.inC;
    const ySize = g.batch * g.outH * g.outW * g.outC;
    const wSize = g.fh * g.fw * g.inC * g.outC;
    const fn = "OneDnnBiasConvolution.forward";
    return {
      forward(x, w, bias, y, key) {
        alive();
        checkFloats(fn, "x", x, xSize);
        checkFloats(fn, "w", w, wSize);
        checkFloats(fn, "bias", bias, g.outC);
        checkFloats(fn, "y", y, ySize);
        let weights = filterMem;
        if (reorder !== undefined) {
          let values = key === undefined ? undefined : reordered.get(key);
          if (values === undefined) {
            values = new Float32Array(chosenLength);
            setHandle(filterMem, w);
            setHandle(chosenMem, values);
            execute(reorder, [[ARG_SRC, filterMem], [ARG_DST, chosenMem]]);
            if (key !== undefined) reordered.set(key, values);
          }
          setHandle(chosenMem, values);
          weights = chosenMem;
        } else {
          setHandle(filterMem, w);
        }
        setHandle(srcMem, x);
        setHandle(biasMem, bias);
        setHandle(dstMem, y);
        execute(fwd, [
          [ARG_SRC, srcMem],
          [ARG_WEIGHTS, weights],
          [ARG_BIAS, biasMem],
          [ARG_DST, dstMem],
        ]);
        wait();
      },
    };
  };

  const batchNormPlan = (
    own: Own,
    rows: number,
    channels: number,
    epsilon: number,
  ): OneDnnBatchNorm => {
    const scope = scopeOf(own);
    const alive = liveness(own, "batch-norm");
    // As NHWC [rows, C, 1, 1]: oneDNN has jit kernels for that layout, only a slow generic
    // one for plain 2-D "nc" data.
    const data = memoryDesc(scope, [rows, channels, 1, 1], TAG_NHWC);
    const perChannel = memoryDesc(scope, [channels], TAG_A);
    const flags = USE_SCALE | USE_SHIFT;
    const fwdPd = primitiveDesc(
      scope,
      "batch_normalization_forward_desc_init",
      (d) =>
        s.dnnl_batch_normalization_forward_desc_init(d, FORWARD_TRAINING, data, epsilon, flags),
    );
    const bwdPd = primitiveDesc(
      scope,
      "batch_normalization_backward_desc_init",
      (d) => s.dnnl_batch_normalization_backward_desc_init(d, BACKWARD, data, data, epsilon, flags),
      fwdPd,
    );
    const fwd = primitive(scope, fwdPd);
    const bwd = primitive(scope, bwdPd);
    const [x, y, dy, dx] = [0, 1, 2, 3].map(() => memory(scope, data, 0n));
    const [mean, variance, scale, shift, dscale, dshift] = [0, 1, 2, 3, 4, 5].map(() =>
      memory(scope, perChannel, 0n)
    );
    const size = rows * channels;
    /** Checks each array's size (`c`: per channel), then binds it to its memory. */
    const bind = (fn: string, pairs: [string, bigint, Float32Array, boolean][]) => {
      for (const [name, , values, c] of pairs) checkFloats(fn, name, values, c ? channels : size);
      for (const [, m, values] of pairs) setHandle(m, values);
    };
    return {
      forward(xv, gamma, beta, yv, meanv, variancev) {
        alive();
        bind("OneDnnBatchNorm.forward", [
          ["x", x!, xv, false],
          ["gamma", scale!, gamma, true],
          ["beta", shift!, beta, true],
          ["y", y!, yv, false],
          ["mean", mean!, meanv, true],
          ["variance", variance!, variancev, true],
        ]);
        execute(fwd, [
          [ARG_SRC, x!],
          [ARG_SCALE, scale!],
          [ARG_SHIFT, shift!],
          [ARG_DST, y!],
          [ARG_MEAN, mean!],
          [ARG_VARIANCE, variance!],
        ]);
        wait();
      },
      backward(xv, dyv, gamma, meanv, variancev, dxv, dgamma, dbeta) {
        alive();
        // oneDNN asks for the shift too, though the gradients do not read it: gamma stands in.
        bind("OneDnnBatchNorm.backward", [
          ["x", x!, xv, false],
          ["dy", dy!, dyv, false],
          ["gamma", scale!, gamma, true],
          ["gamma", shift!, gamma, true],
          ["mean", mean!, meanv, true],
          ["variance", variance!, variancev, true],
          ["dx", dx!, dxv, false],
          ["dgamma", dscale!, dgamma, true],
          ["dbeta", dshift!, dbeta, true],
        ]);
        execute(bwd, [
          [ARG_SRC, x!],
          [ARG_DIFF_DST, dy!],
          [ARG_SCALE, scale!],
          [ARG_SHIFT, shift!],
          [ARG_MEAN, mean!],
          [ARG_VARIANCE, variance!],
          [ARG_DIFF_SRC, dx!],
          [ARG_DIFF_SCALE, dscale!],
          [ARG_DIFF_SHIFT, dshift!],
        ]);
        wait();
      },
    };
  };

  /**
   * A primitive over flat float32 arrays of `length` elements (described as one dimension);
   * the function it returns binds its arrays to `args`, in order, and runs it (the caller has
   * checked their sizes).
   */
  const flatPrimitive = (
    own: Own,
    length: number,
    makePd: (scope: Scope, data: bigint, src1: bigint) => bigint,
    args: number[],
    scalarSrc1 = false,
  ): (...arrays: Float32Array[]) => void => {
    const scope = scopeOf(own);
    const alive = liveness(own, "elementwise");
    // One dimension: oneDNN's broadcast of a [1] operand over it runs vectorised, where over
    // [length, 1, 1, 1] it was 70 times slower (12.8 ms against 0.18 for 2.4M values).
    const data = memoryDesc(scope, [length], TAG_A);
    // A broadcast second operand: one value for every element.
    const src1 = scalarSrc1 ? memoryDesc(scope, [1], TAG_A) : data;
    const p = primitive(scope, makePd(scope, data, src1));
    const memories = args.map((arg) => memory(scope, arg === ARG_SRC_1 ? src1 : data, 0n));
    return (...arrays) => {
      alive();
      memories.forEach((m, i) => setHandle(m, arrays[i]!));
      execute(p, args.map((arg, i) => [arg, memories[i]!]));
      wait();
    };
  };
  const binaryPd = (op: OneDnnBinaryOp) => (scope: Scope, data: bigint, src1: bigint) =>
    primitiveDesc(
      scope,
      "binary_desc_init",
      (d) => s.dnnl_binary_desc_init(d, BINARY[op], data, src1, data),
    );
  const unaryPd = (op: OneDnnUnaryOp) => (scope: Scope, data: bigint) =>
    primitiveDesc(
      scope,
      "eltwise_forward_desc_init",
      (d) => s.dnnl_eltwise_forward_desc_init(d, FORWARD_INFERENCE, ELTWISE[op], data, 0, 0),
    );
  const reluPd = (scope: Scope, data: bigint, prop = FORWARD_INFERENCE) =>
    primitiveDesc(
      scope,
      "eltwise_forward_desc_init",
      (d) => s.dnnl_eltwise_forward_desc_init(d, prop, ELTWISE_RELU, data, 0, 0),
    );
  const reluBackwardPd = (scope: Scope, data: bigint) =>
    primitiveDesc(
      scope,
      "eltwise_backward_desc_init",
      (d) => s.dnnl_eltwise_backward_desc_init(d, ELTWISE_RELU, data, data, 0, 0),
      // The forward descriptor is only the backward one's required hint.
      reluPd(scope, data, FORWARD_TRAINING),
    );
  /**
   * Runs the flat primitive `name` over `arrays` (each checked to hold `length` elements) from
   * its plan; false when oneDNN could not plan it.
   */
  const flat = (
    name: string,
    makePd: (scope: Scope, data: bigint, src1: bigint) => bigint,
    args: number[],
    length: number,
    arrays: [string, Float32Array][],
  ): boolean => {
    checkDimension(`OneDnn.${name}`, "length", length);
    // A one-value second operand (ARG_SRC_1) is broadcast.
    const scalarSrc1 = args.some((arg, i) =>
      arg === ARG_SRC_1 && arrays[i]![1].length === 1 && length !== 1
    );
    for (const [i, [argument, values]] of arrays.entries()) {
      const scalar = scalarSrc1 && args[i] === ARG_SRC_1;
      checkFloats(`OneDnn.${name}`, argument, values, scalar ? 1 : length);
    }
    const run = flatPlans.get(
      `${name} of ${length} elements${scalarSrc1 ? " by one" : ""}`,
      (own) => flatPrimitive(own, length, makePd, args, scalarSrc1),
    );
    if (run === undefined) return false;
    run(...arrays.map(([, values]) => values));
    return true;
  };

  let bfloat16Support: BFloat16Support | undefined;
  /** Asks oneDNN which kernel it would run a small bfloat16 convolution on. */
  const probeBfloat16 = (): BFloat16Support => {
    const releases: (() => void)[] = [];
    try {
      const scope = scopeOf((release) => releases.push(release));
      const pairs = [[1, 1], [1, 1], [1, 1]].map((pair) => {
        const values = new BigInt64Array(pair.map(BigInt));
        scope.keep.push(values);
        return values;
      });
      const pd = primitiveDesc(
        scope,
        "convolution_forward_desc_init",
        (d) =>
          s.dnnl_convolution_forward_desc_init(
            d,
            FORWARD_TRAINING,
            CONVOLUTION_DIRECT,
            memoryDesc(scope, [2, 32, 8, 8], TAG_NHWC, BF16),
            memoryDesc(scope, [32, 32, 3, 3], TAG_ANY, BF16),
            0n,
            memoryDesc(scope, [2, 32, 8, 8], TAG_NHWC),
            pairs[0]!,
            pairs[1]!,
            pairs[2]!,
          ),
      );
      const kernel = implementation(pd);
      if (/avx512_core_bf16|amx/.test(kernel)) return { supported: true, kernel };
      return {
        supported: false,
        reason: `oneDNN ${versionText} (${path}) would run bfloat16 convolutions on "${kernel}": ` +
          "this CPU lacks native bfloat16 instructions (AVX-512 BF16 or AMX), and emulated " +
          "bfloat16 is slower than float32",
      };
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      return {
        supported: false,
        reason: `oneDNN ${versionText} (${path}) could not plan a bfloat16 convolution: ${message}`,
      };
    } finally {
      for (const release of releases.reverse()) release();
    }
  };
  const versionText = `${version.major}.${version.minor}.${version.patch}`;

  return {
    path,
    version: versionText,
    add(a, b, out) {
      checkFloats("OneDnn.add", "b", b, out.length);
      return this.binary("add", a, b, out);
    },
    binary(op, a, b, out) {
      if (!Object.hasOwn(BINARY, op)) {
        throw rangeError("OneDnn.binary", "op", `one of ${Object.keys(BINARY)}`, op);
      }
      return flat(op, binaryPd(op), [ARG_SRC, ARG_SRC_1, ARG_DST], out.length, [
        ["a", a],
        ["b", b],
        ["out", out],
      ]);
    },
    unary(op, x, y) {
      if (!Object.hasOwn(ELTWISE, op)) {
        throw rangeError("OneDnn.unary", "op", `one of ${Object.keys(ELTWISE)}`, op);
      }
      return flat(op, unaryPd(op), [ARG_SRC, ARG_DST], y.length, [["x", x], ["y", y]]);
    },
    relu(x, y) {
      return flat("relu", (scope, data) => reluPd(scope, data), [ARG_SRC, ARG_DST], x.length, [
        ["x", x],
        ["y", y],
      ]);
    },
    reluBackward(x, dy, dx) {
      const args = [ARG_SRC, ARG_DIFF_DST, ARG_DIFF_SRC];
      return flat("relu backward", reluBackwardPd, args, x.length, [
        ["x", x],
        ["dy", dy],
        ["dx", dx],
      ]);
    },
    batchNorm(rows, channels, epsilon) {
      checkDimension("OneDnn.batchNorm", "rows", rows);
      checkDimension("OneDnn.batchNorm", "channels", channels);
      if (!Number.isFinite(epsilon) || epsilon < 0) {
        throw rangeError("OneDnn.batchNorm", "epsilon", "a finite number >= 0", epsilon);
      }
      const key = `batch norm of ${rows} x ${channels}, epsilon ${epsilon}`;
      return batchNormPlans.get(key, (own) => batchNormPlan(own, rows, channels, epsilon));
    },
    convolution(g, precision = "float32") {
      const fields = checkedGeometry("OneDnn.convolution", g);
      if (fields === undefined) return undefined;
      if (precision !== "float32" && precision !== "bfloat16") {
        throw rangeError("OneDnn.convolution", "precision", '"float32" or "bfloat16"', precision);
      }
      const key = `${precision === "float32" ? "" : "bfloat16 "}convolution ${
        JSON.stringify(fields)
      }`;
      const plan = convolutionPlans.get(key, (own) => convolutionPlan(own, g, precision));
      if (plan === null) return this.convolution(g);
      return plan;
    },
    bfloat16() {
      bfloat16Support ??= probeBfloat16();
      return bfloat16Support;
    },
    forget(key) {
      const copy = copies.get(key);
      if (copy === undefined) return;
      copies.delete(key);
      spare(copy);
    },
    keptCopies() {
      let bytes = 0;
      for (const copy of copies.values()) bytes += copy.byteLength;
      return { count: copies.size, bytes };
    },
    biasConvolution(g, relu) {
      const fields = checkedGeometry("OneDnn.biasConvolution", g);
      if (fields === undefined) return undefined;
      const key = `bias convolution ${JSON.stringify(fields)}${relu ? " + relu" : ""}`;
      return biasConvolutionPlans.get(key, (own) => biasConvolutionPlan(own, g, relu));
    },
    plans() {
      const [c, i, b, f] = [convolutionPlans, biasConvolutionPlans, batchNormPlans, flatPlans]
        .map((p) => p.counts);
      return {
        convolution: c!.plans + i!.plans,
        batchNorm: b!.plans,
        flat: f!.plans,
        failures: c!.failures + i!.failures + b!.failures + f!.failures,
      };
    },
    close() {
      for (const plans of [convolutionPlans, biasConvolutionPlans, batchNormPlans, flatPlans]) {
        plans.clear();
      }
      copies.clear();
      spareCopies.clear();
      s.dnnl_stream_destroy(stream);
      s.dnnl_engine_destroy(engine);
      lib.close();
    },
  };
}
