/**
 * Derives a layer's initializer seed from the model seed and the layer's name, so a weight
 * depends only on (seed, name): two models built with the same seed are identical, and adding
 * a layer does not shift the random streams of the others.
 *
 * FNV-1a (32-bit) over the seed's two 32-bit halves and then the name's UTF-16 code units.
 *
 * @example
 * ```ts
 * import { layerSeed } from "@selfsup/internal";
 * import assert from "node:assert/strict";
 *
 * assert.notEqual(layerSeed(1, "conv1"), layerSeed(1, "conv2"));
 * ```
 */
export function layerSeed(seed: number, name: string): number {
  let hash = 0x811c9dc5;
  const mix = (value: number) => {
    hash = Math.imul(hash ^ (value & 0xffff), 0x01000193);
    hash = Math.imul(hash ^ (value >>> 16), 0x01000193);
  };
  mix(seed >>> 0);
  mix(Math.floor(seed / 2 ** 32) >>> 0);
  for (let i = 0; i < name.length; i++) mix(name.charCodeAt(i));
  return hash >>> 0;
}
