// Drawing random-resized-crop boxes from checked arguments: shared by randomResizedCrop,
// sampleCropBoxes and the views, each of which checks its own arguments under its own name.
import { Random } from "@selfsup/internal";
import type { CropBox } from "./random_resized_crop.ts";

/** How many (area, ratio) draws are tried per image before falling back to a center crop. */
const ATTEMPTS = 10;

/** `count` boxes drawn from `seed`, as {@linkcode sampleCropBoxes} documents. */
export function drawCropBoxes(
  count: number,
  seed: number,
  height: number,
  width: number,
  [s0, s1]: [number, number],
  [r0, r1]: [number, number],
): CropBox[] {
  const rng = new Random(seed);
  const [logR0, logR1] = [Math.log(r0), Math.log(r1)];
  // Fraction-of-side conversion: a crop of area fraction s and pixel ratio r spans
  // fw = sqrt(s r H / W) of the width and fh = sqrt(s W / (r H)) of the height.
  const hw = height / width;
  const boxes: CropBox[] = [];
  for (let i = 0; i < count; i++) {
    let box: CropBox | undefined;
    for (let attempt = 0; attempt < ATTEMPTS && !box; attempt++) {
      const s = rng.uniform(s0, s1);
      const r = Math.exp(rng.uniform(logR0, logR1));
      const fw = Math.sqrt(s * r * hw);
      const fh = Math.sqrt(s / (r * hw));
      if (fw <= 1 && fh <= 1) {
        const y1 = rng.uniform(0, 1 - fh);
        const x1 = rng.uniform(0, 1 - fw);
        box = [y1, x1, Math.min(1, y1 + fh), Math.min(1, x1 + fw)];
      }
    }
    boxes.push(box ?? centerBox(width / height, r0, r1));
  }
  return boxes;
}

function centerBox(imageRatio: number, r0: number, r1: number): CropBox {
  // The whole image, cut down on one side only when its own ratio is outside [r0, r1].
  const fh = imageRatio < r0 ? imageRatio / r0 : 1;
  const fw = imageRatio > r1 ? r1 / imageRatio : 1;
  return [(1 - fh) / 2, (1 - fw) / 2, (1 + fh) / 2, (1 + fw) / 2];
}
