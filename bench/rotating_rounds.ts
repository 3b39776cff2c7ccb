/**
 * Blocks timed interleaved on a shared machine: every round runs each block once, in an order
 * rotated by one from round to round, so that drift in the machine's load falls on all blocks
 * alike and the times of one round can be compared (paired) with each other.
 *
 * @module
 */

/** A block to time: `run` called `repeats` times (default 1) per round. */
export interface TimedBlock {
  run(): void;
  repeats?: number;
}

/**
 * Milliseconds per call of each block in each round: `[block][round]`.
 *
 * @example
 * ```ts
 * import { rotatingRounds } from "../bench/rotating_rounds.ts";
 * import assert from "node:assert/strict";
 * const order: string[] = [];
 * const ms = rotatingRounds([{ run: () => order.push("a") }, { run: () => order.push("b"), repeats: 2 }], 2);
 * assert.deepEqual(order, ["a", "b", "b", "b", "b", "a"]); // round 2 starts with the second block
 * assert.deepEqual(ms.map((m) => m.length), [2, 2]);
 * ```
 */
export function rotatingRounds(blocks: readonly TimedBlock[], rounds: number): Float64Array[] {
  const ms = blocks.map(() => new Float64Array(rounds));
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < blocks.length; i++) {
      const k = (round + i) % blocks.length, { run, repeats = 1 } = blocks[k];
      const start = performance.now();
      for (let r = 0; r < repeats; r++) run();
      ms[k][round] = (performance.now() - start) / repeats;
    }
  }
  return ms;
}
