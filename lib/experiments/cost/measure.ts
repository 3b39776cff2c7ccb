/**
 * What the `cost` reproduction times (wall clock, never byte-identical between runs): the unit
 * costs the FLOP model leaves out, and the forward pass, backward pass and training step of each
 * configuration. Notebook 02 calls both directly.
 *
 * @module
 */
import { relu, tanh } from "../../activations.ts";
import { significant } from "../../format.ts";
import { matmul } from "../../kernels/mod.ts";
import { type PassConfig, passWorkload, timePasses } from "../../pass_workload.ts";
import { Random } from "../../random.ts";
import { median } from "../../stats.ts";
import {
  costRow,
  type MeasuredCosts,
  unitCostsFor,
  weightedRatio,
  withinTarget,
} from "./ratios.ts";
import type { PassTimingRow } from "./rows.ts";

/**
 * Times the unit costs the FLOP model leaves out: a 256×257×256 product (ns per FLOP) and the
 * elementwise maps over 65,536 entries z ~ N(0, 1) (ns per entry; the cost of Math.tanh depends
 * on its argument, and N(0, 1) is the spread of a Glorot layer's pre-activations). Each is the
 * median of `rounds` blocks of about `minMs`, the pieces interleaved round by round so that
 * background load hits them alike. Wall-clock: for reports and notebooks only.
 *
 * @example
 * ```ts
 * import { measureUnitCosts } from "@lib/experiments/cost/measure.ts";
 * import { Random } from "@lib/random.ts";
 * import assert from "node:assert/strict";
 * const costs = measureUnitCosts({ random: new Random(1), rounds: 1, minMs: 1 });
 * assert.ok(Object.values(costs).every((ns) => ns > 0));
 * ```
 */
export function measureUnitCosts(
  options: { random: Random; rounds?: number; minMs?: number },
): MeasuredCosts {
  const entries = 65536, rounds = options.rounds ?? 9, minMs = options.minMs ?? 10;
  const z = options.random.normalMatrix(256, 256).data;
  const g = options.random.normalMatrix(256, 256).data;
  const x = new Float64Array(entries), out = new Float64Array(entries);
  tanh.forward(z, { out: x, n: entries });
  const theta = options.random.normalMatrix(256, 257).data;
  const input = options.random.normalMatrix(257, 256).data;
  const product = new Float64Array(256 * 256);
  const pieces = [
    [() => matmul(theta, input, { out: product, m: 256, k: 257, n: 256 }), 2 * 256 * 257 * 256],
    [() => tanh.forward(z, { out, n: entries }), entries],
    [() => tanh.backward(g, { z, x, out, n: entries }), entries],
    [() => relu.forward(z, { out, n: entries }), entries],
    [() => relu.backward(g, { z, x, out, n: entries }), entries],
  ] as const;
  const calls = pieces.map(([fn]) => {
    const start = performance.now();
    fn(); // warm-up, and a first estimate
    return Math.max(1, Math.ceil(minMs / Math.max(performance.now() - start, 1e-3)));
  });
  const samples: number[][] = pieces.map(() => []);
  for (let r = 0; r < rounds; r++) {
    pieces.forEach(([fn, units], i) => {
      const start = performance.now();
      for (let c = 0; c < calls[i]; c++) fn();
      samples[i].push((performance.now() - start) * 1e6 / calls[i] / units);
    });
  }
  const [nsPerFlop, tanhNs, tanhBackward, reluNs, reluBackward] = samples.map(median);
  return { nsPerFlop, tanh: tanhNs, tanhBackward, relu: reluNs, reluBackward };
}

/**
 * Times the forward pass, the backward pass and the training step of each configuration with
 * `timePasses` and returns one row per configuration: the ratio row's columns, then the step's
 * time and GFLOP/s, the activation, whether the ±20 % target is met (null below n = 256) and,
 * given measured unit costs, the model's ratio with elementwise entries weighted by them.
 * Wall-clock: never byte-identical between runs.
 *
 * @example
 * ```ts
 * import { costTimings } from "@lib/experiments/cost/measure.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const [row] = costTimings([courseConfig(8, { batch: 4, hidden: 2 })], { seed: 1, rounds: 1, minMs: 1 });
 * assert.equal(row.config, "n=8 B=4 L=2");
 * assert.equal(row.within_target, null); // n < 256
 * ```
 */
export function costTimings(
  configs: readonly PassConfig[],
  options: { seed: number; rounds?: number; minMs?: number; costs?: MeasuredCosts },
): PassTimingRow[] {
  return configs.map((config) => {
    const workload = passWorkload(config, { random: new Random(options.seed) });
    const t = timePasses(workload, { rounds: options.rounds ?? 7, minMs: options.minMs ?? 20 });
    workload.release(); // its kernel memory serves the next configuration
    const row = costRow(config, t);
    return {
      ...row,
      step_ms: significant(t.stepMs, 4),
      gflops_step: significant(workload.flops.step.total / t.stepMs / 1e6, 3),
      activation: config.activation,
      within_target: withinTarget(row),
      weighted_ratio: options.costs
        ? significant(weightedRatio(workload.flops, unitCostsFor(config, options.costs)), 4)
        : null,
    };
  });
}
