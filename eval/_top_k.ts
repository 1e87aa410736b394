/** The `k` largest entries of each row, most similar first. */
export interface TopK {
  /** `[rows * k]` values, each row in descending order. */
  values: Float32Array;
  /** `[rows * k]` column indices of those values. */
  indices: Int32Array;
}

/**
 * The `k` largest values of each row of a row-major `[rows, columns]` matrix and their column
 * indices, ordered as `tf.topk` orders them: by value, largest first, equal values by smaller
 * index first. Values must not be NaN.
 *
 * `tf.topk` on the CPU backends makes one object per entry (60,000 per row of a kNN bank) and
 * sorts them; this keeps a heap of the `k` best seen so far, so a row costs one comparison per
 * entry once the heap holds better ones: the kNN's search over a 60,000-image bank drops from
 * tens of seconds to about one.
 */
export function topK(matrix: Float32Array, rows: number, columns: number, k: number): TopK {
  const values = new Float32Array(rows * k);
  const indices = new Int32Array(rows * k);
  // A min-heap of the row's best k: the root is the worst kept (smallest value; among equal
  // values the larger index, which a later column never beats since columns come in order).
  const heapValues = new Float32Array(k);
  const heapIndices = new Int32Array(k);
  const order = Array.from({ length: k }, (_, i) => i);
  for (let row = 0; row < rows; row++) {
    const offset = row * columns;
    let size = 0;
    for (let column = 0; column < columns; column++) {
      const value = matrix[offset + column];
      if (size < k) {
        siftUp(heapValues, heapIndices, size++, value, column);
      } else if (value > heapValues[0]) {
        siftDown(heapValues, heapIndices, k, value, column);
      }
    }
    order.sort((a, b) => heapValues[b] - heapValues[a] || heapIndices[a] - heapIndices[b]);
    for (let i = 0; i < k; i++) {
      values[row * k + i] = heapValues[order[i]];
      indices[row * k + i] = heapIndices[order[i]];
    }
  }
  return { values, indices };
}

// Heap order: a is worse than b when its value is smaller, or equal with a larger index.
function worse(va: number, ia: number, vb: number, ib: number): boolean {
  return va < vb || (va === vb && ia > ib);
}

function siftUp(
  values: Float32Array,
  indices: Int32Array,
  at: number,
  value: number,
  index: number,
): void {
  let i = at;
  while (i > 0) {
    const parent = (i - 1) >> 1;
    if (!worse(value, index, values[parent], indices[parent])) break;
    values[i] = values[parent];
    indices[i] = indices[parent];
    i = parent;
  }
  values[i] = value;
  indices[i] = index;
}

// Replaces the root with (value, index) and restores the heap.
function siftDown(
  values: Float32Array,
  indices: Int32Array,
  size: number,
  value: number,
  index: number,
): void {
  let i = 0;
  for (;;) {
    const left = 2 * i + 1;
    if (left >= size) break;
    const right = left + 1;
    const child = right < size && worse(values[right], indices[right], values[left], indices[left])
      ? right
      : left;
    if (!worse(values[child], indices[child], value, index)) break;
    values[i] = values[child];
    indices[i] = indices[child];
    i = child;
  }
  values[i] = value;
  indices[i] = index;
}
