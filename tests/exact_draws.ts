/**
 * Exact laws of randomized procedures, for tests: run a procedure once for every sequence of
 * random choices it can make, with that sequence's exact probability. The procedure must draw
 * only through `int(n)` (each of n values with probability 1/n) and `fromCumulative(cdf)` (value
 * i with probability (cdf[i] − cdf[i−1]) / cdf[last], values of probability 0 skipped); any other
 * draw throws. Samplers draw only through these two, so this enumerates their draws: an
 * expectation over the enumeration is exact up to rounding, not a Monte Carlo estimate.
 *
 * @module
 */
import { Random } from "@lib/random.ts";

interface Choice {
  value: number;
  /** The values this draw could have taken, in order. */
  options: number[];
}

/** A Random that follows a scripted prefix of choices, then takes the first option of each draw. */
class ScriptedRandom extends Random {
  readonly trail: Choice[] = [];
  probability = 1;
  readonly #prefix: readonly number[];

  constructor(prefix: readonly number[]) {
    super(0);
    this.#prefix = prefix;
  }

  #choose(options: number[], probabilityOf: (value: number) => number): number {
    const at = this.trail.length;
    const value = at < this.#prefix.length ? this.#prefix[at] : options[0];
    this.trail.push({ value, options });
    this.probability *= probabilityOf(value);
    return value;
  }

  override int(n: number): number {
    return this.#choose(Array.from({ length: n }, (_, i) => i), () => 1 / n);
  }

  override fromCumulative(cdf: Float64Array): number {
    const total = cdf[cdf.length - 1], mass = (i: number) => cdf[i] - (i > 0 ? cdf[i - 1] : 0);
    const options = [];
    for (let i = 0; i < cdf.length; i++) if (mass(i) > 0) options.push(i);
    return this.#choose(options, (i) => mass(i) / total);
  }

  override float(): number {
    throw new Error("a scripted draw: only int() and fromCumulative() can be enumerated");
  }

  override normal(): number {
    return this.float();
  }

  override uint32(): number {
    return this.float();
  }

  override fork(): Random {
    return this.float() as never;
  }
}

/** One outcome of a procedure and its exact probability. */
export interface Outcome<T> {
  probability: number;
  value: T;
}

/**
 * Every outcome of `run` (depth-first over its random choices) with its probability. The
 * probabilities sum to 1 up to rounding. `run` must make the same draws given the same choices.
 *
 * @throws {RangeError} when there are more than `limit` outcomes
 */
export function enumerateOutcomes<T>(
  run: (random: Random) => T,
  options: { limit?: number } = {},
): Outcome<T>[] {
  const limit = options.limit ?? 1e5, outcomes: Outcome<T>[] = [];
  let prefix: number[] = [];
  for (;;) {
    const random = new ScriptedRandom(prefix);
    const value = run(random);
    outcomes.push({ probability: random.probability, value });
    if (outcomes.length > limit) {
      throw new RangeError(`cannot enumerate: more than ${limit} outcomes`);
    }
    const trail = random.trail;
    let k = trail.length - 1, next = -1;
    for (; k >= 0; k--) {
      const { value: v, options: o } = trail[k];
      const at = o.indexOf(v);
      if (at + 1 < o.length) {
        next = o[at + 1];
        break;
      }
    }
    if (k < 0) return outcomes;
    prefix = [...trail.slice(0, k).map((c) => c.value), next];
  }
}
