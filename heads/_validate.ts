/** Throws a RangeError unless `seed` is a safe integer; `where` names the calling function. */
export function checkSeed(seed: unknown, where: string): asserts seed is number {
  if (typeof seed !== "number" || !Number.isSafeInteger(seed)) {
    throw new RangeError(`${where}: seed must be a safe integer, got ${String(seed)}`);
  }
}

/** Throws a RangeError unless `value` (the argument `arg`) is a positive integer. */
export function checkDim(value: unknown, arg: string, where: string): asserts value is number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) {
    throw new RangeError(`${where}: ${arg} must be a positive integer, got ${String(value)}`);
  }
}

/** Throws unless `name` is a non-empty string. */
export function checkName(name: unknown, where: string): asserts name is string {
  if (typeof name !== "string" || name.length === 0) {
    throw new TypeError(`${where}: name must be a non-empty string, got ${JSON.stringify(name)}`);
  }
}
