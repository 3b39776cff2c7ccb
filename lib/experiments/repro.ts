/**
 * The `deno task repro` command: runs every registered reproduction (or `--only NAME`) through
 * the pipeline (resumable units, worker threads, optional shard), combines complete
 * reproductions into `results/<name>/` (CSV, SVG, PNG, NOTES.md) and writes `results/REPORT.md`.
 *
 * ```
 * deno task repro [--only NAME] [--seed N] [--full] [--workers N] [--shard K/N] [--out DIR]
 *                 [--publish]
 * deno task repro:merge [--from DIR]... [--out DIR] [same --only/--seed/--full]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { join, resolve } from "node:path";
import { repoRoot } from "../io.ts";
import { computationGraphs } from "./computation_graphs.ts";
import { cost } from "./cost.ts";
import { convergence } from "./convergence.ts";
import { importance } from "./importance.ts";
import {
  type CombinedReproduction,
  combineReproduction,
  planUnits,
  runUnits,
  type Shard,
  type UnitEvent,
} from "./pipeline.ts";
import { writeReport } from "./report.ts";
import type { Reproduction } from "./reproduction.ts";
import { selftest } from "./selftest.ts";

function selftestEnabled(): boolean {
  try {
    return Deno.env.get("SGDLAB_SELFTEST") === "1";
  } catch {
    return false;
  }
}

/** Every reproduction, in the order `repro` runs them. */
export const reproductions: readonly Reproduction[] = [
  computationGraphs,
  cost,
  convergence,
  importance,
  ...(selftestEnabled() ? [selftest] : []),
];

/** Parsed command line of `repro` and `repro:merge`. */
export interface ReproArgs {
  /** Run only this reproduction. */
  only: string | null;
  /** Seed. */
  seed: number;
  /** Profile. */
  profile: "quick" | "full";
  /** Worker threads. */
  workers: number;
  /** Shard to run, or null for all units. */
  shard: Shard | null;
  /** Results folder. */
  out: string;
  /** Combine shard outputs instead of running. */
  merge: boolean;
  /** Results folders of shards to merge from. */
  from: string[];
  /** Copy the charts' PNGs to docs/figures/. */
  publish: boolean;
}

const usage = `usage: deno task repro [--only NAME] [--seed N] [--full] [--workers N] [--shard K/N]
                       [--out DIR] [--publish]
       deno task repro:merge [--from DIR]... [--out DIR] [--only NAME] [--seed N] [--full]
  --only NAME    run one reproduction: ${reproductions.map((r) => r.name).join(", ")}
  --seed N       seed of every random draw (default 1)
  --full         the paper-scale profile (default: quick)
  --workers N    worker threads for independent units (default: cores)
  --shard K/N    run only the K-th of N disjoint slices of the units (1 <= K <= N)
  --out DIR      results folder (default results/)
  --from DIR     with repro:merge: a shard's results folder to take units from (repeatable)
  --publish      copy every chart's PNG to docs/figures/ (for the README)`;

/**
 * Parses the command line; a usage error names the bad flag.
 *
 * @throws {RangeError} for an unknown flag or reproduction, K > N, workers < 1, a bad seed
 * @example
 * ```ts
 * import { parseReproArgs } from "@lib/experiments/repro.ts";
 * import assert from "node:assert/strict";
 * assert.deepEqual(parseReproArgs(["--shard", "2/3", "--workers", "1"]).shard, { k: 2, n: 3 });
 * assert.throws(() => parseReproArgs(["--shard", "4/3"]), /--shard: '4\/3'/);
 * assert.throws(() => parseReproArgs(["--workers", "0"]), /--workers: '0'/);
 * assert.throws(() => parseReproArgs(["--only", "nope"]), /--only: unknown reproduction 'nope'/);
 * ```
 */
