/**
 * The fair protocol's learning rates (issue 12, "When does importance sampling pay?"): each
 * sampler's η is chosen from a doubling grid on tuning seeds, as a pure function of the tuning
 * table, with a flag when the best η sits at an edge of the grid (widen it and tune again); and the
 * step-decay schedule of Katharopoulos & Fleuret's CIFAR runs, ×0.2 at 50 % and 80 % of the budget.
 *
 * @module
 */
import type { LearningRate } from "../../sgd.ts";

/** One tuning run: a sampler and schedule at one η on one tuning seed, and its final loss. */
export interface TuningRow {
  /** The sampler's name. */
  readonly sampler: string;
  /** The schedule's name ("constant", "step decay", …). */
  readonly schedule: string;
  /** η, the base learning rate. */
  readonly eta: number;
  /** The tuning seed (never an evaluation seed). */
  readonly seed: number;
  /** The final training loss over the training set; NaN or ±∞ when the run diverged. */
  readonly train_loss: number;
}

/** The mean final loss at one η of a (sampler, schedule). */
export interface EtaMean {
  /** η. */
  readonly eta: number;
  /** The mean over the tuning seeds, +∞ when any run diverged. */
  readonly meanLoss: number;
  /** Runs that diverged (a non-finite loss). */
  readonly diverged: number;
}

/** The η chosen for one (sampler, schedule). */
export interface EtaChoice {
  /** The sampler's name. */
  readonly sampler: string;
  /** The schedule's name. */
  readonly schedule: string;
  /** The η of lowest mean final loss (ties: the smaller η). */
  readonly eta: number;
  /** Its mean final loss over the tuning seeds (+∞ when every η diverged). */
  readonly meanLoss: number;
  /** The tuning seeds, ascending (the same at every η). */
  readonly seeds: readonly number[];
  /** Every η tried, ascending, with its mean. */
  readonly means: readonly EtaMean[];
  /**
   * Where the best η sits: "lower" or "upper" at that edge of the grid (widen the grid there and
   * tune again), "only" when the grid has one η, null inside. Every η diverging gives "lower".
   */
  readonly edge: "lower" | "upper" | "only" | null;
}

/**
 * Per (sampler, schedule), in order of first appearance, the η with the lowest mean final training
 * loss over the tuning seeds. A diverged run (NaN or ±∞ loss) counts as +∞, so an η with any
 * diverged seed loses to every η without one. Ties go to the smaller η. Pure: the same table gives
 * the same choices whatever the order of its rows within a (sampler, schedule, η).
 *
 * @throws {RangeError} when an η is not finite and > 0, a (sampler, schedule, η, seed) appears
 * twice, or the η of one (sampler, schedule) were not run on the same seeds
 * @example The best η at the top of the grid is flagged; a diverged seed rules an η out
 * ```ts
 * import { selectEta } from "@lib/experiments/importance/eta_selection.ts";
 * import assert from "node:assert/strict";
 * const row = (eta: number, seed: number, train_loss: number) =>
 *   ({ sampler: "uniform", schedule: "constant", eta, seed, train_loss });
 * const [choice] = selectEta([
 *   row(0.1, 1, 0.3), row(0.1, 2, 0.5), row(0.2, 1, 0.2), row(0.2, 2, 0.2),
 *   row(0.4, 1, 0.01), row(0.4, 2, Infinity),
 * ]);
 * assert.equal(choice.eta, 0.2);
 * assert.equal(choice.edge, null);
 * assert.deepEqual(choice.means.map((m) => m.meanLoss), [0.4, 0.2, Infinity]);
 * ```
 */
export function selectEta(rows: readonly TuningRow[]): EtaChoice[] {
  const groups = new Map<
    string,
    { sampler: string; schedule: string; byEta: Map<number, Map<number, number>> }
  >();
  for (const r of rows) {
    if (!(r.eta > 0) || r.eta === Infinity) {
      throw new RangeError(
        `cannot select η: '${r.sampler}' (${r.schedule}) has η = ${r.eta}, expected a finite η > 0`,
      );
    }
    const key = JSON.stringify([r.sampler, r.schedule]);
    let group = groups.get(key);
    if (group === undefined) {
      group = { sampler: r.sampler, schedule: r.schedule, byEta: new Map() };
      groups.set(key, group);
    }
    let seeds = group.byEta.get(r.eta);
    if (seeds === undefined) group.byEta.set(r.eta, seeds = new Map());
    if (seeds.has(r.seed)) {
      throw new RangeError(
        `cannot select η: '${r.sampler}' (${r.schedule}) at η = ${r.eta} has seed ${r.seed} twice`,
      );
    }
    seeds.set(r.seed, Number.isFinite(r.train_loss) ? r.train_loss : Infinity);
  }
  return [...groups.values()].map(({ sampler, schedule, byEta }) => {
    const etas = [...byEta.keys()].sort((a, b) => a - b);
    const seeds = [...byEta.get(etas[0])!.keys()].sort((a, b) => a - b);
    const means = etas.map((eta): EtaMean => {
      const losses = byEta.get(eta)!;
      const own = [...losses.keys()].sort((a, b) => a - b);
      if (own.length !== seeds.length || own.some((s, k) => s !== seeds[k])) {
        throw new RangeError(
          `cannot select η: '${sampler}' (${schedule}) ran seeds ${
            own.join(", ")
          } at η = ${eta} but ${seeds.join(", ")} at η = ${
            etas[0]
          }; tune every η on the same seeds`,
        );
      }
      let sum = 0, diverged = 0;
      for (const s of seeds) { // summed in seed order, so that the row order does not matter
        const v = losses.get(s)!;
        if (v === Infinity) diverged++;
        sum += v;
      }
      return { eta, meanLoss: diverged > 0 ? Infinity : sum / seeds.length, diverged };
    });
    let best = 0;
    for (let k = 1; k < means.length; k++) if (means[k].meanLoss < means[best].meanLoss) best = k;
    const edge = means.length === 1
      ? "only"
      : best === 0
      ? "lower"
      : best === means.length - 1
      ? "upper"
      : null;
    return {
      sampler,
      schedule,
      eta: etas[best],
      meanLoss: means[best].meanLoss,
      seeds,
      means,
      edge,
    };
  });
}

