/**
 * Data sets as matrices whose columns are samples.
 *
 * @module
 */
import type { Matrix } from "./matrix.ts";

/** A supervised data set: inputs x (d×N) and targets y (k×N), columns are samples. */
export interface Dataset {
  /** A short name ("mnist train", "linear regression", …). */
  name: string;
  /** Inputs, d×N. */
  x: Matrix;
  /** Targets, k×N: one-hot columns for classification, values for regression. */
  y: Matrix;
  /** Integer class labels (length N) for classification, null for regression. */
  labels: Int32Array | null;
}
