/**
 * The optional per-image `chosen` attribute of the fused augmentation kernels (grayscale, blur,
 * solarization): which images of the batch the kernel changes; it copies the others.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";

/**
 * The kernel attribute `chosen` as N flags (all true when absent), or undefined when it is
 * neither absent nor an array of N booleans.
 */
export function chosenFlags(attrs: tf.NamedAttrMap | undefined, n: number): boolean[] | undefined {
  const chosen = attrs?.chosen;
  if (chosen === undefined) return new Array<boolean>(n).fill(true);
  if (!Array.isArray(chosen) || chosen.length !== n) return undefined;
  return chosen.every((c) => typeof c === "boolean") ? chosen as boolean[] : undefined;
}

/** The attribute as the kernels' error messages show it. */
export function describeChosen(attrs: tf.NamedAttrMap | undefined): string {
  const chosen = attrs?.chosen;
  return Array.isArray(chosen) ? `[${chosen}]` : String(chosen);
}
