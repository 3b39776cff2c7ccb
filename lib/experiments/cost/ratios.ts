/**
 * The backward/forward ratio of the `cost` reproduction, measured and modelled: a configuration's
 * ratio row from its measured times, the ±20 % target, and the FLOP model's ratio with
 * elementwise entries priced at their measured cost. `bench/report.ts` uses the same functions.
 *
 * @module
 */
import { type FlopModel, flopModel } from "../../flops.ts";
import { significant } from "../../format.ts";
import type { PassConfig } from "../../pass_workload.ts";
import { RATIO_TARGET_MIN_N, RATIO_TOLERANCE } from "./profile.ts";
import type { CostRow } from "./rows.ts";

/**
 * The ratio row of a configuration from its measured forward and backward times (ms per call).
 * Times keep 4 significant digits, ratios 4, GFLOP/s 3.
 *
 * @throws {RangeError} when a time is not positive
 * @example
 * ```ts
 * import { costRow } from "@lib/experiments/cost/ratios.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const row = costRow(courseConfig(256, { batch: 256, hidden: 4 }), { forwardMs: 10, backwardMs: 17 });
 * assert.equal(row.ratio, 1.7);
 * assert.equal(row.flop_ratio, 1.746); // four n×n layers: close to (2·4 − 1)/4
 * assert.equal(row.gflops_fwd, 13.5); // 134.9 MFLOP in 10 ms
 * ```
 */
export function costRow(
  config: PassConfig,
  times: { forwardMs: number; backwardMs: number },
): CostRow {
  const { forwardMs, backwardMs } = times;
  if (!(forwardMs > 0) || !(backwardMs > 0)) {
    throw new RangeError(
      `cannot compute the ratio of ${config.name}: times must be positive, got forward ${forwardMs} ms and backward ${backwardMs} ms`,
    );
  }
  const f = flopModel(config.sizes, { batch: config.batch });
  return {
    config: config.name,
    n: config.n,
    B: config.batch,
    L: config.hidden,
    fwd_ms: significant(forwardMs, 4),
    bwd_ms: significant(backwardMs, 4),
    ratio: significant(backwardMs / forwardMs, 4),
    flop_ratio: significant(f.ratio, 4),
    gflops_fwd: significant(f.forward.total / forwardMs / 1e6, 3),
    gflops_bwd: significant(f.backward.total / backwardMs / 1e6, 3),
  };
}

/**
 * Whether a row meets the target: |ratio / flop_ratio − 1| ≤ 20 %. Rows with n below 256
 * are outside the target and give null.
 *
 * @example
 * ```ts
 * import { withinTarget } from "@lib/experiments/cost/ratios.ts";
 * import assert from "node:assert/strict";
 * assert.equal(withinTarget({ n: 256, ratio: 1.5, flop_ratio: 1.75 }), true);
 * assert.equal(withinTarget({ n: 256, ratio: 1.0, flop_ratio: 1.75 }), false);
 * assert.equal(withinTarget({ n: 64, ratio: 1.0, flop_ratio: 1.75 }), null);
 * ```
 */
export function withinTarget(
  row: { n: number; ratio: number; flop_ratio: number },
): boolean | null {
  if (row.n < RATIO_TARGET_MIN_N) return null;
  return Math.abs(row.ratio / row.flop_ratio - 1) <= RATIO_TOLERANCE;
}

/** Measured costs of the work the FLOP model counts, to weight it into expected times. */
export interface UnitCosts {
  /** Nanoseconds per FLOP of a matrix product (1 / (GFLOP/s)). */
  nsPerFlop: number;
  /** Nanoseconds per entry of the forward activation σ. */
  forwardNsPerEntry: number;
  /** Nanoseconds per entry of the backward σ′ ∘ product. */
  backwardNsPerEntry: number;
}

/** Measured unit costs, in nanoseconds (see `measureUnitCosts`). */
export interface MeasuredCosts {
  /** Nanoseconds per FLOP of a 256×257×256 product. */
  nsPerFlop: number;
  /** Nanoseconds per entry: tanh, tanh′ ∘ g, relu, relu′ ∘ g. */
  tanh: number;
  tanhBackward: number;
  relu: number;
  reluBackward: number;
}

/**
 * The backward/forward ratio the FLOP model predicts once elementwise entries are weighted by
 * their measured cost instead of one FLOP each:
 * (P_b·c_p + E_b·c_b) / (P_f·c_p + E_f·c_f), with P products, E entries and c the unit costs.
 * With Math.tanh at ~15 ns per entry and products at ~20 GFLOP/s, one tanh would weigh about
 * 300 FLOPs (the vectorised kernel of lib/tanh_kernel.ts costs ~3 ns, about 60).
 *
 * @example
 * ```ts
 * import { weightedRatio } from "@lib/experiments/cost/ratios.ts";
 * import { flopModel } from "@lib/flops.ts";
 * import assert from "node:assert/strict";
 * const f = flopModel([256, 256, 256, 256, 256, 1], { batch: 256 });
 * const free = weightedRatio(f, { nsPerFlop: 0.05, forwardNsPerEntry: 0, backwardNsPerEntry: 0 });
 * assert.ok(Math.abs(free - f.productRatio) < 1e-12);
 * const dear = weightedRatio(f, { nsPerFlop: 0.05, forwardNsPerEntry: 15, backwardNsPerEntry: 1 });
 * assert.ok(dear < 1.2); // a dear tanh makes the forward pass heavy
 * ```
 */
export function weightedRatio(flops: FlopModel, costs: UnitCosts): number {
  const forward = flops.forward.products * costs.nsPerFlop +
    flops.forward.elementwise * costs.forwardNsPerEntry;
  const backward = flops.backward.products * costs.nsPerFlop +
    flops.backward.elementwise * costs.backwardNsPerEntry;
  return backward / forward;
}

/**
 * The unit costs of a configuration's activation, picked from measured costs.
 *
 * @example
 * ```ts
 * import { unitCostsFor } from "@lib/experiments/cost/ratios.ts";
 * import { courseConfig } from "@lib/pass_workload.ts";
 * import assert from "node:assert/strict";
 * const costs = { nsPerFlop: 0.05, tanh: 15, tanhBackward: 1, relu: 2, reluBackward: 1.5 };
 * const unit = unitCostsFor(courseConfig(64, { batch: 8, hidden: 2, activation: "relu" }), costs);
 * assert.deepEqual(unit, { nsPerFlop: 0.05, forwardNsPerEntry: 2, backwardNsPerEntry: 1.5 });
 * ```
 */
export function unitCostsFor(config: PassConfig, costs: MeasuredCosts): UnitCosts {
  const isRelu = config.activation === "relu";
  return {
    nsPerFlop: costs.nsPerFlop,
    forwardNsPerEntry: isRelu ? costs.relu : costs.tanh,
    backwardNsPerEntry: isRelu ? costs.reluBackward : costs.tanhBackward,
  };
}
