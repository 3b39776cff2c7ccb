/**
 * The fair study's evaluation runs as the combine step reads them: cells (their key, their
 * canonical order, their baseline and their regime in words), each run's evaluations joined with
 * their training seconds, and the two questions asked of a run: where it stood at a budget (its
 * last evaluation within it) and when it first reached a target loss.
 *
 * @module
 */
import type { StudyCell, StudyCurveRow, StudyCurveTimingRow } from "./rows.ts";
import { SCHEDULES, STUDY_SAMPLERS } from "./registry.ts";

/** One evaluation of a run, with the training seconds so far. */
export interface StudyPoint {
  readonly step: number;
  readonly forward_equivalents: number;
  readonly train_loss: number;
  readonly test_error: number | null;
  readonly seconds: number;
}

/** One evaluation run: a cell at its chosen η on one evaluation seed. */
export interface StudyRun {
  readonly cell: StudyCell;
  readonly eta: number;
  readonly seed: number;
  /** The budget in forward-equivalents the run is judged at. */
  readonly budget: number;
  /** Its evaluations, by step ascending. */
  readonly points: readonly StudyPoint[];
}

const DATASETS = ["mnist", "fashion-mnist"] as const;

/**
 * Only the cell's own fields (a row carries more).
 *
 * @example
 * ```ts
 * import { cellOf } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const row = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant", seed: 3 } as const;
 * assert.deepEqual(Object.keys(cellOf(row)), ["dataset", "batch_size", "presample", "sampler", "schedule"]);
 * ```
 */
export function cellOf(c: StudyCell): StudyCell {
  return {
    dataset: c.dataset,
    batch_size: c.batch_size,
    presample: c.presample,
    sampler: c.sampler,
    schedule: c.schedule,
  };
}

/**
 * The key of a cell, equal for equal cells.
 *
 * @example
 * ```ts
 * import { cellKey } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 32, presample: 3, sampler: "loss", schedule: "constant" } as const;
 * assert.equal(cellKey(cell), cellKey({ ...cell }));
 * assert.notEqual(cellKey(cell), cellKey({ ...cell, presample: null }));
 * ```
 */
export function cellKey(c: StudyCell): string {
  return JSON.stringify([c.dataset, c.batch_size, c.presample, c.sampler, c.schedule]);
}

/**
 * The baseline of a cell: tuned uniform on the same data set, b and schedule (k null).
 *
 * @example
 * ```ts
 * import { baselineOf } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: 5, sampler: "loss", schedule: "step-decay" } as const;
 * assert.deepEqual(baselineOf(cell), { ...cell, presample: null, sampler: "uniform" });
 * ```
 */
export function baselineOf(c: StudyCell): StudyCell {
  return { ...cellOf(c), presample: null, sampler: "uniform" };
}

/**
 * The canonical order of cells: data set, schedule, b, sampler (the registry's order), k (none
 * first). Every output table follows it, whatever the order of the units.
 *
 * @example
 * ```ts
 * import { compareCells } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const c = (batch_size: number, sampler: "uniform" | "loss", presample: number | null) =>
 *   ({ dataset: "mnist" as const, batch_size, presample, sampler, schedule: "constant" as const });
 * const cells = [c(32, "loss", 3), c(8, "loss", 5), c(8, "loss", 2), c(8, "uniform", null)];
 * assert.deepEqual(cells.sort(compareCells).map((x) => [x.batch_size, x.presample]), [[8, null], [8, 2], [8, 5], [32, 3]]);
 * ```
 */
export function compareCells(a: StudyCell, b: StudyCell): number {
  return DATASETS.indexOf(a.dataset) - DATASETS.indexOf(b.dataset) ||
    SCHEDULES.indexOf(a.schedule) - SCHEDULES.indexOf(b.schedule) ||
    a.batch_size - b.batch_size ||
    STUDY_SAMPLERS.indexOf(a.sampler) - STUDY_SAMPLERS.indexOf(b.sampler) ||
    (a.presample ?? 0) - (b.presample ?? 0);
}

/**
 * A cell's regime in words, as the verdict's `regime` column spells it: data set, b, k (when the
 * sampler takes one), schedule, and the target level when given.
 *
 * @example
 * ```ts
 * import { regimeName } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 32, presample: 3, sampler: "loss", schedule: "constant" } as const;
 * assert.equal(regimeName(cell, "late"), "mnist b=32 k=3 constant late");
 * assert.equal(regimeName({ ...cell, presample: null }), "mnist b=32 constant");
 * ```
 */
export function regimeName(c: StudyCell, level?: string): string {
  const k = c.presample === null ? "" : ` k=${c.presample}`;
  return `${c.dataset} b=${c.batch_size}${k} ${c.schedule}${level ? ` ${level}` : ""}`;
}

