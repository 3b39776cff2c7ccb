/**
 * The fair study's budgets and targets, named once here: the fractions of the budget at which
 * every run is judged (`budget`), the ladder of target losses (tuned uniform's mean training loss
 * at fractions of the budget) and the two levels of the verdict, early and late; then the tables
 * made from them: each run's state at each budget, in forward-equivalents and in tuned uniform's
 * seconds to the same budgets, and each run's steps, forward-equivalents and seconds to each
 * target.
 *
 * @module
 */
import { mean } from "../../../stats.ts";
import { baselineOf, cellKey, firstReach, lastWithin, regimeName, type StudyRun } from "./runs.ts";
import type { BudgetRow, TargetRow, TimeToTargetRow } from "./tables.ts";

/** The fractions of the budget at which `budget` gives every run's state (early … late). */
export const BUDGET_FRACTIONS: readonly number[] = [0.25, 0.5, 1];

/** The ladder of targets: tuned uniform's mean training loss at these fractions of the budget. */
export const LADDER_FRACTIONS: readonly number[] = [0.125, 0.25, 0.5, 1];

/** The verdict's two target levels and the rung of the ladder each one is. */
export const TARGET_LEVELS = { early: 0.25, late: 1 } as const;

/** One of the verdict's levels. */
export type TargetLevel = keyof typeof TARGET_LEVELS;

/**
 * The level a fraction of the ladder is, if any.
 *
 * @example
 * ```ts
 * import { levelOf } from "@lib/experiments/importance/study/ladder.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual([0.125, 0.25, 0.5, 1].map(levelOf), [null, "early", null, "late"]);
 * ```
 */
export function levelOf(fraction: number): TargetLevel | null {
  for (const [level, f] of Object.entries(TARGET_LEVELS)) {
    if (f === fraction) {
      return level as TargetLevel;
    }
  }
  return null;
}

/** Tuned uniform's runs, by the key of their (data set, b, schedule) cell. */
export type Baselines = ReadonlyMap<string, readonly StudyRun[]>;

/**
 * Tuned uniform's runs of each (data set, b, schedule), after checking that every run of the
 * study has its baseline, on the same evaluation seeds and with the same budget.
 *
 * @throws {RangeError} when a cell has no tuned uniform cell, its seeds differ from uniform's, or
 * its budget does
 * @example
 * ```ts
 * import { baselines } from "@lib/experiments/importance/study/ladder.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: 3, sampler: "loss", schedule: "constant" } as const;
 * const run = { cell, eta: 0.1, seed: 1, budget: 100, points: [] };
 * assert.throws(() => baselines([run]), /no tuned uniform runs for mnist b=8 constant/);
 * const uniform = { ...run, cell: { ...cell, presample: null, sampler: "uniform" as const } };
 * assert.equal(baselines([uniform, run]).size, 1);
 * ```
 */
export function baselines(runs: readonly StudyRun[]): Baselines {
  const action = "cannot compare the study's cells with tuned uniform";
  const out = new Map<string, StudyRun[]>();
  for (const r of runs) {
    if (r.cell.sampler !== "uniform") continue;
    const key = cellKey(r.cell);
    if (!out.has(key)) out.set(key, []);
    out.get(key)!.push(r);
  }
  const seedsOf = (rs: readonly StudyRun[]) => rs.map((r) => r.seed).sort((a, b) => a - b).join();
  const cells = new Map<string, StudyRun[]>();
  for (const r of runs) {
    const key = cellKey(r.cell);
    if (!cells.has(key)) cells.set(key, []);
    cells.get(key)!.push(r);
  }
  for (const rs of cells.values()) {
    const cell = rs[0].cell, base = out.get(cellKey(baselineOf(cell)));
    const where = `${regimeName(cell)} ${cell.sampler}`;
    if (base === undefined) {
      throw new RangeError(`${action}: no tuned uniform runs for ${regimeName(baselineOf(cell))}`);
    }
    if (seedsOf(rs) !== seedsOf(base)) {
      throw new RangeError(
        `${action}: ${where} ran seeds ${seedsOf(rs)} and tuned uniform ${seedsOf(base)}; ` +
          `run both on the same evaluation seeds, so that they pair`,
      );
    }
    if (rs.some((r) => r.budget !== base[0].budget)) {
      throw new RangeError(
        `${action}: ${where} is judged at a budget other than tuned uniform's ${base[0].budget}`,
      );
    }
  }
  return out;
}

