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
  assert.throws(() => decodeIdx(bad((b) => (b[0] = 0x1f, b)), "f.idx"), {
    name: "RangeError",
    message: 'decodeIdx(): f.idx must start with the IDX magic number 00 00, got "1f 00 08 02"',
  });
  assert.throws(() => decodeIdx(bad((b) => (b[2] = 0x0d, b))), {
    name: "RangeError",
    message: "decodeIdx(): bytes must hold IDX type 0x08 (uint8), got 0xd (float32)",
  });
  assert.throws(() => decodeIdx(bad((b) => (b[3] = 0, b))), /at least one IDX dimension, got 0/);
  assert.throws(() => decodeIdx(good.subarray(0, good.length - 1)), {
    name: "RangeError",
    message:
      "decodeIdx(): bytes must be 18 bytes for its IDX shape [2, 3], got 17 (truncated or corrupt)",
  });
  assert.throws(
    () => decodeIdx(new Uint8Array([0, 0, 8, 3, 0])),
    /IDX header of 16 bytes for its 3 dimensions, got 5 bytes/,
  );
  assert.throws(() => decodeIdx(new Uint8Array(0)), /must start with the IDX magic number/);
  assert.throws(() => decodeIdx([0, 0, 8, 1] as never), {
    name: "TypeError",
    message: "decodeIdx(): bytes must be a Uint8Array, got [0, 0, 8, 1]",
  });
});

Deno.test("encodeIdx() rejects a shape that does not match the data", () => {
  assert.throws(() => encodeIdx(new Uint8Array(5), [2, 3]), {
    name: "RangeError",
    message: "encodeIdx(): data.length must equal the product of shape [2, 3] = 6, got 5",
  });
  assert.throws(() => encodeIdx(new Uint8Array(0), []), /1 to 255 integer dimensions/);
  assert.throws(() => encodeIdx(new Uint8Array(0), [-1]), RangeError);
  assert.throws(() => encodeIdx(new Uint8Array(0), "3" as never), TypeError);
});
