/** Throws a RangeError unless `seed` is a safe integer; `where` names the calling function. */
export function checkSeed(seed: unknown, where: string): asserts seed is number {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new RangeError(`${where}: seed must be a safe integer, got ${String(seed)}`);
  }
}

/** Throws unless `shape` is `[height, width, channels]` of positive integers. */
export function checkInputShape(
  shape: unknown,
  where: string,
): asserts shape is [number, number, number] {
  if (
    !Array.isArray(shape) || shape.length !== 3 ||
    !shape.every((d) => Number.isSafeInteger(d) && d > 0)
  ) {
    throw new RangeError(
      `${where}: inputShape must be [height, width, channels] of positive integers, got ${
        JSON.stringify(shape)
      }`,
    );
  }
}

/** Throws unless `name` is a non-empty string. */
export function checkName(name: unknown, where: string): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`${where}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}
