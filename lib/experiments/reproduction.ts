/**
 * The shape every reproduction shares. A reproduction computes tables and charts and writes
 * nothing; the `repro` pipeline writes them under `results/<name>/`. A heavy reproduction splits
 * its work into independent units (one seed × sampler × data set, say) that the pipeline can run
 * on worker threads or machine shards, skip when already done, and combine afterwards.
 *
 * @module
 */
import type { CsvRow } from "../io.ts";
import type { VegaLiteSpec } from "../plot.ts";

/** Options every reproduction takes. */
export interface ReproductionOptions {
  /** The seed of every random draw. */
  seed: number;
  /** "quick" for the default run, "full" for the paper-scale one. */
  profile: "quick" | "full";
}

/**
 * What a reproduction produces: named tables (written as CSV) and charts (SVG and PNG). Tables
 * whose name ends in `_timing` hold wall-clock measurements; all others must be identical, byte
 * for byte, for the same seed and profile.
 */
export interface ReproductionOutput {
  /** Table name → rows. */
  tables: Record<string, CsvRow[]>;
  /** Chart name → Vega-Lite spec. */
  charts: Record<string, VegaLiteSpec>;
  /** One paragraph per table or chart saying how to read it. */
  notes: Record<string, string>;
}

/** One independent unit of work; `params` identify it (they key the resume cache). */
export interface ReproductionUnit {
  /** A file-safe name, unique within the reproduction. */
  id: string;
  /** JSON-serialisable parameters of the unit. */
  params: Record<string, string | number | boolean | null>;
}

/** What one unit produces: tables only (charts and notes are made when units are combined). */
export interface UnitOutput {
  /** Table name → rows (a `_timing` suffix marks wall-clock tables). */
  tables: Record<string, CsvRow[]>;
}

/** A registered reproduction. */
export interface Reproduction {
  /** Folder name under results/. */
  name: string;
  /** One line saying what it reproduces. */
  description: string;
  /** Computes everything in this process. */
  run(options: ReproductionOptions): Promise<ReproductionOutput>;
  /** The independent units, in the order their outputs are combined (absent: one unit). */
  units?(options: ReproductionOptions): ReproductionUnit[];
  /** Computes one unit. */
  runUnit?(unit: ReproductionUnit, options: ReproductionOptions): Promise<UnitOutput>;
  /** Builds the outputs from every unit's output, given in `units()` order. */
  combine?(outputs: UnitOutput[], options: ReproductionOptions): Promise<ReproductionOutput>;
  /**
   * The URL of the module whose code the units run (say `new URL("./run.ts", import.meta.url)
   * .href`): it and what it imports within `lib/` make the code fingerprint in every unit's key,
   * so that editing charts or notes it does not import recomputes nothing. Absent: the module
   * that defines the reproduction, `lib/experiments/<name>/mod.ts` or `lib/experiments/<name>.ts`.
   */
  runModule?: string;
  /**
   * The URL of the module a given unit runs, when a reproduction's units run different code (the
   * importance reproduction's K&F runs and its fair study): that module and what it imports make
   * the unit's fingerprint instead of `runModule`'s. Absent, or undefined for a unit: `runModule`.
   */
  unitRunModule?(unit: ReproductionUnit): string | undefined;
  /** Two or three headline numbers of a combined output, one short line each, for the console. */
  headline?(output: ReproductionOutput): string[];
}

/**
 * A reproduction made of units, with `run` doing every unit in order and combining them.
 *
 * @example
 * ```ts
 * import { unitReproduction } from "@lib/experiments/reproduction.ts";
 * import assert from "node:assert/strict";
 * const squares = unitReproduction({
 *   name: "squares",
 *   description: "k² for k = 1..3",
 *   units: () => [1, 2, 3].map((k) => ({ id: `k${k}`, params: { k } })),
 *   runUnit: (u) => Promise.resolve({ tables: { squares: [{ k: u.params.k, k2: Number(u.params.k) ** 2 }] } }),
 *   combine: (outs) => Promise.resolve({ tables: { squares: outs.flatMap((o) => o.tables.squares) }, charts: {}, notes: {} }),
 * });
 * const out = await squares.run({ seed: 0, profile: "quick" });
 * assert.deepEqual(out.tables.squares.map((r) => r.k2), [1, 4, 9]);
 * ```
 */
export function unitReproduction(
  spec: Omit<Reproduction, "run" | "units" | "runUnit" | "combine"> & {
    units(options: ReproductionOptions): ReproductionUnit[];
    runUnit(unit: ReproductionUnit, options: ReproductionOptions): Promise<UnitOutput>;
    combine(outputs: UnitOutput[], options: ReproductionOptions): Promise<ReproductionOutput>;
  },
): Reproduction {
  return {
    ...spec,
    async run(options) {
      const outputs = [];
      for (const unit of spec.units(options)) outputs.push(await spec.runUnit(unit, options));
      return spec.combine(outputs, options);
    },
  };
}

/**
 * Concatenates the same-named tables of several unit outputs, in order.
 *
 * @example
 * ```ts
 * import { concatTables } from "@lib/experiments/reproduction.ts";
 * import assert from "node:assert/strict";
 * const t = concatTables([{ tables: { a: [{ x: 1 }] } }, { tables: { a: [{ x: 2 }], b: [] } }]);
 * assert.deepEqual(t, { a: [{ x: 1 }, { x: 2 }], b: [] });
 * ```
 */
export function concatTables(outputs: UnitOutput[]): Record<string, CsvRow[]> {
  const tables: Record<string, CsvRow[]> = {};
  for (const o of outputs) {
    for (const [name, rows] of Object.entries(o.tables)) (tables[name] ??= []).push(...rows);
  }
  return tables;
}
