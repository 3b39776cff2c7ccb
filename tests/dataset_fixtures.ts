/**
 * Bit-level comparisons of data sets, for the data-set tests.
 *
 * @module
 */
import type { Dataset } from "@lib/datasets.ts";

/** 0, 1, …, n − 1. */
export function identity(n: number): Int32Array {
  return Int32Array.from({ length: n }, (_, i) => i);
}

/** True when the two arrays hold the same bits. */
export function sameBits(a: Float64Array, b: Float64Array): boolean {
  if (a.length !== b.length) return false;
  const x = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
  const y = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/** True when x, y and the labels of the two data sets are the same, bit for bit. */
export function sameDataset(a: Dataset, b: Dataset): boolean {
  return a.x.shape === b.x.shape && a.y.shape === b.y.shape && sameBits(a.x.data, b.x.data) &&
    sameBits(a.y.data, b.y.data) && String(a.labels) === String(b.labels);
}