export function parseReproArgs(args: string[]): ReproArgs {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      options: {
        only: { type: "string" },
        seed: { type: "string", default: "1" },
        full: { type: "boolean", default: false },
        workers: { type: "string" },
        shard: { type: "string" },
        out: { type: "string" },
        merge: { type: "boolean", default: false },
        from: { type: "string", multiple: true },
        publish: { type: "boolean", default: false },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (e) {
    throw new RangeError(`${(e as Error).message}\n${usage}`);
  }
  const v = parsed.values;
  if (v.only !== undefined && !reproductions.some((r) => r.name === v.only)) {
    throw new RangeError(`--only: unknown reproduction '${v.only}'\n${usage}`);
  }
  const seed = Number(v.seed);
  if (!Number.isSafeInteger(seed)) {
    throw new RangeError(`--seed: '${v.seed}' is not an integer\n${usage}`);
  }
  const workers = v.workers === undefined ? navigator.hardwareConcurrency : Number(v.workers);
  if (!Number.isInteger(workers) || workers < 1) {
    throw new RangeError(`--workers: '${v.workers}' must be an integer >= 1\n${usage}`);
  }
  let shard: Shard | null = null;
  if (v.shard !== undefined) {
    const m = v.shard.match(/^(\d+)\/(\d+)$/);
    const k = m ? Number(m[1]) : NaN, n = m ? Number(m[2]) : NaN;
    if (!m || k < 1 || n < 1 || k > n) {
      throw new RangeError(`--shard: '${v.shard}' must be K/N with 1 <= K <= N\n${usage}`);
    }
    shard = { k, n };
  }
  if (v.merge && shard) throw new RangeError(`--shard: not allowed with --merge\n${usage}`);
  if (!v.merge && v.from) throw new RangeError(`--from: only with repro:merge\n${usage}`);
  return {
    only: v.only ?? null,
    seed,
    profile: v.full ? "full" : "quick",
    workers,
    shard,
    out: resolve(v.out ?? join(repoRoot(), "results")),
    merge: v.merge,
    from: (v.from ?? []).map((f) => resolve(f)),
    publish: v.publish,
  };
}

/** Prints progress: a bar per reproduction on a terminal, plain lines otherwise (CI, pipes). */
function progressPrinter(totals: Map<string, number>): (e: UnitEvent) => void {
  let tty = false;
  try {
    tty = Deno.stderr.isTerminal() && Deno.env.get("CI") !== "true";
  } catch {
    tty = false;
  }
  const done = new Map<string, number>();
  const encoder = new TextEncoder();
  return (e) => {
    const name = e.planned.reproduction.name, total = totals.get(name) ?? 0;
    const n = (done.get(name) ?? 0) + 1;
    done.set(name, n);
    const what = e.kind === "skipped"
      ? "already done"
      : e.kind === "done"
      ? `${e.seconds.toFixed(1)} s`
      : `FAILED: ${e.error?.split("\n")[0]}`;
    if (tty && e.kind !== "failed") {
      const width = 24, filled = Math.round((width * n) / Math.max(total, 1));
      const bar = "#".repeat(filled) + "-".repeat(width - filled);
      const line = `\r${name.padEnd(20)} [${bar}] ${n}/${total} ${e.planned.unit.id} (${what})`;
      Deno.stderr.writeSync(encoder.encode(line.padEnd(100) + (n === total ? "\n" : "")));
    } else {
      console.log(`${name}: unit ${n}/${total} ${e.planned.unit.id} ${what}`);
    }
  };
}

async function copyUnits(from: string, out: string, names: string[]): Promise<number> {
  let copied = 0;
  for (const name of names) {
    const src = join(from, name, "units");
    let entries: Deno.DirEntry[];
    try {
      entries = [...Deno.readDirSync(src)];
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isFile || !entry.name.endsWith(".json")) continue;
      const target = join(out, name, "units", entry.name);
      if (resolve(src, entry.name) === resolve(target)) continue;
      await Deno.mkdir(join(out, name, "units"), { recursive: true });
      const temp = `${target}.${crypto.randomUUID()}.tmp`;
      await Deno.copyFile(join(src, entry.name), temp);
      await Deno.rename(temp, target);
      copied++;
    }
  }
  return copied;
}

/**
 * Runs the command: the units (all, or one shard), then, unless sharded, combines every
 * selected reproduction and writes REPORT.md. With `merge`, copies units from the `from`
 * folders and combines without running anything. Returns the combined reproductions.
 */
export async function repro(args: ReproArgs): Promise<CombinedReproduction[]> {
  const start = performance.now();
  const selected = reproductions.filter((r) => args.only === null || r.name === args.only);
  const options = { seed: args.seed, profile: args.profile };
  if (args.merge) {
    for (const from of args.from) {
      const n = await copyUnits(from, args.out, selected.map((r) => r.name));
      console.log(`merge: took ${n} unit outputs from ${from}`);
    }
  } else {
    const planned = await planUnits(selected, { ...options, out: args.out, shard: args.shard });
    const totals = new Map<string, number>();
    for (const p of planned) {
      totals.set(p.reproduction.name, (totals.get(p.reproduction.name) ?? 0) + 1);
    }
    const shardNote = args.shard ? ` (shard ${args.shard.k}/${args.shard.n})` : "";
    console.log(
      `repro: ${planned.length} units${shardNote}, seed ${args.seed}, profile ${args.profile}, ${args.workers} worker(s)`,
    );
    const { ran, skipped } = await runUnits(planned, {
      ...options,
      workers: args.workers,
      onEvent: progressPrinter(totals),
    });
    console.log(`repro: ran ${ran} units, reused ${skipped} already done`);
    if (args.shard) {
      console.log(
        `repro: shard ${args.shard.k}/${args.shard.n} done; its units are in ${args.out}. ` +
          "When every shard is done, combine them with `deno task repro:merge --from DIR ...`.",
      );
      return [];
    }
  }
  const parts: CombinedReproduction[] = [];
  for (const r of selected) {
    const part = await combineReproduction(r, { ...options, out: args.out });
    parts.push(part);
    console.log(`${r.name}: ${r.description}`);
    for (const f of part.files) console.log(`  wrote ${f}`);
  }
  const report = await writeReport(parts, {
    out: args.out,
    seed: args.seed,
    profile: args.profile,
    totalSeconds: (performance.now() - start) / 1000,
  });
  console.log(`report: ${report}`);
  if (args.publish) {
    const figures = join(repoRoot(), "docs", "figures");
    await Deno.mkdir(figures, { recursive: true });
    for (const p of parts) {
      for (const name of Object.keys(p.output.charts)) {
        const target = join(figures, `${p.reproduction.name}_${name}.png`);
        await Deno.copyFile(join(args.out, p.reproduction.name, `${name}.png`), target);
        console.log(`  published ${target}`);
      }
    }
  }
  return parts;
}

if (import.meta.main) {
  let args: ReproArgs;
  try {
    args = parseReproArgs(Deno.args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(2);
  }
  try {
    await repro(args);
  } catch (e) {
    console.error((e as Error).message);
    Deno.exit(1);
  }
}