/**
 * Every evaluation run of the curves, its evaluations joined with their training seconds, in the
 * canonical cell order, then by seed.
 *
 * @throws {RangeError} when a cell's runs carry different η, a run has two budgets or two rows at
 * one step, or an evaluation has no timing row
 * @example
 * ```ts
 * import { studyRuns } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const row = (step: number) => ({ ...cell, eta: 0.1, seed: 1, step, forward_equivalents: 24 * step, budget_forward_equivalents: 240, train_loss: 1 / (step + 1), test_error: 0.1 });
 * const runs = studyRuns([row(10), row(0)], [{ ...cell, seed: 1, step: 0, seconds: 0 }, { ...cell, seed: 1, step: 10, seconds: 0.5 }]);
 * assert.deepEqual(runs[0].points.map((p) => p.seconds), [0, 0.5]);
 * assert.throws(() => studyRuns([row(0)], []), /no timing row/);
 * ```
 */
export function studyRuns(
  curves: readonly StudyCurveRow[],
  timing: readonly StudyCurveTimingRow[],
): StudyRun[] {
  const action = "cannot read the study's evaluation runs";
  const at = (c: StudyCell, seed: number, step: number) => `${cellKey(c)}|${seed}|${step}`;
  const seconds = new Map(timing.map((r) => [at(r, r.seed, r.step), r.seconds]));
  const etas = new Map<string, number>();
  const runs = new Map<string, { run: StudyRun; points: StudyPoint[]; steps: Set<number> }>();
  for (const r of curves) {
    const key = cellKey(r), eta = etas.get(key) ?? r.eta;
    if (eta !== r.eta) {
      throw new RangeError(
        `${action}: cell ${regimeName(r)} ${r.sampler} ran η = ${eta} and η = ${r.eta}; every ` +
          `evaluation seed of a cell runs the one η chosen on the tuning seeds`,
      );
    }
    etas.set(key, eta);
    const runKey = `${key}|${r.seed}`;
    let entry = runs.get(runKey);
    if (entry === undefined) {
      const run = {
        cell: cellOf(r),
        eta,
        seed: r.seed,
        budget: r.budget_forward_equivalents,
        points: [],
      };
      entry = { run, points: [], steps: new Set() };
      runs.set(runKey, entry);
    }
    const where = `${regimeName(r)} ${r.sampler} seed ${r.seed}`;
    if (entry.run.budget !== r.budget_forward_equivalents || entry.steps.has(r.step)) {
      throw new RangeError(
        `${action}: ${where} has two budgets or two rows at step ${r.step}; combine each unit once`,
      );
    }
    const s = seconds.get(at(r, r.seed, r.step));
    if (s === undefined) {
      throw new RangeError(`${action}: ${where} has no timing row at step ${r.step}`);
    }
    entry.steps.add(r.step);
    entry.points.push({
      step: r.step,
      forward_equivalents: r.forward_equivalents,
      train_loss: Number.isNaN(r.train_loss) ? Infinity : r.train_loss, // NaN: diverged
      test_error: r.test_error,
      seconds: s,
    });
  }
  return [...runs.values()]
    .map(({ run, points }) => ({ ...run, points: points.sort((a, b) => a.step - b.step) }))
    .sort((a, b) => compareCells(a.cell, b.cell) || a.seed - b.seed);
}

/**
 * Where a run stood at a budget: its last evaluation whose forward-equivalents (or seconds) are
 * at most the budget; undefined when even its first evaluation is beyond it.
 *
 * @example
 * ```ts
 * import { lastWithin } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const points = [0, 1, 2].map((k) => ({ step: 10 * k, forward_equivalents: 100 * k, train_loss: 1 - k / 4, test_error: null, seconds: k }));
 * assert.equal(lastWithin(points, "forward_equivalents", 150)?.step, 10);
 * assert.equal(lastWithin(points, "seconds", 2)?.step, 20);
 * assert.equal(lastWithin(points, "seconds", -1), undefined);
 * ```
 */
export function lastWithin(
  points: readonly StudyPoint[],
  by: "forward_equivalents" | "seconds",
  budget: number,
): StudyPoint | undefined {
  let last: StudyPoint | undefined;
  for (const p of points) if (p[by] <= budget) last = p;
  return last;
}

/**
 * A run's first evaluation at or below a target training loss; undefined when it never gets
 * there within the run (a NaN target is never reached).
 *
 * @example
 * ```ts
 * import { firstReach } from "@lib/experiments/importance/study/runs.ts";
 * import assert from "node:assert/strict";
 * const points = [0, 1, 2].map((k) => ({ step: 10 * k, forward_equivalents: 100 * k, train_loss: 1 - k / 4, test_error: null, seconds: k }));
 * assert.equal(firstReach(points, 0.75)?.step, 10);
 * assert.equal(firstReach(points, 0.1), undefined);
 * ```
 */
export function firstReach(points: readonly StudyPoint[], target: number): StudyPoint | undefined {
  return points.find((p) => p.train_loss <= target);
}
