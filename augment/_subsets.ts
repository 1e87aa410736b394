// Running kernels on only some images of a batch. On the stock cpu backend sub-batches are
// cut out with slices of consecutive images and put back with one concat along the batch axis
// (contiguous copies; their tf.gather is a per-element index loop, ~20x slower). Elsewhere
// slices cost a kernel call each, so sub-batches are gathered and the batch order restored by
// one more gather.
import * as tf from "@tensorflow/tfjs";
import { usesCpuKernels } from "./_backend.ts";

/** A kernel for one group: the group's images in batch order and their batch indices. */
export type GroupKernel = (images: tf.Tensor4D, indices: number[]) => tf.Tensor4D;

/** Maximal runs [start, end) of consecutive images with the same group. */
function runs(groups: ArrayLike<number>): [number, number][] {
  const out: [number, number][] = [];
  for (let i = 0; i < groups.length; i++) {
    const last = out[out.length - 1];
    if (last && groups[last[0]] === groups[i]) last[1] = i + 1;
    else out.push([i, i + 1]);
  }
  return out;
}

function rows(x: tf.Tensor4D, start: number, end: number): tf.Tensor4D {
  return x.slice([start, 0, 0, 0], [end - start, -1, -1, -1]);
}

/**
 * Applies `kernels[g]` once to the images whose group is g, and keeps the images of group -1
 * unchanged; each kernel returns as many images of the same size as it is given. Returns a new
 * tensor; the caller disposes it.
 */
export function applyByGroup(
  images: tf.Tensor4D,
  groups: ArrayLike<number>,
  kernels: GroupKernel[],
): tf.Tensor4D {
  const members: number[][] = kernels.map(() => []);
  for (let i = 0; i < groups.length; i++) if (groups[i] >= 0) members[groups[i]].push(i);
  const used = members.filter((m) => m.length > 0).length;
  if (used === 0) return images.clone();
  const n = images.shape[0];
  const whole = members.findIndex((m) => m.length === n);
  if (whole >= 0) return kernels[whole](images, members[whole]);
  return (usesCpuKernels() ? bySlices : byGather)(images, groups, members, kernels);
}

/** applyByGroup by slices of consecutive images and one concat. */
export function bySlices(
  images: tf.Tensor4D,
  groups: ArrayLike<number>,
  members: number[][],
  kernels: GroupKernel[],
): tf.Tensor4D {
  return tf.tidy(() => {
    const batchRuns = runs(groups);
    const results = kernels.map((kernel, g) => {
      if (members[g].length === 0) return undefined;
      const own = batchRuns.filter(([a]) => groups[a] === g).map(([a, b]) => rows(images, a, b));
      return kernel(own.length === 1 ? own[0] : tf.concat(own, 0), members[g]);
    });
    // Rebuild in batch order; each group's result rows are its images in order.
    const next = kernels.map(() => 0);
    const parts = batchRuns.map(([a, b]) => {
      const g = groups[a];
      if (g < 0) return rows(images, a, b);
      next[g] += b - a;
      return rows(results[g]!, next[g] - (b - a), next[g]);
    });
    return tf.concat(parts, 0);
  });
}

/** applyByGroup by gathers: one per group, one for the unchanged images, one to restore order. */
export function byGather(
  images: tf.Tensor4D,
  groups: ArrayLike<number>,
  members: number[][],
  kernels: GroupKernel[],
): tf.Tensor4D {
  return tf.tidy(() => {
    const order: number[] = [];
    const parts: tf.Tensor4D[] = [];
    members.forEach((indices, g) => {
      if (indices.length === 0) return;
      order.push(...indices);
      parts.push(kernels[g](tf.gather(images, indices), indices));
    });
    const unchanged = Array.from(groups, (g, i) => g < 0 ? i : -1).filter((i) => i >= 0);
    if (unchanged.length > 0) {
      order.push(...unchanged);
      parts.push(tf.gather(images, unchanged));
    }
    // Row k of the stacked parts is image order[k]: gather with the inverse permutation.
    const inverse = new Int32Array(order.length);
    order.forEach((image, k) => inverse[image] = k);
    return tf.gather(tf.concat(parts, 0), inverse);
  });
}

/** Applies `kernel` to the images whose flag is set; the others stay unchanged. */
export function applyToChosen(
  images: tf.Tensor4D,
  flags: ArrayLike<boolean>,
  kernel: GroupKernel,
): tf.Tensor4D {
  return applyByGroup(images, Array.from(flags, (f) => f ? 0 : -1), [kernel]);
}
