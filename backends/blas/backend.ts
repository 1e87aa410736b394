/**
 * The `blas` backend class: the cpu backend's storage plus a size-keyed pool of float32
 * buffers for the hot kernels' outputs and scratch, and handles to the system BLAS and, when
 * installed, oneDNN.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import { MathBackendCPU } from "@tensorflow/tfjs-backend-cpu";
import type { Blas } from "./ffi.ts";
import type { ConvolutionPrecision, OneDnn } from "./onednn.ts";

type DataId = object;

/** Buffers smaller than this are not pooled: V8 allocates them cheaply. */
const MIN_POOLED_LENGTH = 4096;

/** Pool and library options of {@linkcode BlasBackend}. */
export interface BlasPoolOptions {
  /** Most bytes the buffer pool keeps for reuse (default 8 GiB). */
  poolBytes?: number;
  /** oneDNN, opened, for convolutions, batch norm, large elementwise ops and relu. */
  oneDnn?: OneDnn;
}

/**
 * A `MathBackendCPU` whose heavy kernels call a system BLAS.
 *
 * Output arrays made by the blas kernels come from {@linkcode BlasBackend.alloc} and return to
 * a pool when tfjs disposes their tensor. A pooled buffer is never handed out while anything
 * else can still see it: a buffer leaves pool ownership for good once it is read out of the
 * backend (`readSync`, `read`, `dataSync()`) or handed to `write` again (for example as a
 * `subarray` view by a cpu kernel).
 */
export class BlasBackend extends MathBackendCPU {
  /** The system BLAS the kernels call. */
  readonly blas: Blas;
  /** oneDNN when it was opened. */
  readonly oneDnn: OneDnn | undefined;
  /**
   * Whether the kernels oneDNN can take run on it (when opened) rather than on the GEMM and
   * JavaScript kernels; settable, e.g. to test both paths.
   */
  useOneDnn: boolean;
  /**
   * The number format oneDNN's training convolutions multiply in (default "float32"); set it
   * through `setBlasPrecision` of @selfsup/backends, which refuses "bfloat16" where it would not
   * run natively.
   */
  convolutionPrecision: ConvolutionPrecision = "float32";
  readonly #pool = new Map<number, Float32Array[]>();
  readonly #maxPoolBytes: number;
  #pooledBytes = 0;
  /** Buffers made by `alloc` that back exactly one live tensor and were never exposed. */
  readonly #owned = new WeakSet<ArrayBufferLike>();

  /**
   * @param blas The opened BLAS library.
   * @param options Pool size.
   */
  constructor(blas: Blas, options: BlasPoolOptions = {}) {
    super();
    this.blas = blas;
    this.oneDnn = options.oneDnn;
    this.useOneDnn = options.oneDnn !== undefined;
    this.#maxPoolBytes = options.poolBytes ?? 2 ** 33;
  }

  /**
   * A float32 array of `length` elements with UNDEFINED contents (it may be a reused buffer):
   * the caller writes every element or clears it.
   */
  alloc(length: number): Float32Array {
    const free = this.#pool.get(length);
    const reused = free?.pop();
    if (reused !== undefined) {
      this.#pooledBytes -= reused.byteLength;
      return reused;
    }
    return new Float32Array(length);
  }

  /** Gives back a scratch array from {@linkcode alloc} that nothing references any more. */
  release(values: Float32Array): void {
    if (
      values.length < MIN_POOLED_LENGTH || values.byteOffset !== 0 ||
      values.byteLength !== values.buffer.byteLength ||
      this.#pooledBytes + values.byteLength > this.#maxPoolBytes
    ) {
      return;
    }
    let free = this.#pool.get(values.length);
    if (free === undefined) {
      free = [];
      this.#pool.set(values.length, free);
    }
    free.push(values);
    this.#pooledBytes += values.byteLength;
  }

  /** oneDNN when it is opened and in use, else undefined. */
  get activeOneDnn(): OneDnn | undefined {
    return this.useOneDnn ? this.oneDnn : undefined;
  }

  /** Bytes currently held by the pool for reuse. */
  get pooledBytes(): number {
    return this.#pooledBytes;
  }

  /** Registers `values` (from {@linkcode alloc}) as a new float32 tensor owned by the pool. */
  output(values: Float32Array, shape: number[]): tf.TensorInfo {
    if (values.length >= MIN_POOLED_LENGTH) this.#owned.add(values.buffer);
    const dataId = super.write(values, shape, "float32");
    return { dataId, shape, dtype: "float32" };
  }

  /** The float32 values behind a tensor (read-only use inside kernels). */
  f32(t: tf.TensorInfo): Float32Array {
    return this.data.get(t.dataId).values as Float32Array;
  }

  override write(
    values: tf.backend_util.BackendValues,
    shape: number[],
    dtype: tf.DataType,
  ): DataId {
    // A pooled buffer written again (e.g. a cpu kernel's subarray view) is shared from now on.
    if (ArrayBuffer.isView(values)) this.#owned.delete(values.buffer);
    return super.write(values, shape, dtype);
  }

  override readSync(dataId: DataId): tf.backend_util.BackendValues {
    const values = this.data.get(dataId).values;
    if (ArrayBuffer.isView(values)) this.#owned.delete(values.buffer);
    return super.readSync(dataId);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.has(dataId) ? this.data.get(dataId).values : undefined;
    const freed = super.disposeData(dataId, force);
    // oneDNN's bfloat16 copy of these values (a convolution input's), if it kept one.
    if (freed) this.oneDnn?.forget(dataId);
    if (freed && values instanceof Float32Array && this.#owned.has(values.buffer)) {
      this.#owned.delete(values.buffer);
      this.release(values);
    }
    return freed;
  }

  override dispose(): void {
    this.#pool.clear();
    this.#pooledBytes = 0;
    super.dispose();
  }
}
