/**
 * Convolutions and batch norm on oneDNN (Intel's deep-learning primitives library,
 * `libdnnl.so.2`, the 2.x C API) through Deno FFI: forward, input gradient and filter gradient
 * of an NHWC float32 convolution, batch-norm training forward and backward, large adds, relu
 * and its gradient, as
 * oneDNN's own
 * jit kernels, which read and write NHWC directly (no im2col) and use every core. The filter
 * is reordered to and from the blocked layout oneDNN picks.
 *
 * Each distinct geometry gets a plan (descriptors, primitives, reorders) made once and kept.
 *
 * @module
 */

import { candidatesFrom, openFirst } from "./_dlopen.ts";

// Values from oneDNN 2.x's dnnl_types.h.
const F32 = 3;
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
const BINARY_ADD = 131056;
const ELTWISE_RELU = 31;
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

/** One geometry's three convolutions; arrays are NHWC / HWIO float32, written in full. */
export interface OneDnnConvolution {
  /** y = conv(x, w). */
  forward(x: Float32Array, w: Float32Array, y: Float32Array): void;
  /** dx = the gradient of conv(x, w) with respect to x, given dy. */
  backwardData(dy: Float32Array, w: Float32Array, dx: Float32Array): void;
  /** dw = the gradient of conv(x, w) with respect to w, given dy. */
  backwardWeights(x: Float32Array, dy: Float32Array, dw: Float32Array): void;
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

/** An opened oneDNN. */
export interface OneDnn {
  /** out = a + b elementwise over `length` floats (exactly rounded, as in JavaScript). */
  add(a: Float32Array, b: Float32Array, out: Float32Array): void;
  /** y = max(x, 0), except that NaN becomes 0 (callers must keep NaN inputs away). */
  relu(x: Float32Array, y: Float32Array): void;
  /**
   * The relu gradient: dx = dy where x > 0, dy * 0 where x <= 0, and (unlike tfjs's
   * `dy * step(x)`, which gives NaN) dy where x is NaN.
   */
  reluBackward(x: Float32Array, dy: Float32Array, dx: Float32Array): void;
  /** The library file that was opened. */
  path: string;
  /**
   * The plan for a geometry (made on first use, then cached), or undefined when oneDNN cannot
   * take it (padding that would be negative on the bottom or right).
   */
  convolution(g: OneDnnConvGeometry): OneDnnConvolution | undefined;
  /** The batch-norm plan for `rows` x `channels` data and `epsilon` (made once, cached). */
  batchNorm(rows: number, channels: number, epsilon: number): OneDnnBatchNorm;
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

/**
 * Opens oneDNN 2.x through Deno FFI.
 *
 * Tries `options.libraryPath`, else the library named by the environment variable
 * `SELFSUP_ONEDNN_LIBRARY` (read with `--allow-env`), else the platform's usual names.
 *
 * @param options A library path or file name instead of the platform's usual names.
 * @returns The opened library.
 * @throws {Error} Without FFI permission, or when no candidate library opens (the message says
 *   what to install).
 * @example
 * ```ts ignore
 * import { openOneDnn } from "./onednn.ts";
 * const dnnl = openOneDnn(); // needs libdnnl2 (Debian/Ubuntu)
 * dnnl.close();
 * ```
 */
export function openOneDnn(options: { libraryPath?: string } = {}): OneDnn {
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
  return openedOneDnn(path, lib);
}

/** The plan under `key`, made by `make` on first use. */
function cached<K, P>(plans: Map<K, P>, key: K, make: () => P): P {
  if (!plans.has(key)) plans.set(key, make());
  return plans.get(key)!;
}

function check(name: string, status: number): void {
  if (status !== 0) throw new Error(`oneDNN ${name} failed with status ${status}`);
}

/** Address of a buffer's first byte, for parameters typed as addresses. */
function addressOf(buffer: ArrayBufferView): bigint {
  return BigInt(Deno.UnsafePointer.value(Deno.UnsafePointer.of(buffer as BufferSource)));
}

function openedOneDnn(path: string, lib: Deno.DynamicLibrary<typeof SYMBOLS>): OneDnn {
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
  const plans = new Map<string, OneDnnConvolution | undefined>();
  const owned: { kind: "memory" | "primitive" | "pd"; handle: bigint }[] = [];
  // Descriptor buffers must outlive the plans that point into them.
  const keep: ArrayBufferView[] = [];

  const memoryDesc = (dims: number[], tag: number): bigint => {
    const md = new Uint8Array(MEMORY_DESC_BYTES);
    check(
      "memory_desc_init_by_tag",
      s.dnnl_memory_desc_init_by_tag(
        md,
        dims.length,
        new BigInt64Array(dims.map(BigInt)),
        F32,
        tag,
      ),
    );
    keep.push(md);
    return addressOf(md);
  };
  /**
   * The primitive descriptor of an operation that `describe` writes into a fresh operation
   * descriptor (returning oneDNN's status), with `hint` the forward descriptor a backward
   * operation needs (0n for none).
   */
  const primitiveDesc = (
    name: string,
    describe: (opDesc: Uint8Array) => number,
    hint = 0n,
  ): bigint => {
    const opDesc = new Uint8Array(OP_DESC_BYTES);
    keep.push(opDesc);
    check(name, describe(opDesc));
    const pd = create(
      "primitive_desc_create",
      s.dnnl_primitive_desc_create(out, opDesc, 0n, engine, hint),
    );
    owned.push({ kind: "pd", handle: pd });
    return pd;
  };
  const primitive = (pd: bigint): bigint => {
    const p = create("primitive_create", s.dnnl_primitive_create(out, pd));
    owned.push({ kind: "primitive", handle: p });
    return p;
  };
  const memory = (md: bigint, handle: bigint): bigint => {
    const m = create("memory_create", s.dnnl_memory_create(out, md, engine, handle));
    owned.push({ kind: "memory", handle: m });
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
  const setHandle = (m: bigint, values: Float32Array): void => {
    check("memory_set_data_handle", s.dnnl_memory_set_data_handle(m, values));
  };
  /** A filter in oneDNN's chosen layout, with the reorder that fills it (or empties it). */
  const internalFilter = (chosen: bigint, user: bigint, userMemory: bigint, toUser: boolean) => {
    if (s.dnnl_memory_desc_equal(chosen, user) !== 0) return undefined;
    const mem = memory(chosen, ALLOCATE);
    const [from, to] = toUser ? [chosen, user] : [user, chosen];
    const pd = create(
      "reorder_primitive_desc_create",
      s.dnnl_reorder_primitive_desc_create(out, from, engine, to, engine, 0n),
    );
    owned.push({ kind: "pd", handle: pd });
    const reorder = primitive(pd);
    const args: [number, bigint][] = toUser
      ? [[ARG_SRC, mem], [ARG_DST, userMemory]]
      : [[ARG_SRC, userMemory], [ARG_DST, mem]];
    return { mem, run: () => execute(reorder, args) };
  };

  const plan = (g: OneDnnConvGeometry): OneDnnConvolution | undefined => {
    const bottom = (g.outH - 1) * g.sh + g.fh - g.inH - g.top;
    const right = (g.outW - 1) * g.sw + g.fw - g.inW - g.left;
    if (g.top < 0 || g.left < 0 || bottom < 0 || right < 0) return undefined;
    const src = memoryDesc([g.batch, g.inC, g.inH, g.inW], TAG_NHWC);
    const dst = memoryDesc([g.batch, g.outC, g.outH, g.outW], TAG_NHWC);
    const filterDims = [g.outC, g.inC, g.fh, g.fw];
    const userFilter = memoryDesc(filterDims, TAG_HWIO);
    const anyFilter = memoryDesc(filterDims, TAG_ANY);
    const dims = (a: number, b: number) => new BigInt64Array([BigInt(a), BigInt(b)]);
    const strides = dims(g.sh, g.sw);
    const padL = dims(g.top, g.left);
    const padR = dims(bottom, right);
    const fwdPd = primitiveDesc(
      "convolution_forward_desc_init",
      (d) =>
        s.dnnl_convolution_forward_desc_init(
          d,
          FORWARD_TRAINING,
          CONVOLUTION_DIRECT,
          src,
          anyFilter,
          0n,
          dst,
          strides,
          padL,
          padR,
        ),
    );
    const dataPd = primitiveDesc(
      "convolution_backward_data_desc_init",
      (d) =>
        s.dnnl_convolution_backward_data_desc_init(
          d,
          CONVOLUTION_DIRECT,
          src,
          anyFilter,
          dst,
          strides,
          padL,
          padR,
        ),
      fwdPd,
    );
    const weightsPd = primitiveDesc(
      "convolution_backward_weights_desc_init",
      (d) =>
        s.dnnl_convolution_backward_weights_desc_init(
          d,
          CONVOLUTION_DIRECT,
          src,
          anyFilter,
          0n,
          dst,
          strides,
          padL,
          padR,
        ),
      fwdPd,
    );
    // NHWC was asked for explicitly, so src/dst memories can wrap the tensors as they are.
    for (
      const [pd, query] of [
        [fwdPd, QUERY_SRC_MD],
        [fwdPd, QUERY_DST_MD],
        [dataPd, QUERY_DIFF_SRC_MD],
        [dataPd, QUERY_DIFF_DST_MD],
        [weightsPd, QUERY_SRC_MD],
        [weightsPd, QUERY_DIFF_DST_MD],
      ] as const
    ) {
      const md = s.dnnl_primitive_desc_query_md(pd, query, 0) as bigint;
      const expected = query === QUERY_SRC_MD || query === QUERY_DIFF_SRC_MD ? src : dst;
      if (s.dnnl_memory_desc_equal(md, expected) === 0) {
        throw new Error("oneDNN chose a non-NHWC layout for an NHWC convolution");
      }
    }
    const srcMem = memory(src, 0n);
    const dstMem = memory(dst, 0n);
    const filterMem = memory(userFilter, 0n);
    const fwd = primitive(fwdPd);
    const data = primitive(dataPd);
    const weights = primitive(weightsPd);
    const fwdFilter = internalFilter(
      s.dnnl_primitive_desc_query_md(fwdPd, QUERY_WEIGHTS_MD, 0) as bigint,
      userFilter,
      filterMem,
      false,
    );
    const dataFilter = internalFilter(
      s.dnnl_primitive_desc_query_md(dataPd, QUERY_WEIGHTS_MD, 0) as bigint,
      userFilter,
      filterMem,
      false,
    );
    const gradFilter = internalFilter(
      s.dnnl_primitive_desc_query_md(weightsPd, QUERY_DIFF_WEIGHTS_MD, 0) as bigint,
      userFilter,
      filterMem,
      true,
    );
    return {
      forward(x, w, y) {
        setHandle(srcMem, x);
        setHandle(filterMem, w);
        setHandle(dstMem, y);
        fwdFilter?.run();
        execute(fwd, [[ARG_SRC, srcMem], [ARG_WEIGHTS, fwdFilter?.mem ?? filterMem], [
          ARG_DST,
          dstMem,
        ]]);
        wait();
      },
      backwardData(dy, w, dx) {
        setHandle(dstMem, dy);
        setHandle(filterMem, w);
        setHandle(srcMem, dx);
        dataFilter?.run();
        execute(data, [[ARG_DIFF_DST, dstMem], [ARG_WEIGHTS, dataFilter?.mem ?? filterMem], [
          ARG_DIFF_SRC,
          srcMem,
        ]]);
        wait();
      },
      backwardWeights(x, dy, dw) {
        setHandle(srcMem, x);
        setHandle(dstMem, dy);
        setHandle(filterMem, dw);
        execute(weights, [[ARG_SRC, srcMem], [ARG_DIFF_DST, dstMem], [
          ARG_DIFF_WEIGHTS,
          gradFilter?.mem ?? filterMem,
        ]]);
        gradFilter?.run();
        wait();
      },
    };
  };

  const batchNormPlan = (rows: number, channels: number, epsilon: number): OneDnnBatchNorm => {
    // As NHWC [rows, C, 1, 1]: oneDNN has jit kernels for that layout, only a slow generic
    // one for plain 2-D "nc" data.
    const data = memoryDesc([rows, channels, 1, 1], TAG_NHWC);
    const perChannel = memoryDesc([channels], TAG_A);
    const flags = USE_SCALE | USE_SHIFT;
    const fwdPd = primitiveDesc(
      "batch_normalization_forward_desc_init",
      (d) =>
        s.dnnl_batch_normalization_forward_desc_init(d, FORWARD_TRAINING, data, epsilon, flags),
    );
    const bwdPd = primitiveDesc(
      "batch_normalization_backward_desc_init",
      (d) => s.dnnl_batch_normalization_backward_desc_init(d, BACKWARD, data, data, epsilon, flags),
      fwdPd,
    );
    const fwd = primitive(fwdPd);
    const bwd = primitive(bwdPd);
    const [x, y, dy, dx] = [0, 1, 2, 3].map(() => memory(data, 0n));
    const [mean, variance, scale, shift, dscale, dshift] = [0, 1, 2, 3, 4, 5].map(() =>
      memory(perChannel, 0n)
    );
    const bind = (pairs: [bigint, Float32Array][]) => {
      for (const [m, values] of pairs) setHandle(m, values);
    };
    return {
      forward(xv, gamma, beta, yv, meanv, variancev) {
        bind([[x!, xv], [scale!, gamma], [shift!, beta], [y!, yv], [mean!, meanv], [
          variance!,
          variancev,
        ]]);
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
        // oneDNN asks for the shift too, though the gradients do not read it: gamma stands in.
        bind([
          [x!, xv],
          [dy!, dyv],
          [scale!, gamma],
          [shift!, gamma],
          [mean!, meanv],
          [variance!, variancev],
          [dx!, dxv],
          [dscale!, dgamma],
          [dshift!, dbeta],
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
  const batchNormPlans = new Map<string, OneDnnBatchNorm>();

  /**
   * A primitive over flat float32 arrays of `length` elements (described as NHWC
   * [length, 1, 1, 1]); the function it returns binds its arrays to `args`, in order, and runs it.
   */
  const flatPrimitive = (
    length: number,
    makePd: (data: bigint) => bigint,
    args: number[],
  ): (...arrays: Float32Array[]) => void => {
    const data = memoryDesc([length, 1, 1, 1], TAG_NHWC);
    const p = primitive(makePd(data));
    const memories = args.map(() => memory(data, 0n));
    return (...arrays) => {
      memories.forEach((m, i) => setHandle(m, arrays[i]!));
      execute(p, args.map((arg, i) => [arg, memories[i]!]));
      wait();
    };
  };
  const flatPlans = new Map<string, (...arrays: Float32Array[]) => void>();
  const addPd = (data: bigint) =>
    primitiveDesc(
      "binary_desc_init",
      (d) => s.dnnl_binary_desc_init(d, BINARY_ADD, data, data, data),
    );
  const reluPd = (data: bigint, prop = FORWARD_INFERENCE) =>
    primitiveDesc(
      "eltwise_forward_desc_init",
      (d) => s.dnnl_eltwise_forward_desc_init(d, prop, ELTWISE_RELU, data, 0, 0),
    );
  const reluBackwardPd = (data: bigint) =>
    primitiveDesc(
      "eltwise_backward_desc_init",
      (d) => s.dnnl_eltwise_backward_desc_init(d, ELTWISE_RELU, data, data, 0, 0),
      // The forward descriptor is only the backward one's required hint.
      reluPd(data, FORWARD_TRAINING),
    );

  return {
    path,
    add(a, b, out) {
      const plan = () => flatPrimitive(out.length, addPd, [ARG_SRC, ARG_SRC_1, ARG_DST]);
      cached(flatPlans, `add ${out.length}`, plan)(a, b, out);
    },
    relu(x, y) {
      const plan = () => flatPrimitive(x.length, reluPd, [ARG_SRC, ARG_DST]);
      cached(flatPlans, `relu ${x.length}`, plan)(x, y);
    },
    reluBackward(x, dy, dx) {
      const args = [ARG_SRC, ARG_DIFF_DST, ARG_DIFF_SRC];
      const plan = () => flatPrimitive(x.length, reluBackwardPd, args);
      cached(flatPlans, `relu backward ${x.length}`, plan)(x, dy, dx);
    },
    batchNorm(rows, channels, epsilon) {
      const key = `${rows},${channels},${epsilon}`;
      return cached(batchNormPlans, key, () => batchNormPlan(rows, channels, epsilon));
    },
    convolution(g) {
      const { batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, top, left } = g;
      const key = [batch, inH, inW, inC, outH, outW, outC, fh, fw, sh, sw, top, left].join(",");
      return cached(plans, key, () => plan(g));
    },
    close() {
      for (const { kind, handle } of owned.reverse()) {
        if (kind === "memory") s.dnnl_memory_destroy(handle);
        else if (kind === "primitive") s.dnnl_primitive_destroy(handle);
        else s.dnnl_primitive_desc_destroy(handle);
      }
      owned.length = 0;
      plans.clear();
      batchNormPlans.clear();
      flatPlans.clear();
      s.dnnl_stream_destroy(stream);
      s.dnnl_engine_destroy(engine);
      lib.close();
    },
  };
}
