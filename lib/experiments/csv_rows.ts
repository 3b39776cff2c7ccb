/**
 * Typed table rows across the unit boundary. A reproduction computes rows of its own interfaces
 * (`SpeedRow`, say); a unit's output is stored as {@link CsvRow}s, and the CSV files are written
 * from them. {@link toCsvRows} turns typed rows into CSV rows with the columns in a given order
 * (the order of the CSV header), once, where a unit hands its tables over; {@link fromCsvRows}
 * reads them back, checking that every column is there, where the units are combined.
 *
 * @module
 */
import type { CsvRow, CsvValue } from "../io.ts";

/** A row whose every field is a CSV value (optional fields allowed). */
export type TypedRow<T> = { [K in keyof T]: CsvValue | undefined };

/**
 * The rows as CSV rows holding exactly `columns`, in that order.
 *
 * @throws {RangeError} naming the table, row and column, when a row lacks a column
 * @example
 * ```ts
 * import { toCsvRows } from "@lib/experiments/csv_rows.ts";
 * import assert from "node:assert/strict";
 * interface Point { y: number; x: number; note?: string }
 * const rows: Point[] = [{ y: 2, x: 1 }];
 * const csv = toCsvRows(rows, ["x", "y"], "points");
 * assert.deepEqual(Object.keys(csv[0]), ["x", "y"]);
 * assert.throws(() => toCsvRows(rows, ["note"], "points"), /cannot write table points: row 1 has no column 'note'/);
 * ```
 */
export function toCsvRows<T extends TypedRow<T>>(
  rows: readonly T[],
  columns: readonly (keyof T & string)[],
  table: string,
): CsvRow[] {
  return rows.map((row, i) => {
    const out: CsvRow = {};
    for (const column of columns) {
      const value = row[column];
      if (value === undefined) {
        throw new RangeError(`cannot write table ${table}: row ${i + 1} has no column '${column}'`);
      }
      out[column] = value;
    }
    return out;
  });
}

/**
 * CSV rows read back as rows of type `T`, after checking that each has every one of `columns`
 * (the values are taken as they are: a unit's own output, stored exactly).
 *
 * @throws {RangeError} naming the table, row and column, when a row lacks a column
 * @example
 * ```ts
 * import { fromCsvRows } from "@lib/experiments/csv_rows.ts";
 * import assert from "node:assert/strict";
 * interface Point { x: number; y: number }
 * const points = fromCsvRows<Point>([{ x: 1, y: 2 }], ["x", "y"], "points");
 * assert.equal(points[0].x + points[0].y, 3);
 * assert.throws(() => fromCsvRows<Point>([{ x: 1 }], ["x", "y"], "points"), /cannot read table points: row 1 has no column 'y'/);
 * ```
 */
export function fromCsvRows<T extends TypedRow<T>>(
  rows: readonly CsvRow[],
  columns: readonly (keyof T & string)[],
  table: string,
): T[] {
  return rows.map((row, i) => {
    const out: Partial<Record<keyof T, CsvValue>> = {};
    for (const column of columns) {
      if (!Object.hasOwn(row, column)) {
        throw new RangeError(`cannot read table ${table}: row ${i + 1} has no column '${column}'`);
      }
      out[column] = row[column];
    }
    return out as T;
  });
}
