/**
 * The fair study's η table: every η tried per cell on the tuning seeds with its mean, the choice
 * recomputed from the tuning table alone (lib/experiments/importance/eta_selection.ts), and the
 * check that the evaluation runs carry that η.
 *
 * @module
 */
import { selectEta } from "../eta_selection.ts";
import type { EtaTrialRow } from "./rows.ts";
import { cellKey, cellOf, compareCells, regimeName, type StudyRun } from "./runs.ts";
import type { EtaGridRow } from "./tables.ts";

/**
 * `eta_grid`: per cell (canonical order) and η ascending, the mean final training loss and test
 * error over the tuning seeds, the η chosen by `selectEta` and its edge flag; after checking
 * that every cell's evaluation runs carry the chosen η.
 *
 * A tuning run flagged diverged counts as +∞ whatever its loss column says.
 *
 * @throws {RangeError} when a cell was evaluated without tuning runs, or at an η other than the
 * one its tuning table chooses (and as `selectEta`)
 * @example
 * ```ts
 * import { etaGridRows } from "@lib/experiments/importance/study/eta_grid.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 8, presample: null, sampler: "uniform", schedule: "constant" } as const;
 * const trial = (eta: number, seed: number, train_loss: number) =>
 *   ({ ...cell, eta, seed, train_loss, test_error: 0.1, diverged: false, round: 0 });
 * const trials = [trial(0.1, 7, 0.3), trial(0.2, 7, 0.2), trial(0.4, 7, 0.25)];
 * const rows = etaGridRows(trials, [{ cell, eta: 0.2, seed: 1, budget: 1, points: [] }]);
 * assert.deepEqual(rows.map((r) => r.chosen), [false, true, false]);
 * assert.throws(() => etaGridRows(trials, [{ cell, eta: 0.4, seed: 1, budget: 1, points: [] }]), /ran η = 0.4 but its tuning table chooses η = 0.2/);
 * ```
 */
export function etaGridRows(
  trials: readonly EtaTrialRow[],
  runs: readonly StudyRun[],
): EtaGridRow[] {
  const cells = new Map(trials.map((t) => [cellKey(t), cellOf(t)]));
  const choices = new Map(
    selectEta(trials.map((t) => ({
      sampler: cellKey(t),
      schedule: t.schedule,
      eta: t.eta,
      seed: t.seed,
      train_loss: t.diverged ? Infinity : t.train_loss,
    }))).map((c) => [c.sampler, c]),
  );
  for (const run of runs) {
    const choice = choices.get(cellKey(run.cell));
    const where = `${regimeName(run.cell)} ${run.cell.sampler}`;
    if (choice === undefined) {
      throw new RangeError(
        `cannot check the η of ${where}: it has evaluation runs but no tuning runs`,
      );
    }
    if (choice.eta !== run.eta) {
      throw new RangeError(
        `cannot combine the study: ${where} ran η = ${run.eta} but its tuning table chooses ` +
          `η = ${choice.eta} (lowest mean final loss over tuning seeds ${
            choice.seeds.join(", ")
          }); ` +
          `rerun its evaluation at the chosen η`,
      );
    }
  }
  const sorted = [...cells.entries()].sort(([, a], [, b]) => compareCells(a, b));
  return sorted.flatMap(([key, cell]) => {
    const choice = choices.get(key)!;
    const mine = trials.filter((t) => cellKey(t) === key);
    return choice.means.map((m) => {
      const at = mine.filter((t) => t.eta === m.eta).sort((a, b) => a.seed - b.seed);
      const errors = at.map((t) => t.diverged ? null : t.test_error);
      const finite = errors.every((e) => e !== null);
      return {
        ...cell,
        eta: m.eta,
        round: Math.min(...at.map((t) => t.round)),
        tuning_seeds: choice.seeds.join(" "),
        mean_train_loss: m.meanLoss,
        mean_test_error: finite
          ? (errors as number[]).reduce((s, e) => s + e, 0) / errors.length
          : null,
        diverged: at.filter((t) => t.diverged || !Number.isFinite(t.train_loss)).length,
        chosen: m.eta === choice.eta,
        edge: choice.edge,
      };
    });
  });
}
