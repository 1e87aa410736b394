import assert from "node:assert/strict";
import { classCounts, fromArrays, selectImages } from "./dataset.ts";

Deno.test("fromArrays() keeps the pixels and copies labels into an Int32Array", () => {
  const images = new Uint8Array([1, 2, 3, 4, 5, 6]);
  const ds = fromArrays(images, [3, 1, 2, 1], { labels: [2, 0, 1], classNames: ["a", "b", "c"] });
  assert.equal(ds.images, images);
  assert.ok(ds.labels instanceof Int32Array);
  assert.deepEqual([...ds.labels!], [2, 0, 1]);
  assert.deepEqual(ds.classNames, ["a", "b", "c"]);
  // The Int32Array a dataset yields is accepted back as labels.
  assert.deepEqual(fromArrays(images, [3, 1, 2, 1], { labels: ds.labels }).labels, ds.labels);
});

Deno.test("fromArrays() rejects a bad shape, a length mismatch and bad labels, naming them", () => {
  const px = new Uint8Array(4);
  assert.throws(() => fromArrays(px, [4, 1, 1]), {
    name: "TypeError",
    message:
      "fromArrays(): shape must be [N, H, W, C] with integer N >= 0 and H, W, C > 0, got [4, 1, 1]",
  });
  assert.throws(() => fromArrays(px, [4, 0, 1, 1]), RangeError);
  assert.throws(() => fromArrays(px, [2, 1, 1, 1]), {
    name: "RangeError",
    message: "fromArrays(): images.length must equal the product of shape [2, 1, 1, 1] = 2, got 4",
  });
  assert.throws(
    () => fromArrays(px, [4, 1, 1, 1], { labels: [0, 1] }),
    /^RangeError: fromArrays\(\): labels.length must equal the number of images 4, got 2$/,
  );
  assert.throws(() => fromArrays(px, [4, 1, 1, 1], { labels: [0, 1, -1, 0] }), /labels\[2\]/);
  assert.throws(() => fromArrays(px, [4, 1, 1, 1], { labels: [0, 1, 0.5, 0] }), /got 0.5/);
  assert.throws(
    () => fromArrays(px, [4, 1, 1, 1], { labels: [0, 1, 2, 0], classNames: ["a", "b"] }),
    {
      name: "RangeError",
      message: "fromArrays(): labels[2] must be an integer in [0, 2), got 2",
    },
  );
  assert.throws(() => fromArrays([1, 2] as unknown as Uint8Array, [2, 1, 1, 1]), {
    name: "TypeError",
    message: "fromArrays(): images must be a Uint8Array, got [1, 2]",
  });
  assert.throws(() => fromArrays(px, [4, 1, 1, 1], { classNames: "ab" as never }), TypeError);
});

Deno.test("selectImages() copies whole images in the given order, with their labels", () => {
  const images = Uint8Array.from({ length: 3 * 2 * 2 * 1 }, (_, i) => i);
  const ds = fromArrays(images, [3, 2, 2, 1], { labels: [5, 6, 7] });
  const picked = selectImages(ds, [2, 0, 2]);
  assert.deepEqual(picked.shape, [3, 2, 2, 1]);
  assert.deepEqual([...picked.images], [8, 9, 10, 11, 0, 1, 2, 3, 8, 9, 10, 11]);
  assert.deepEqual([...picked.labels!], [7, 5, 7]);
  assert.throws(() => selectImages(ds, [3]), {
    name: "RangeError",
    message: "selectImages(): indices[0] must be an integer in [0, 3), got 3",
  });
  assert.throws(() => selectImages(ds, 3 as never), TypeError);
  assert.throws(() => selectImages({ images: new Uint8Array(2), shape: [3, 1, 1, 1] }, [0]), {
    name: "RangeError",
    message:
      "selectImages(): dataset.images.length must equal the product of shape [3, 1, 1, 1] = 3, got 2",
  });
});

Deno.test("classCounts() counts every class, including empty ones", () => {
  const ds = fromArrays(new Uint8Array(5), [5, 1, 1, 1], {
    labels: [1, 1, 3, 1, 3],
    classNames: ["a", "b", "c", "d", "e"],
  });
  assert.deepEqual(classCounts(ds), [0, 3, 0, 2, 0]);
  assert.throws(() => classCounts(fromArrays(new Uint8Array(1), [1, 1, 1, 1])), {
    name: "TypeError",
    message: "classCounts(): dataset must have labels, got a dataset without labels",
  });
});
