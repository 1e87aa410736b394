/**
 * The report's 2-D map of embeddings: UMAP (umap-js) seeded with our generator, or PCA.
 *
 * @module
 */
import { Random } from "@selfsup/internal";
import { UMAP } from "umap-js";

/** How the map was made, for its caption. */
export type MapMethod = "umap" | "pca";

/** Below this many points UMAP's neighbour graph says little; PCA is used instead. */
export const UMAP_MIN_POINTS = 16;

/**
 * 2-D coordinates for `n = features.length / dim` points, as `[x0, y0, x1, y1, ...]`.
 *
 * UMAP (McInnes et al. 2018, arXiv:1802.03426) through umap-js with 15 neighbours (fewer when
 * there are fewer points) and its default epochs; every random draw (neighbour search trees,
 * initial layout, negative sampling) comes from `Random(seed)`, so a seed gives the same map.
 * PCA: the two leading principal axes by power iteration from a seeded start (deterministic
 * too). `method: "umap"` falls back to PCA below {@linkcode UMAP_MIN_POINTS} points.
 */
export function embeddingMap(
  features: Float32Array,
  dim: number,
  options: { method: MapMethod; seed: number },
): { coordinates: Float64Array; method: MapMethod } {
  const n = features.length / dim;
  if (options.method === "umap" && n >= UMAP_MIN_POINTS) {
    const rows: number[][] = [];
    for (let i = 0; i < n; i++) rows.push(Array.from(features.subarray(i * dim, (i + 1) * dim)));
    const random = new Random(options.seed);
    const umap = new UMAP({
      nComponents: 2,
      nNeighbors: Math.min(15, n - 1),
      random: () => random.next(),
    });
    const layout = umap.fit(rows);
    const coordinates = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) {
      coordinates[2 * i] = layout[i][0];
      coordinates[2 * i + 1] = layout[i][1];
    }
    return { coordinates, method: "umap" };
  }
  return { coordinates: pca2(features, dim, options.seed), method: "pca" };
}

/** Projections on the two leading principal axes (power iteration with deflation). */
export function pca2(features: Float32Array, dim: number, seed: number): Float64Array {
  const n = features.length / dim;
  const mean = new Float64Array(dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) mean[j] += features[i * dim + j] / n;
  }
  const centred = new Float64Array(n * dim);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < dim; j++) centred[i * dim + j] = features[i * dim + j] - mean[j];
  }
  const random = new Random(seed);
  const axes: Float64Array[] = [];
  const out = new Float64Array(2 * n);
  for (let component = 0; component < 2; component++) {
    let v = new Float64Array(dim);
    for (let j = 0; j < dim; j++) v[j] = random.normal();
    // At most 200 rounds of v <- X^T X v: ample for a picture (near-equal variances leave the
    // axes loose within their plane, which draws as well).
    for (let round = 0; round < 200; round++) {
      for (const axis of axes) subtractProjection(v, axis);
      const scores = multiply(centred, n, dim, v);
      const next = new Float64Array(dim);
      for (let i = 0; i < n; i++) {
        const s = scores[i];
        for (let j = 0; j < dim; j++) next[j] += centred[i * dim + j] * s;
      }
      for (const axis of axes) subtractProjection(next, axis);
      const norm = Math.hypot(...next);
      if (norm === 0) break; // fewer than two directions of variance: the rest stays 0
      let change = 0;
      for (let j = 0; j < dim; j++) {
        next[j] /= norm;
        change = Math.max(change, Math.abs(next[j] - v[j]));
      }
      v = next;
      if (change < 1e-12) break;
    }
    const norm = Math.hypot(...v);
    if (norm > 0) { for (let j = 0; j < dim; j++) v[j] /= norm; }
    // A sign convention, so the picture does not flip with the start vector.
    let largest = 0;
    for (let j = 0; j < dim; j++) if (Math.abs(v[j]) > Math.abs(v[largest])) largest = j;
    if (v[largest] < 0) { for (let j = 0; j < dim; j++) v[j] = -v[j]; }
    axes.push(v);
    const scores = multiply(centred, n, dim, v);
    for (let i = 0; i < n; i++) out[2 * i + component] = scores[i];
  }
  return out;
}

function multiply(x: Float64Array, n: number, dim: number, v: Float64Array): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let j = 0; j < dim; j++) s += x[i * dim + j] * v[j];
    out[i] = s;
  }
  return out;
}

function subtractProjection(v: Float64Array, axis: Float64Array): void {
  let dot = 0;
  for (let j = 0; j < v.length; j++) dot += v[j] * axis[j];
  for (let j = 0; j < v.length; j++) v[j] -= dot * axis[j];
}
