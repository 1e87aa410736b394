import assert from "node:assert/strict";
import { decodeIdx, encodeIdx } from "./idx.ts";

Deno.test("encodeIdx() writes the MNIST header: 00 00 08 rank, big-endian dims", () => {
  const bytes = encodeIdx(new Uint8Array(2 * 3 * 300), [2, 3, 300]);
  assert.deepEqual([...bytes.subarray(0, 16)], [0, 0, 8, 3, 0, 0, 0, 2, 0, 0, 0, 3, 0, 0, 1, 44]);
  assert.equal(bytes.length, 16 + 1800);
});

Deno.test("decodeIdx() round-trips and returns a view of the values", () => {
  const data = Uint8Array.from({ length: 24 }, (_, i) => 10 * i);
  const bytes = encodeIdx(data, [2, 3, 4]);
  const decoded = decodeIdx(bytes);
  assert.deepEqual(decoded.shape, [2, 3, 4]);
  assert.deepEqual(decoded.data, data);
  assert.equal(decoded.data.buffer, bytes.buffer);
});

Deno.test("decodeIdx() rejects a wrong magic number, another type and a wrong length", () => {
  const good = encodeIdx(new Uint8Array(6), [2, 3]);
  const bad = (edit: (b: Uint8Array) => Uint8Array) => edit(good.slice());
  assert.throws(
    () => decodeIdx(bad((b) => (b[0] = 0x1f, b)), "f.idx"),
    /f.idx: not an IDX file, its magic number must start with 00 00, got "1f 00 08 02"/,
  );
  assert.throws(() => decodeIdx(bad((b) => (b[2] = 0x0d, b))), /0xd \(float32\) is not supported/);
  assert.throws(() => decodeIdx(bad((b) => (b[3] = 0, b))), /at least one dimension/);
  assert.throws(() => decodeIdx(good.subarray(0, good.length - 1)), /needs 18 bytes, .* has 17/);
  assert.throws(() => decodeIdx(new Uint8Array([0, 0, 8, 3, 0])), /3 dimensions in 5 bytes/);
  assert.throws(() => decodeIdx(new Uint8Array(0)), /not an IDX file/);
});

Deno.test("encodeIdx() rejects a shape that does not match the data", () => {
  assert.throws(() => encodeIdx(new Uint8Array(5), [2, 3]), /product of shape \[2,3\] = 6, got 5/);
  assert.throws(() => encodeIdx(new Uint8Array(0), []), /1 to 255 integer dimensions/);
  assert.throws(() => encodeIdx(new Uint8Array(0), [-1]), RangeError);
});