/** Options of {@link etaGrid}. */
export interface EtaGridOptions {
  /** The smallest η. Default 0.0125. */
  from?: number;
  /** The largest η allowed (kept when it is from·2^k). Default 1.6. */
  to?: number;
}

/**
 * The doubling grid from·2^k, k = 0, 1, …, up to `to` (0.0125 to 1.6 by default: 8 values).
 * Multiplying by a power of two is exact, so the grid's values are exactly from·2^k.
 *
 * @throws {RangeError} when from is not finite and > 0, or to < from
 * @example
 * ```ts
 * import { etaGrid } from "@lib/experiments/importance/eta_selection.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(etaGrid(), [0.0125, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
 * assert.deepEqual(etaGrid({ from: 0.1, to: 0.5 }), [0.1, 0.2, 0.4]);
 * ```
 */
export function etaGrid(options: EtaGridOptions = {}): number[] {
  const from = options.from ?? 0.0125, to = options.to ?? 1.6;
  if (!(from > 0) || from === Infinity || !(to >= from) || to === Infinity) {
    throw new RangeError(
      `cannot make an η grid: need finite 0 < from <= to, got from = ${from}, to = ${to}`,
    );
  }
  const grid = [];
  for (let eta = from; eta <= to; eta *= 2) grid.push(eta);
  return grid;
}

/**
 * The grid of a choice widened by one doubling at the edge where its best η sits (both ways for
 * "only"); the same grid when the best η is inside.
 *
 * @example
 * ```ts
 * import { widenedGrid } from "@lib/experiments/importance/eta_selection.ts";
 * import assert from "node:assert/strict";
 * const means = [0.1, 0.2].map((eta) => ({ eta, meanLoss: 1, diverged: 0 }));
 * assert.deepEqual(widenedGrid({ means, edge: "upper" }), [0.1, 0.2, 0.4]);
 * assert.deepEqual(widenedGrid({ means, edge: "lower" }), [0.05, 0.1, 0.2]);
 * assert.deepEqual(widenedGrid({ means, edge: null }), [0.1, 0.2]);
 * ```
 */
export function widenedGrid(choice: Pick<EtaChoice, "means" | "edge">): number[] {
  const grid = choice.means.map((m) => m.eta);
  const lower = choice.edge === "lower" || choice.edge === "only";
  const upper = choice.edge === "upper" || choice.edge === "only";
  return [...(lower ? [grid[0] / 2] : []), ...grid, ...(upper ? [grid.at(-1)! * 2] : [])];
}

/** Options of {@link stepDecay}. */
export interface StepDecayOptions {
  /** The budget in steps. */
  steps: number;
  /** The factor applied at each milestone. Default 0.2. */
  factor?: number;
  /** The milestones as fractions of the budget, ascending. Default [0.5, 0.8]. */
  at?: readonly number[];
}

/**
 * The step-decay schedule η_t = η·factor^m, m the number of milestones ⌊f·steps⌋ that t has
 * reached (t = steps already taken, as lib/sgd.ts's LearningRate is called): ×0.2 at 50 % and 80 %
 * of the budget by default, as in K&F's CIFAR runs. The rates are η, η·factor, η·factor·factor, …
 * computed once by repeated multiplication.
 *
 * @throws {RangeError} for η not finite and > 0, steps not an integer >= 1, a factor outside
 * (0, 1], or milestones not ascending in (0, 1)
 * @example 10 steps: η for t < 5, η/5 for 5 ≤ t < 8, η/25 after
 * ```ts
 * import { stepDecay } from "@lib/experiments/importance/eta_selection.ts";
 * import assert from "node:assert/strict";
 * const rate = stepDecay(0.5, { steps: 10 });
 * assert.deepEqual([0, 4, 5, 7, 8, 9].map(rate), [0.5, 0.5, 0.1, 0.1, 0.5 * 0.2 * 0.2, 0.5 * 0.2 * 0.2]);
 * ```
 */
export function stepDecay(
  eta: number,
  options: StepDecayOptions,
): Extract<LearningRate, (step: number) => number> {
  const { steps } = options, factor = options.factor ?? 0.2, at = options.at ?? [0.5, 0.8];
  const action = "cannot make a step-decay schedule";
  if (!(eta > 0) || eta === Infinity) {
    throw new RangeError(`${action}: η must be finite and > 0, got ${eta}`);
  }
  if (!Number.isInteger(steps) || steps < 1) {
    throw new RangeError(`${action}: steps must be an integer >= 1, got ${steps}`);
  }
  if (!(factor > 0 && factor <= 1)) {
    throw new RangeError(`${action}: factor must be in (0, 1], got ${factor}`);
  }
  if (at.some((f, k) => !(f > 0 && f < 1) || (k > 0 && !(f > at[k - 1])))) {
    throw new RangeError(`${action}: milestones must be ascending in (0, 1), got ${at.join(", ")}`);
  }
  const milestones = at.map((f) => Math.floor(f * steps));
  const rates = [eta];
  for (let k = 0; k < at.length; k++) rates.push(rates[k] * factor);
  return (step: number) => {
    let m = 0;
    while (m < milestones.length && step >= milestones[m]) m++;
    return rates[m];
  };
}
