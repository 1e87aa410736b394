// Test helpers: a tiny encoder (images and weight snapshots are internal/testing.ts's).
import { smallConvNet } from "@selfsup/encoders";

/** A one-stage ConvNet (conv 3x3 -> batch norm -> ReLU -> average pool) on 8x8x1: D = 4. */
export function tinyEncoder(seed = 1, inputShape: [number, number, number] = [8, 8, 1]) {
  return smallConvNet({ inputShape, filters: [4], seed });
}
