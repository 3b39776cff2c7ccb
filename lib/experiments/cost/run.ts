/**
 * The unit of the `cost` reproduction: the FLOP model of every configuration and of the course's
 * network at growing width (deterministic), the measured unit costs and the timed sweep (wall
 * clock). Its code, and what it imports, is the unit's key; charts and notes are not part of it.
 *
 * @module
 */
import { courseSizes, equalLayersRatioLimit, flopModel } from "../../flops.ts";
import { significant } from "../../format.ts";
import type { PassConfig } from "../../pass_workload.ts";
import { Random } from "../../random.ts";
import type { ReproductionOptions, ReproductionUnit, UnitOutput } from "../reproduction.ts";
import { costTimings, measureUnitCosts } from "./measure.ts";
import { costConfigs, LIMIT_DEPTHS, LIMIT_WIDTHS, UNIT_COST_WORK } from "./profile.ts";
import type { MeasuredCosts } from "./ratios.ts";
import {
  type CostTables,
  encodeTables,
  type FlopRow,
  type RatioLimitRow,
  type UnitCostRow,
} from "./rows.ts";

/**
 * The FLOP model of each configuration, one deterministic row each: products and elementwise
 * entries of both passes, both ratios, and the limit (2L − 1)/L for the course's network.
 *
 * @example
 * ```ts
 * import { flopTable } from "@lib/experiments/cost/run.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const [row] = flopTable([courseConfig(1024, { batch: 256, hidden: 4 })]);
 * assert.equal(row.limit, 1.75);
 * assert.equal(row.product_ratio, 1.7493);
 * ```
 */
export function flopTable(configs: readonly PassConfig[]): FlopRow[] {
  return configs.map((c) => {
    const f = flopModel(c.sizes, { batch: c.batch });
    const course = c.sizes.length === c.hidden + 2 &&
      c.sizes.every((s, i) => s === courseSizes(c.n, c.hidden)[i]);
    return {
      config: c.name,
      sizes: c.sizes.join("-"),
      n: c.n,
      B: c.batch,
      L: c.hidden,
      activation: c.activation,
      fwd_products: f.forward.products,
      fwd_elementwise: f.forward.elementwise,
      bwd_products: f.backward.products,
      bwd_elementwise: f.backward.elementwise,
      product_ratio: significant(f.productRatio, 5),
      flop_ratio: significant(f.ratio, 5),
      limit: course ? equalLayersRatioLimit(c.hidden) : null,
    };
  });
}

/**
 * The product ratio of the course's network (batch 1) for every depth of `LIMIT_DEPTHS` and width
 * of `LIMIT_WIDTHS`, unrounded: it approaches (2L − 1)/L from below.
 *
 * @example
 * ```ts
 * import { ratioLimitRows } from "@lib/experiments/cost/run.ts";
 * import assert from "node:assert/strict";
 * const rows = ratioLimitRows();
 * assert.deepEqual(rows[0], { n: 4, L: "L=1", product_ratio: 1.16 });
 * assert.ok(rows.every((r) => r.product_ratio < 2));
 * ```
 */
export function ratioLimitRows(): RatioLimitRow[] {
  return LIMIT_DEPTHS.flatMap((L) =>
    LIMIT_WIDTHS.map((n) => ({
      n,
      L: `L=${L}`,
      product_ratio: flopModel(courseSizes(n, L), { batch: 1 }).productRatio,
    }))
  );
}

/**
 * The measured unit costs as table rows, in the order of `UNIT_COST_WORK`: nanoseconds (4
 * significant digits) and the same in FLOPs of matrix product (3).
 *
 * @example
 * ```ts
 * import { unitCostRows } from "@lib/experiments/cost/run.ts";
 * import assert from "node:assert/strict";
 * const rows = unitCostRows({ nsPerFlop: 0.1, tanh: 7.28, tanhBackward: 1, relu: 6, reluBackward: 2 });
 * assert.deepEqual(rows[0], { work: "product 256×257×256 (per FLOP)", ns: 0.1, product_flops: 1 });
 * assert.deepEqual(rows[1], { work: "tanh (per entry)", ns: 7.28, product_flops: 72.8 });
 * ```
 */
export function unitCostRows(costs: MeasuredCosts): UnitCostRow[] {
  return UNIT_COST_WORK.map(({ cost, work }) => ({
    work,
    ns: significant(costs[cost], 4),
    product_flops: significant(costs[cost] / costs.nsPerFlop, 3),
  }));
}

/** The reproduction's options, and a smaller sweep for tests and examples. */
export interface CostRunOptions extends ReproductionOptions {
  /** The configurations to time (default: `costConfigs(profile)`). */
  configs?: readonly PassConfig[];
  /** Timing rounds of the unit costs and of each configuration (default: 9 and 7). */
  rounds?: number;
  /** Milliseconds per round (default: 10 for unit costs, 20 per configuration). */
  minMs?: number;
}

/**
 * Every table of the reproduction: the FLOP model, then the unit costs (one stream of `seed`)
 * and the sweep (each configuration's workload from its own `seed` stream) timed in that order.
 *
 * @example
 * ```ts
 * import { costTables } from "@lib/experiments/cost/run.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const configs = [courseConfig(8, { batch: 4, hidden: 2 })];
 * const t = costTables({ seed: 1, profile: "quick", configs, rounds: 1, minMs: 1 });
 * assert.deepEqual(t.flops.map((r) => r.config), t.passes_timing.map((r) => r.config));
 * assert.equal(t.ratio_limit.length, 40);
 * assert.equal(t.unit_costs_timing[0].product_flops, 1);
 * ```
 */
export function costTables(options: CostRunOptions): CostTables {
  const configs = options.configs ?? costConfigs(options.profile);
  const { rounds, minMs } = options;
  const flops = flopTable(configs);
  const costs = measureUnitCosts({ random: new Random(options.seed), rounds, minMs });
  const timing = costTimings(configs, { seed: options.seed, rounds, minMs, costs });
  return {
    flops,
    ratio_limit: ratioLimitRows(),
    passes_timing: timing,
    unit_costs_timing: unitCostRows(costs),
  };
}

/**
 * Computes the reproduction's one unit and hands its tables over as CSV rows, in CSV column order.
 *
 * @example
 * ```ts
 * import { runUnit } from "@lib/experiments/cost/run.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const configs = [courseConfig(8, { batch: 4, hidden: 2 })];
 * const out = await runUnit({ id: "all", params: {} }, { seed: 1, profile: "quick", configs, rounds: 1, minMs: 1 });
 * assert.deepEqual(Object.keys(out.tables.passes_timing[0]).slice(-3), ["activation", "within_target", "weighted_ratio"]);
 * ```
 */
export function runUnit(_unit: ReproductionUnit, options: CostRunOptions): Promise<UnitOutput> {
  return Promise.resolve({ tables: encodeTables(costTables(options)) });
}
