/**
 * The shape every reproduction shares: `run(options)` computes tables and charts and writes
 * nothing; the `repro` command writes them under `results/<name>/`.
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

/** What a reproduction produces: named tables (written as CSV) and charts (SVG and PNG). */
export interface ReproductionOutput {
  /** Table name → rows. */
  tables: Record<string, CsvRow[]>;
  /** Chart name → Vega-Lite spec. */
  charts: Record<string, VegaLiteSpec>;
  /** One paragraph per table or chart saying how to read it. */
  notes: Record<string, string>;
}

/** A registered reproduction. */
export interface Reproduction {
  /** Folder name under results/. */
  name: string;
  /** One line saying what it reproduces. */
  description: string;
  /** Computes the outputs. */
  run(options: ReproductionOptions): Promise<ReproductionOutput>;
}
