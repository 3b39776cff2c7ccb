/**
 * Priced seconds: a study run's wall-clock axis rebuilt from its steps and its sampler's step
 * price measured side by side with uniform's (study/step_costs.ts), so that the load of the
 * machine at the hour a unit ran does not decide the verdict (see that module).
 *
 * @module
 */
import type { StudyCurveRow, StudyCurveTimingRow } from "./rows.ts";
import type { StudyStepCostRow } from "./step_costs.ts";

/**
 * The priced training seconds at each evaluation of the curves: t × the median step time of the
 * run's (data set, b, k, sampler), plus for the stale scores their scoring passes over all N (the
 * forward-equivalents beyond 3b per step) at uniform's price per forward-equivalent. K&F's switch
 * samplers change price with their mode, so their steps are priced by mode: the importance steps
 * among the first t (each costs B − b forward-equivalents beyond a uniform step's 3b, so there are
 * (fe − 3b·t)/((k − 1)b) of them) at the presampled upper bound's price at the same k, the others
 * at uniform's; a single price measured at one θ would catch only the mode the switch was in there.
 *
 * @throws {RangeError} naming the cell whose price was not measured
 * @example 10 steps at 2 ms; stale scores add N = 96 forward-equivalents at uniform's 1 ms per 3b = 24
 * ```ts
 * import { pricedTiming } from "@lib/experiments/importance/study/priced.ts";
 * import assert from "node:assert/strict";
 * const at = { dataset: "mnist", batch_size: 8, schedule: "constant" } as const;
 * const cost = (sampler: string, ms: number, presample: number | null = null) =>
 *   ({ ...at, presample, sampler, median_ms: ms, min_ms: ms, rounds: 1, steps_per_round: 1 }) as never;
 * const curve = (sampler: string, fe: number, presample: number | null = null) =>
 *   ({ ...at, presample, sampler, eta: 0.1, seed: 1, step: 10, forward_equivalents: fe, budget_forward_equivalents: 1, train_loss: 1, test_error: 0 }) as never;
 * const t = pricedTiming([curve("uniform", 240), curve("stale-scores", 336)], [cost("uniform", 1), cost("stale-scores", 2)]);
 * assert.deepEqual(t.map((r) => r.seconds), [0.01, 0.02 + 96 / 24 / 1000]);
 * // a switch at k = 3 that sampled by importance on 4 of its 10 steps (4 × 2b = 64 extra)
 * const costs = [cost("uniform", 1), cost("upper-bound", 5, 3), cost("switch", 1, 3)];
 * assert.equal(pricedTiming([curve("switch", 240 + 64, 3)], costs)[0].seconds, (6 * 1 + 4 * 5) / 1000);
 * ```
 */
export function pricedTiming(
  curves: readonly StudyCurveRow[],
  costs: readonly StudyStepCostRow[],
): StudyCurveTimingRow[] {
  const price = new Map<string, number>();
  for (const c of costs) {
    price.set(JSON.stringify([c.dataset, c.batch_size, c.presample, c.sampler]), c.median_ms);
  }
  const of = (r: StudyCurveRow, sampler: string, presample: number | null) => {
    const ms = price.get(JSON.stringify([r.dataset, r.batch_size, presample, sampler]));
    if (ms === undefined) {
      throw new RangeError(
        `cannot price the study's seconds: no measured step of ${sampler} (k = ${presample}) at ${r.dataset} b = ${r.batch_size}; run its cost unit`,
      );
    }
    return ms;
  };
  return curves.map((r) => {
    let ms = r.step * of(r, r.sampler, r.presample);
    if ((r.sampler === "switch" || r.sampler === "switch-sqrt") && r.presample !== null) {
      const b = r.batch_size, extra = (r.presample - 1) * b;
      const on = extra > 0
        ? Math.min(
          r.step,
          Math.max(0, Math.round((r.forward_equivalents - 3 * b * r.step) / extra)),
        )
        : 0;
      ms = (r.step - on) * of(r, "uniform", null) + on * of(r, "upper-bound", r.presample);
    }
    if (r.sampler === "stale-scores") {
      const perStep = 3 * r.batch_size;
      const extra = Math.max(0, r.forward_equivalents - perStep * r.step);
      ms += extra * of(r, "uniform", null) / perStep;
    }
    return {
      dataset: r.dataset,
      batch_size: r.batch_size,
      presample: r.presample,
      sampler: r.sampler,
      schedule: r.schedule,
      seed: r.seed,
      step: r.step,
      seconds: ms / 1000,
    };
  });
}
