/**
 * Typed table rows at the CSV boundary, with their values checked: a {@link Columns} spec names
 * every column of a row interface, in CSV order, each with a check of its values (the type
 * requires a check for every field, so a spec cannot forget a column). {@link encodeRows} turns
 * typed rows into CSV rows (lib/experiments/csv_rows.ts's toCsvRows, the only place they become
 * untyped) and {@link decodeRows} turns stored rows back (its fromCsvRows), after checking every
 * value, so that a corrupt or stale unit output fails loudly instead of computing with a wrong
 * type.
 *
 * @module
 */
import type { CsvRow, CsvValue } from "../../io.ts";
import { fromCsvRows, toCsvRows, type TypedRow } from "../csv_rows.ts";

/** The check of one column's values. */
export interface Column<V> {
  /** What the column holds, for error messages. */
  readonly kind: string;
  /** Whether `value` is a valid cell of the column. */
  accepts(value: CsvValue | undefined): value is V & CsvValue;
}

/** The columns of rows of type T, in CSV order: one check per field. */
export type Columns<T> = { readonly [K in keyof T]-?: Column<T[K]> };

/** A number (NaN and ±Infinity included: the unit store keeps them exactly). */
export const number: Column<number> = {
  kind: "a number",
  accepts: (v): v is number => typeof v === "number",
};

/** A number, or null for none. */
export const numberOrNull: Column<number | null> = {
  kind: "a number or null",
  accepts: (v): v is number | null => v === null || typeof v === "number",
};

/** A string. */
export const text: Column<string> = {
  kind: "a string",
  accepts: (v): v is string => typeof v === "string",
};

/** A boolean. */
export const boolean: Column<boolean> = {
  kind: "a boolean",
  accepts: (v): v is boolean => typeof v === "boolean",
};

/** A boolean, or null for none. */
export const booleanOrNull: Column<boolean | null> = {
  kind: "a boolean or null",
  accepts: (v): v is boolean | null => v === null || typeof v === "boolean",
};

/**
 * One of the given strings.
 *
 * @example
 * ```ts
 * import { oneOf } from "@lib/experiments/importance/columns.ts";
 * import assert from "node:assert/strict";
 * const c = oneOf(["a", "b"] as const);
 * assert.ok(c.accepts("a") && !c.accepts("c") && !c.accepts(null));
 * ```
 */
export function oneOf<const S extends string>(values: readonly S[]): Column<S> {
  return {
    kind: `one of ${values.join(", ")}`,
    accepts: (v): v is S => typeof v === "string" && (values as readonly string[]).includes(v),
  };
}

function keysOf<T>(columns: Columns<T>): (keyof T & string)[] {
  return Object.keys(columns) as (keyof T & string)[];
}

/**
 * CSV rows of typed rows: the columns of `columns`, in its order.
 *
 * @example
 * ```ts
 * import { encodeRows, number, text } from "@lib/experiments/importance/columns.ts";
 * import assert from "node:assert/strict";
 * const rows = encodeRows([{ y: 2, name: "a" }], { name: text, y: number }, "t");
 * assert.deepEqual(Object.keys(rows[0]), ["name", "y"]);
 * ```
 */
export function encodeRows<T extends TypedRow<T>>(
  rows: readonly T[],
  columns: Columns<T>,
  table: string,
): CsvRow[] {
  return toCsvRows(rows, keysOf(columns), table);
}

/**
 * Typed rows of CSV rows, every value checked against its column.
 *
 * @throws {TypeError} naming the table, the row and the column of the first bad value
 * @example
 * ```ts
 * import { decodeRows, number, text } from "@lib/experiments/importance/columns.ts";
 * import assert from "node:assert/strict";
 * const columns = { name: text, y: number };
 * assert.deepEqual(decodeRows([{ name: "a", y: 2, extra: 1 }], columns, "t"), [{ name: "a", y: 2 }]);
 * assert.throws(() => decodeRows([{ name: "a" }], columns, "t"), /table t, row 0: y must be a number, got undefined/);
 * ```
 */
export function decodeRows<T extends TypedRow<T>>(
  rows: readonly CsvRow[],
  columns: Columns<T>,
  table: string,
): T[] {
  const keys = keysOf(columns);
  rows.forEach((row, i) => {
    for (const key of keys) {
      const value = row[key], column: Column<T[typeof key]> = columns[key];
      if (!column.accepts(value)) {
        throw new TypeError(
          `cannot read the importance reproduction's table ${table}, row ${i}: ${key} must be ${column.kind}, got ${
            value === undefined ? "undefined" : JSON.stringify(value)
          }`,
        );
      }
    }
  });
  return fromCsvRows<T>(rows, keys, table);
}

/**
 * The rows of table `name` in several stored unit outputs, concatenated in order and checked
 * against its columns (an output without the table adds nothing).
 *
 * @throws {TypeError} naming the table, row and column of a value of the wrong type
 * @example
 * ```ts
 * import { decodeUnitTable, number } from "@lib/experiments/importance/columns.ts";
 * import assert from "node:assert/strict";
 * const outputs: { tables: Record<string, { x: number }[]> }[] = [{ tables: { t: [{ x: 1 }] } }, { tables: {} }, { tables: { t: [{ x: 2 }] } }];
 * assert.deepEqual(decodeUnitTable(outputs, "t", { x: number }), [{ x: 1 }, { x: 2 }]);
 * ```
 */
export function decodeUnitTable<T extends TypedRow<T>>(
  outputs: readonly { readonly tables: Readonly<Record<string, readonly CsvRow[]>> }[],
  name: string,
  columns: Columns<T>,
): T[] {
  return decodeRows(outputs.flatMap((o) => o.tables[name] ?? []), columns, name);
}
