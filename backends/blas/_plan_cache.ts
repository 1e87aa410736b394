/**
 * A bounded cache of native plans (oneDNN descriptors, primitives and memories made once per
 * shape), failures included.
 *
 * @module
 */

/** What a plan's maker registers: functions that free what it made, run in reverse order. */
export type Own = (release: () => void) => void;

interface Entry<P> {
  /** The plan, or undefined when making it failed (so it is not tried again). */
  plan: P | undefined;
  releases: (() => void)[];
}

/**
 * Plans by key, made on first use and kept, the least recently used freed once more than
 * `capacity` are held: shapes that vary from call to call (an evaluation's last, smaller batch,
 * a user's own layers) cannot grow it without bound. A maker that throws frees what it had made
 * and is remembered as a failure (undefined) for its key: `onFailure` hears of it once per key,
 * and the key is not tried again until evicted.
 */
export class PlanCache<P> {
  readonly #entries = new Map<string, Entry<P>>();
  readonly #capacity: number;
  readonly #onFailure: (key: string, error: unknown) => void;

  /**
   * @param capacity Most plans (and failures) held, >= 1.
   * @param onFailure Told of each key whose plan could not be made.
   */
  constructor(capacity: number, onFailure: (key: string, error: unknown) => void) {
    this.#capacity = capacity;
    this.#onFailure = onFailure;
  }

  /**
   * The plan under `key`, made by `make` when absent (`make` registers through `own` what must be
   * freed with the plan), or undefined when it could not be made.
   */
  get(key: string, make: (own: Own) => P): P | undefined {
    const hit = this.#entries.get(key);
    if (hit !== undefined) {
      // Most recently used last: Map keeps insertion order.
      this.#entries.delete(key);
      this.#entries.set(key, hit);
      return hit.plan;
    }
    const entry: Entry<P> = { plan: undefined, releases: [] };
    try {
      entry.plan = make((release) => entry.releases.push(release));
    } catch (error) {
      release(entry);
      this.#onFailure(key, error);
    }
    while (this.#entries.size >= this.#capacity) {
      const [oldest, evicted] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      release(evicted);
    }
    this.#entries.set(key, entry);
    return entry.plan;
  }

  /** How many plans are held, and how many of the held keys are failures. */
  get counts(): { plans: number; failures: number } {
    let failures = 0;
    for (const entry of this.#entries.values()) if (entry.plan === undefined) failures++;
    return { plans: this.#entries.size - failures, failures };
  }

  /** Frees every plan. */
  clear(): void {
    for (const entry of this.#entries.values()) release(entry);
    this.#entries.clear();
  }
}

function release<P>(entry: Entry<P>): void {
  for (const free of entry.releases.reverse()) free();
  entry.releases.length = 0;
}
