// The house message format (`fn(): name must be ..., got ...`) for a "got" that is already
// text: a shape or a model, which internal's describe() would quote or call "an object".

/** `[null, 28, 28, 1]`: a shape as the messages write it. */
export function shapeText(shape: readonly (number | null)[]): string {
  return `[${shape.map(String).join(", ")}]`;
}

/** A TypeError in the house format whose "got" is written as given. */
export function typeErrorAs(
  fn: string,
  name: string,
  what: string,
  got: string,
): TypeError {
  return new TypeError(`${fn}(): ${name} must be ${what}, got ${got}`);
}

/** A RangeError in the house format whose "got" is written as given. */
export function rangeErrorAs(
  fn: string,
  name: string,
  what: string,
  got: string,
): RangeError {
  return new RangeError(`${fn}(): ${name} must be ${what}, got ${got}`);
}
