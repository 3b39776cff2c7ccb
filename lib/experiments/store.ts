/**
 * The results store of `repro` on disk: where unit files live, how a reproduction's combined set
 * of files replaces the previous one as a whole, how an interrupted replacement is repaired, and
 * how `repro:merge` takes units from other folders. The layout is described in the module doc of
 * `pipeline.ts`; this file implements it.
 *
 * @module
 */
import { dirname, join, relative } from "node:path";
import { writeFileAtomic } from "../io.ts";

/** Folder of `<out>` holding the unit files: `<out>/units/<name>/<profile>-seed<seed>/`. */
export const UNITS_DIR = "units";
/** Hidden folder of `<out>` holding staging sets and report sections. */
export const STATE_DIR = ".repro";

/**
 * The file of one unit: `<out>/units/<name>/<profile>-seed<seed>/<id>.<first 12 hex of key>.json`.
 * The key hashes the reproduction, unit, parameters, seed, profile and code fingerprint, so units
 * that differ in any of them never share a file.
 *
 * @example
 * ```ts
 * import { unitFile } from "@lib/experiments/store.ts";
 * import assert from "node:assert/strict";
 * const key = "0123456789abcdef".repeat(4);
 * assert.equal(
 *   unitFile("/r", "cost", "u1", { seed: 2, profile: "full", key }),
 *   "/r/units/cost/full-seed2/u1.0123456789ab.json",
 * );
 * ```
 */
export function unitFile(
  out: string,
  name: string,
  id: string,
  options: { seed: number; profile: string; key: string },
): string {
  const folder = `${options.profile}-seed${options.seed}`;
  return join(out, UNITS_DIR, name, folder, `${id}.${options.key.slice(0, 12)}.json`);
}

/** What a unit file is expected to be: its key, and the seed and profile it was planned for. */
export interface UnitExpectation {
  /** The full key. */
  key: string;
  /** Seed of the plan. */
  seed: number;
  /** Profile of the plan. */
  profile: string;
}

/**
 * Why the text of a unit file cannot be used for `expected`, or undefined when it can. `decode`
 * parses the file's JSON (with its exact-number encoding).
 *
 * @example
 * ```ts
 * import { unitFileProblem } from "@lib/experiments/store.ts";
 * import assert from "node:assert/strict";
 * const want = { key: "k1", seed: 1, profile: "quick" };
 * const rec = (o: object) => JSON.stringify({ key: "k1", seed: 1, profile: "quick", output: { tables: {} }, ...o });
 * assert.equal(unitFileProblem(rec({}), want, JSON.parse), undefined);
 * assert.match(unitFileProblem(rec({}).slice(0, 20), want, JSON.parse)!, /truncated or corrupt/);
 * assert.match(unitFileProblem(rec({ key: "k2", seed: 2 }), want, JSON.parse)!, /seed 2, profile quick/);
 * assert.match(unitFileProblem(rec({ key: "k2" }), want, JSON.parse)!, /other code or parameters/);
 * ```
 */
export function unitFileProblem(
  text: string,
  expected: UnitExpectation,
  decode: (text: string) => unknown,
): string | undefined {
  let record: { key?: unknown; seed?: unknown; profile?: unknown; output?: { tables?: unknown } };
  try {
    record = decode(text) as typeof record;
  } catch {
    return "not a complete unit record (truncated or corrupt JSON)";
  }
  if (
    record === null || typeof record !== "object" || typeof record.output !== "object" ||
    record.output === null || typeof record.output.tables !== "object"
  ) {
    return "not a unit record (no output tables)";
  }
  if (record.key === expected.key) return undefined;
  if (record.seed !== expected.seed || record.profile !== expected.profile) {
    return `made for seed ${record.seed}, profile ${record.profile}, not seed ${expected.seed}, ` +
      `profile ${expected.profile}`;
  }
  return "made by other code or parameters (its key differs)";
}

/** A step of {@link replaceSet}, reported to its `onStep` hook (tests kill the process there). */
export type SetStep = "file-written" | "staged" | "old-moved" | "new-placed";

