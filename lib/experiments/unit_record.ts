/**
 * A unit's file: the record of one unit's output, encoded once as JSON with exact numbers
 * (non-finite values and −0 survive) by whoever computed it (a worker thread or the main one),
 * written atomically, and decoded once when the reproduction is combined.
 *
 * @module
 */
import { writeFileAtomic } from "../io.ts";
import type { ReproductionOutput, ReproductionUnit, UnitOutput } from "./reproduction.ts";

/** What a unit file holds. */
export interface UnitRecord {
  /** The cache key. */
  key: string;
  /** Reproduction name. */
  reproduction: string;
  /** Unit id. */
  unit: string;
  /** Unit parameters. */
  params: ReproductionUnit["params"];
  /** Seed. */
  seed: number;
  /** Profile. */
  profile: string;
  /** Fingerprint of the code that made it (see `codeFingerprint` in `unit_key.ts`). */
  code?: string;
  /** Seconds the unit took when it ran. */
  seconds: number;
  /** The unit's tables (and, for a reproduction without units, its charts and notes). */
  output: UnitOutput & Partial<ReproductionOutput>;
}

/**
 * JSON with exact numbers: NaN, ±Infinity and −0, which plain JSON turns into null and 0, are
 * written as `{"$number": "NaN"}` and the like; {@link decodeExact} reads them back.
 *
 * @example
 * ```ts
 * import { encodeExact } from "@lib/experiments/unit_record.ts";
 * import assert from "node:assert/strict";
 * assert.equal(encodeExact([1.5, -0, NaN]), '[1.5,{"$number":"-0"},{"$number":"NaN"}]');
 * ```
 */
export function encodeExact(value: unknown): string {
  return JSON.stringify(
    value,
    (_k, v) =>
      typeof v === "number" && (!Number.isFinite(v) || Object.is(v, -0))
        ? { $number: Object.is(v, -0) ? "-0" : String(v) }
        : v,
  );
}

/**
 * Parses what {@link encodeExact} wrote, restoring its exact numbers.
 *
 * @throws {SyntaxError} for text that is not complete JSON
 * @example
 * ```ts
 * import { decodeExact, encodeExact } from "@lib/experiments/unit_record.ts";
 * import assert from "node:assert/strict";
 * const values = [0.1 + 0.2, -0, Infinity, -Infinity, NaN, 5e-324];
 * const back = decodeExact(encodeExact(values)) as number[];
 * values.forEach((v, i) => assert.ok(Object.is(back[i], v), String(v)));
 * ```
 */
export function decodeExact(text: string): unknown {
  return JSON.parse(
    text,
    (_k, v) =>
      v !== null && typeof v === "object" && Object.keys(v).length === 1 && "$number" in v
        ? Number(v.$number)
        : v,
  );
}

/**
 * Writes a unit record to `file` atomically (a temporary file renamed into place), encoded once.
 *
 * @example
 * ```ts
 * import { readUnitRecord, writeUnitRecord } from "@lib/experiments/unit_record.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir(), file = `${dir}/u.json`;
 * const output = { tables: { t: [{ x: -0, y: NaN }] } };
 * await writeUnitRecord(file, {
 *   key: "k", reproduction: "r", unit: "u", params: {}, seed: 1, profile: "quick", seconds: 0,
 *   output,
 * });
 * assert.deepEqual((await readUnitRecord(file, "k"))?.output, output);
 * assert.equal(await readUnitRecord(file, "another key"), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function writeUnitRecord(file: string, record: UnitRecord): Promise<void> {
  await writeFileAtomic(file, encodeExact(record) + "\n");
}

/**
 * The unit record at `file` if it is complete and has this `key`; null when it is missing,
 * unreadable or made with other parameters (then the unit runs again).
 *
 * @example
 * ```ts
 * import { readUnitRecord } from "@lib/experiments/unit_record.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await Deno.writeTextFile(`${dir}/cut.json`, '{"key":"k","output":{"tab');
 * assert.equal(await readUnitRecord(`${dir}/cut.json`, "k"), null);
 * assert.equal(await readUnitRecord(`${dir}/missing.json`, "k"), null);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function readUnitRecord(file: string, key: string): Promise<UnitRecord | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(file);
  } catch {
    return null;
  }
  try {
    const record = decodeExact(text) as UnitRecord;
    return record.key === key && record.output && typeof record.output.tables === "object"
      ? record
      : null;
  } catch {
    return null;
  }
}