/** A run's state at a budget; throws when it has no evaluation within it. */
function stateAt(run: StudyRun, by: "forward_equivalents" | "seconds", budget: number) {
  const p = lastWithin(run.points, by, budget);
  if (p === undefined) {
    throw new RangeError(
      `cannot read ${
        regimeName(run.cell)
      } ${run.cell.sampler} seed ${run.seed} at ${budget} ${by}: ` +
        `its first evaluation is beyond it; evaluate every run at step 0`,
    );
  }
  return p;
}

/**
 * Per (data set, b, schedule), the equal-wall-clock budgets: tuned uniform's mean seconds over
 * the evaluation seeds to its last evaluation within each of {@link BUDGET_FRACTIONS} of the
 * budget, in that order.
 *
 * @example
 * ```ts
 * import { secondsBudgets } from "@lib/experiments/importance/study/ladder.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const points = [0, 1, 2, 3, 4].map((k) => ({ step: k, forward_equivalents: 25 * k, train_loss: 1, test_error: null, seconds: k }));
 * const base = new Map([["u", [{ cell, eta: 0.1, seed: 1, budget: 100, points }]]]);
 * assert.deepEqual(secondsBudgets(base).get("u"), [1, 2, 4]);
 * ```
 */
export function secondsBudgets(base: Baselines): Map<string, number[]> {
  const out = new Map<string, number[]>();
  for (const [key, runs] of base) {
    out.set(
      key,
      BUDGET_FRACTIONS.map((f) =>
        mean(runs.map((r) => stateAt(r, "forward_equivalents", f * r.budget).seconds))
      ),
    );
  }
  return out;
}

/**
 * `budget`: every run's state (its last evaluation within the budget) at each of
 * {@link BUDGET_FRACTIONS} of the budget in forward-equivalents, then at tuned uniform's mean
 * seconds to those budgets.
 *
 * @example A run twice as slow per forward-equivalent is judged earlier at equal seconds
 * ```ts
 * import { baselines, budgetRows, secondsBudgets } from "@lib/experiments/importance/study/ladder.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const run = (sampler: "uniform" | "isgd", perStep: number) => ({
 *   cell: { ...cell, sampler }, eta: 0.1, seed: 1, budget: 100,
 *   points: [0, 1, 2, 3, 4].map((k) => ({ step: k, forward_equivalents: 25 * k, train_loss: 1 / (k + 1), test_error: null, seconds: perStep * k })),
 * });
 * const runs = [run("uniform", 1), run("isgd", 2)], base = baselines(runs);
 * const rows = budgetRows(runs, base, secondsBudgets(base));
 * const late = rows.filter((r) => r.sampler === "isgd" && r.budget_kind === "seconds").at(-1)!;
 * assert.deepEqual([late.budget, late.train_loss], [4, 1 / 3]);
 * ```
 */
export function budgetRows(
  runs: readonly StudyRun[],
  base: Baselines,
  seconds: ReadonlyMap<string, readonly number[]>,
): BudgetRow[] {
  return runs.flatMap((run) => {
    const { dataset, batch_size, presample, sampler, schedule } = run.cell;
    const row = (kind: BudgetRow["budget_kind"], budget: number): BudgetRow => {
      const p = stateAt(run, kind, budget);
      return {
        dataset,
        batch_size,
        presample,
        sampler,
        seed: run.seed,
        eta: run.eta,
        schedule,
        budget_kind: kind,
        budget,
        train_loss: p.train_loss,
        test_error: p.test_error,
      };
    };
    const key = cellKey(baselineOf(run.cell));
    if (!base.has(key)) throw new RangeError(`cannot judge ${key}: no tuned uniform runs`);
    const s = seconds.get(key)!;
    return [
      ...BUDGET_FRACTIONS.map((f) => row("forward_equivalents", f * run.budget)),
      ...BUDGET_FRACTIONS.map((_, k) => row("seconds", s[k])),
    ];
  });
}