/**
 * Replaces the folder `<out>/<name>` by a new set of files as a whole: `write` fills a fresh
 * staging folder under `<out>/.repro/staging/`, then the old folder is moved aside, the staged
 * one renamed into place, and the old one removed. A kill before the first rename leaves the old
 * set; between the renames, the old set waits in staging and {@link repairSets} puts it back;
 * after the second, the new set is in place. `write` returns the names of the files it wrote
 * into the folder it is given.
 *
 * @example
 * ```ts
 * import { replaceSet } from "@lib/experiments/store.ts";
 * import assert from "node:assert/strict";
 * const out = await Deno.makeTempDir();
 * const put = (text: string) => async (dir: string) => {
 *   await Deno.writeTextFile(`${dir}/a.txt`, text);
 *   return ["a.txt"];
 * };
 * await replaceSet(out, "demo", put("one"));
 * assert.deepEqual(await replaceSet(out, "demo", put("two")), [`${out}/demo/a.txt`]);
 * assert.equal(await Deno.readTextFile(`${out}/demo/a.txt`), "two");
 * assert.deepEqual([...Deno.readDirSync(`${out}/.repro/staging`)], []);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function replaceSet(
  out: string,
  name: string,
  write: (dir: string) => Promise<string[]>,
  options: { onStep?: (step: SetStep, name: string) => void | Promise<void> } = {},
): Promise<string[]> {
  const staging = join(out, STATE_DIR, "staging");
  await Deno.mkdir(staging, { recursive: true });
  const id = crypto.randomUUID();
  const fresh = join(staging, `${name}.${id}.new`), old = join(staging, `${name}.${id}.old`);
  const target = join(out, name);
  await Deno.mkdir(fresh);
  let names: string[];
  try {
    names = await write(fresh);
  } catch (error) {
    await Deno.remove(fresh, { recursive: true }).catch(() => {});
    throw error;
  }
  await options.onStep?.("staged", name);
  let hadOld = true;
  try {
    await Deno.rename(target, old);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(`cannot replace ${target}: ${(error as Error).message}`, { cause: error });
    }
    hadOld = false;
  }
  await options.onStep?.("old-moved", name);
  await Deno.rename(fresh, target);
  await options.onStep?.("new-placed", name);
  if (hadOld) await Deno.remove(old, { recursive: true });
  return names.map((n) => join(target, n));
}

/**
 * Repairs what an interrupted {@link replaceSet} left in `<out>/.repro/staging/`: an unfinished
 * new set is removed; an old set moved aside goes back to `<out>/<name>` when nothing is there,
 * and is removed otherwise. Returns one sentence per repair.
 *
 * @example
 * ```ts
 * import { repairSets } from "@lib/experiments/store.ts";
 * import assert from "node:assert/strict";
 * const out = await Deno.makeTempDir(), id = crypto.randomUUID();
 * await Deno.mkdir(`${out}/.repro/staging/demo.${id}.old`, { recursive: true });
 * await Deno.mkdir(`${out}/.repro/staging/demo.${id}.new`);
 * assert.equal((await repairSets(out)).length, 2);
 * assert.ok(Deno.statSync(`${out}/demo`).isDirectory);
 * assert.deepEqual([...Deno.readDirSync(`${out}/.repro/staging`)], []);
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function repairSets(out: string): Promise<string[]> {
  const staging = join(out, STATE_DIR, "staging");
  let entries: string[];
  try {
    entries = [...Deno.readDirSync(staging)].map((e) => e.name).sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
  const repairs: string[] = [];
  const parse = (entry: string) => entry.match(/^(.+)\.[0-9a-f-]{36}\.(new|old)$/);
  for (const entry of entries.filter((e) => parse(e)?.[2] === "new")) {
    await Deno.remove(join(staging, entry), { recursive: true });
    repairs.push(`removed an unfinished set of ${parse(entry)![1]} (${entry})`);
  }
  for (const entry of entries.filter((e) => parse(e)?.[2] === "old")) {
    const name = parse(entry)![1], target = join(out, name);
    if (await exists(target)) {
      await Deno.remove(join(staging, entry), { recursive: true });
      repairs.push(`removed the replaced set of ${name} (${entry})`);
    } else {
      await Deno.rename(join(staging, entry), target);
      repairs.push(`put back the set of ${name} that an interrupted run had moved aside`);
    }
  }
  return repairs;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return false;
    throw error;
  }
}

/** A unit of the plan, as {@link mergeUnits} needs it. */
export interface MergeTarget extends UnitExpectation {
  /** Reproduction name. */
  name: string;
  /** Its file under `out`. */
  file: string;
}

/** What {@link mergeUnits} did with one `--from` folder. */
export interface MergeResult {
  /** Units copied into `out`. */
  took: number;
  /** Units `out` already had (valid), not copied again. */
  present: number;
  /** Unit files of other seeds, profiles or code, left where they are. */
  leftApart: number;
  /** One sentence per refused file, naming it and why. */
  refused: string[];
}

