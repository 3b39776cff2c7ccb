/**
 * The units of the fair study: one per cell (data set, b, k, sampler, schedule), and the strict
 * decoding of a unit's parameters back into its cell.
 *
 * @module
 */
import {
  FASHION_MNIST_SOURCES,
  type FashionMnistSource,
  fashionMnistSource,
} from "../../../fashion_mnist.ts";
import type { ReproductionUnit } from "../../reproduction.ts";
import { checkStudyProfile, type StudyProfile } from "./profile.ts";
import { SCHEDULES, STUDY_SAMPLER_SPECS, STUDY_SAMPLERS } from "./registry.ts";
import type { StudyCell } from "./rows.ts";

/**
 * The file-safe id of a cell's unit, e.g. `study-mnist-b32-k3-upper-bound-constant` (no `-k…`
 * for the samplers that take no k).
 *
 * @example
 * ```ts
 * import { studyUnitId } from "@lib/experiments/importance/study/units.ts";
 * import assert from "node:assert/strict";
 * const cell = { dataset: "mnist", batch_size: 32, presample: 3, sampler: "upper-bound", schedule: "constant" } as const;
 * assert.equal(studyUnitId(cell), "study-mnist-b32-k3-upper-bound-constant");
 * assert.equal(studyUnitId({ ...cell, presample: null, sampler: "uniform" }), "study-mnist-b32-uniform-constant");
 * ```
 */
export function studyUnitId(cell: StudyCell): string {
  const k = cell.presample === null ? "" : `-k${cell.presample}`;
  return `study-${cell.dataset}-b${cell.batch_size}${k}-${cell.sampler}-${cell.schedule}`;
}

/**
 * The cells of a profile, in the order: data set, b, schedule, then the profile's cells in order
 * (uniform first), each k ascending as listed.
 *
 * @example
 * ```ts
 * import { studyCells } from "@lib/experiments/importance/study/units.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * assert.equal(studyCells(studyProfiles.quick).length, 4);
 * assert.equal(studyCells(studyProfiles.full).length, 98);
 * ```
 */
export function studyCells(profile: StudyProfile): StudyCell[] {
  checkStudyProfile(profile);
  const cells: StudyCell[] = [];
  for (const dataset of profile.datasets) {
    for (const b of profile.batchSizes) {
      for (const schedule of SCHEDULES) {
        for (const rule of profile.cells) {
          if (!rule.batchSizes.includes(b) || !rule.schedules.includes(schedule)) continue;
          for (const presample of rule.presample ?? [null]) {
            cells.push({ dataset, batch_size: b, presample, sampler: rule.sampler, schedule });
          }
        }
      }
    }
  }
  return cells;
}

/**
 * The study's units for a profile: one per cell (see {@link studyCells}); params hold
 * `study: true`, the cell and, for Fashion-MNIST, its source (part of the unit's key, so that a
 * unit of one source is never reused for the other). The seed is the reproduction's: every unit
 * tunes on the profile's tuning seeds and evaluates on seed, seed + 1, …
 *
 * @example
 * ```ts
 * import { studyUnits } from "@lib/experiments/importance/study/units.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const units = studyUnits({ seed: 1, profile: studyProfiles.quick });
 * assert.deepEqual(units[0], {
 *   id: "study-mnist-b32-uniform-constant",
 *   params: { study: true, dataset: "mnist", batch_size: 32, presample: null, sampler: "uniform", schedule: "constant" },
 * });
 * const full = studyUnits({ seed: 1, profile: studyProfiles.full });
 * assert.equal(new Set(full.map((u) => u.id)).size, full.length);
 * ```
 */
export function studyUnits(options: { seed: number; profile: StudyProfile }): ReproductionUnit[] {
  return studyCells(options.profile).map((cell) => {
    const params: ReproductionUnit["params"] = { study: true, ...cell };
    if (cell.dataset === "fashion-mnist") params.source = fashionMnistSource();
    return { id: studyUnitId(cell), params };
  });
}

/** A study unit's decoded parameters. */
export interface StudyUnitParams {
  /** The cell. */
  cell: StudyCell;
  /** Fashion-MNIST's source (absent for MNIST). */
  source?: FashionMnistSource;
}

/**
 * The cell (and source) of a unit made by {@link studyUnits}, checked strictly.
 *
 * @throws {RangeError} naming the unit and what was expected
 * @example
 * ```ts
 * import { decodeStudyUnit, studyUnits } from "@lib/experiments/importance/study/units.ts";
 * import { studyProfiles } from "@lib/experiments/importance/study/profile.ts";
 * import assert from "node:assert/strict";
 * const [unit] = studyUnits({ seed: 1, profile: studyProfiles.quick });
 * assert.equal(decodeStudyUnit(unit).cell.sampler, "uniform");
 * assert.throws(() => decodeStudyUnit({ ...unit, params: { ...unit.params, batch_size: "32" } }), /study-mnist-b32-uniform-constant.*batch_size/);
 * ```
 */
export function decodeStudyUnit(unit: ReproductionUnit): StudyUnitParams {
  const p = unit.params;
  const fail = (what: string) =>
    new RangeError(
      `cannot run the study unit ${unit.id}: expected ${what}, got ${JSON.stringify(p)}`,
    );
  if (p.study !== true) throw fail("study: true");
  const dataset = p.dataset === "mnist" || p.dataset === "fashion-mnist" ? p.dataset : null;
  if (dataset === null) throw fail("dataset mnist or fashion-mnist");
  const b = p.batch_size;
  if (typeof b !== "number" || !Number.isInteger(b) || b < 1) {
    throw fail("batch_size an integer >= 1");
  }
  const k = p.presample;
  if (k !== null && (typeof k !== "number" || !(k >= 1) || k === Infinity)) {
    throw fail("presample a number >= 1 or null");
  }
  const sampler = STUDY_SAMPLERS.find((s) => s === p.sampler);
  if (sampler === undefined) throw fail(`sampler among ${STUDY_SAMPLERS.join(", ")}`);
  if (STUDY_SAMPLER_SPECS[sampler].usesPresample !== (k !== null)) {
    throw fail(
      `presample ${
        STUDY_SAMPLER_SPECS[sampler].usesPresample ? "a number" : "null"
      } for ${sampler}`,
    );
  }
  const schedule = SCHEDULES.find((s) => s === p.schedule);
  if (schedule === undefined) throw fail(`schedule among ${SCHEDULES.join(", ")}`);
  const sources: readonly unknown[] = Object.values(FASHION_MNIST_SOURCES);
  const source = Object.values(FASHION_MNIST_SOURCES).find((s) => s === p.source);
  if (dataset === "fashion-mnist" ? source === undefined : p.source !== undefined) {
    throw fail(
      `a source among ${sources.join(", ")} for fashion-mnist and none for mnist`,
    );
  }
  const known = new Set(["study", "dataset", "batch_size", "presample", "sampler", "schedule"]);
  if (dataset === "fashion-mnist") known.add("source");
  const extra = Object.keys(p).filter((key) => !known.has(key));
  if (extra.length > 0) throw fail(`no other parameter than ${[...known].join(", ")}`);
  const cell: StudyCell = { dataset, batch_size: b, presample: k, sampler, schedule };
  return source === undefined ? { cell } : { cell, source };
}