/**
 * `study_targets`: per (data set, b, schedule), tuned uniform's mean training loss over the
 * evaluation seeds at its last evaluation within each of {@link LADDER_FRACTIONS} of the budget
 * (over the seeds whose loss there is finite; NaN when none is).
 *
 * @example
 * ```ts
 * import { targetRows } from "@lib/experiments/importance/study/ladder.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const run = (seed: number, scale: number) => ({ cell, eta: 0.1, seed, budget: 80,
 *   points: [0, 1, 2, 4, 8].map((k) => ({ step: k, forward_equivalents: 10 * k, train_loss: scale / (k + 1), test_error: null, seconds: k })) });
 * const rows = targetRows(new Map([["u", [run(1, 1), run(2, 3)]]]));
 * assert.deepEqual(rows.map((r) => [r.fraction, r.level, r.target_loss]), [[0.125, null, 1], [0.25, "early", 2 / 3], [0.5, null, 0.4], [1, "late", 2 / 9]]);
 * ```
 */
export function targetRows(base: Baselines): TargetRow[] {
  return [...base.values()].flatMap((runs) => {
    const { dataset, batch_size, schedule } = runs[0].cell;
    return LADDER_FRACTIONS.map((fraction) => {
      const losses = runs.map((r) => stateAt(r, "forward_equivalents", fraction * r.budget))
        .map((p) => p.train_loss).filter((v) => Number.isFinite(v));
      return {
        dataset,
        batch_size,
        schedule,
        fraction,
        level: levelOf(fraction),
        target_loss: losses.length > 0 ? mean(losses) : NaN,
        uniform_seeds: losses.length,
      };
    });
  });
}

/**
 * `study_time_to_target_timing`: per run and rung of the ladder, the steps, forward-equivalents
 * and seconds of its first evaluation at or below the target; +∞ when it never gets there within
 * the run (runs go past the budget, so a slower sampler can still get there).
 *
 * @example
 * ```ts
 * import { timeToTargetRows } from "@lib/experiments/importance/study/ladder.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const points = [0, 1, 2].map((k) => ({ step: 5 * k, forward_equivalents: 50 * k, train_loss: 1 - k / 4, test_error: null, seconds: k }));
 * const targets = [{ dataset: "mnist", batch_size: 8, schedule: "constant", fraction: 1, level: "late", target_loss: 0.1, uniform_seeds: 1 }] as const;
 * const [row] = timeToTargetRows([{ cell, eta: 0.1, seed: 1, budget: 100, points }], targets);
 * assert.deepEqual([row.reached, row.steps, row.seconds], [false, Infinity, Infinity]);
 * ```
 */
export function timeToTargetRows(
  runs: readonly StudyRun[],
  targets: readonly TargetRow[],
): TimeToTargetRow[] {
  const byGroup = new Map<string, TargetRow[]>();
  for (const t of targets) {
    const key = cellKey({ ...t, presample: null, sampler: "uniform" });
    if (!byGroup.has(key)) byGroup.set(key, []);
    byGroup.get(key)!.push(t);
  }
  return runs.flatMap((run) =>
    (byGroup.get(cellKey(baselineOf(run.cell))) ?? []).map((t) => {
      const hit = firstReach(run.points, t.target_loss);
      return {
        ...run.cell,
        eta: run.eta,
        seed: run.seed,
        fraction: t.fraction,
        level: t.level,
        target_loss: t.target_loss,
        reached: hit !== undefined,
        steps: hit?.step ?? Infinity,
        forward_equivalents: hit?.forward_equivalents ?? Infinity,
        seconds: hit?.seconds ?? Infinity,
      };
    })
  );
}