/**
 * Copies into `out` every planned unit that `from` holds at the same place under `units/`, after
 * checking that its key is the planned one; a valid unit already in `out` is never replaced.
 * Files of other seeds, profiles or code are left apart (counted); a corrupt file, or one at a
 * planned path whose key is another, is refused.
 *
 * @example
 * ```ts
 * import { mergeUnits } from "@lib/experiments/store.ts";
 * import assert from "node:assert/strict";
 * const [from, out] = [await Deno.makeTempDir(), await Deno.makeTempDir()];
 * const file = (root: string) => `${root}/units/r/quick-seed1/u.000000000000.json`;
 * const record = { key: "k", seed: 1, profile: "quick", output: { tables: {} } };
 * await Deno.mkdir(`${from}/units/r/quick-seed1`, { recursive: true });
 * await Deno.writeTextFile(file(from), JSON.stringify(record));
 * const plan = [{ name: "r", file: file(out), key: "k", seed: 1, profile: "quick" }];
 * const result = await mergeUnits(plan, from, { out, decode: JSON.parse });
 * assert.deepEqual(result, { took: 1, present: 0, leftApart: 0, refused: [] });
 * assert.equal(await Deno.readTextFile(file(out)), JSON.stringify(record));
 * await Deno.remove(from, { recursive: true });
 * await Deno.remove(out, { recursive: true });
 * ```
 */
export async function mergeUnits(
  planned: readonly MergeTarget[],
  from: string,
  options: { out: string; decode: (text: string) => unknown },
): Promise<MergeResult> {
  const result: MergeResult = { took: 0, present: 0, leftApart: 0, refused: [] };
  const plannedPaths = new Set(planned.map((p) => relative(options.out, p.file)));
  for (const p of planned) {
    const source = join(from, relative(options.out, p.file));
    if (source === p.file) continue;
    let text: string;
    try {
      text = await Deno.readTextFile(source);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) continue;
      result.refused.push(`cannot read ${source}: ${(error as Error).message}`);
      continue;
    }
    const problem = unitFileProblem(text, p, options.decode);
    if (problem !== undefined) {
      result.refused.push(`refused ${source}: ${problem}`);
      continue;
    }
    let current: string | undefined;
    try {
      current = await Deno.readTextFile(p.file);
    } catch {
      current = undefined;
    }
    if (current !== undefined && unitFileProblem(current, p, options.decode) === undefined) {
      result.present++;
      continue;
    }
    await writeFileAtomic(p.file, text);
    result.took++;
  }
  for (const name of new Set(planned.map((p) => p.name))) {
    for (const file of jsonFiles(join(from, UNITS_DIR, name))) {
      if (!plannedPaths.has(relative(from, file))) result.leftApart++;
    }
  }
  return result;
}

/** Every `.json` file under `dir` (none when it does not exist). */
function jsonFiles(dir: string): string[] {
  let entries: Deno.DirEntry[];
  try {
    entries = [...Deno.readDirSync(dir)];
  } catch {
    return [];
  }
  return entries.flatMap((e) =>
    e.isDirectory
      ? jsonFiles(join(dir, e.name))
      : e.isFile && e.name.endsWith(".json")
      ? [join(dir, e.name)]
      : []
  );
}

/**
 * Checks `--out` before any work: an existing folder must be writable; a missing one is created
 * when its parent folder exists. Returns nothing; throws the sentence to show.
 *
 * @throws {Error} when `out` is a file, its parent is missing or not a folder, or it cannot be
 * written
 * @example
 * ```ts
 * import { checkOutFolder } from "@lib/experiments/store.ts";
 * import assert from "node:assert/strict";
 * const dir = await Deno.makeTempDir();
 * await checkOutFolder(`${dir}/results`);
 * assert.ok(Deno.statSync(`${dir}/results`).isDirectory);
 * await assert.rejects(checkOutFolder(`${dir}/no/results`), /parent folder .* does not exist/);
 * await Deno.writeTextFile(`${dir}/f`, "");
 * await assert.rejects(checkOutFolder(`${dir}/f`), /is a file, not a folder/);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export async function checkOutFolder(out: string): Promise<void> {
  let info: Deno.FileInfo | undefined;
  try {
    info = await Deno.stat(out);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) {
      throw new Error(`cannot use ${out} as results folder: ${(error as Error).message}`);
    }
  }
  if (info === undefined) {
    const parent = dirname(out);
    const parentInfo = await Deno.stat(parent).catch(() => undefined);
    if (parentInfo === undefined || !parentInfo.isDirectory) {
      throw new Error(
        `cannot use ${out} as results folder: its parent folder ${parent} does not exist` +
          `${parentInfo ? " (it is a file)" : ""}; create it first or choose another folder`,
      );
    }
    try {
      await Deno.mkdir(out);
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) {
        throw new Error(`cannot create results folder ${out}: ${(error as Error).message}`);
      }
    }
  } else if (!info.isDirectory) {
    throw new Error(`cannot use ${out} as results folder: it is a file, not a folder`);
  }
  const probe = join(out, `.sgdlab-write-check-${crypto.randomUUID()}`);
  try {
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    throw new Error(
      `cannot write in results folder ${out} (${(error as Error).message}); ` +
        "choose a writable folder with --out",
    );
  }
}
