/**
 * The activations' elementwise maps priced in product FLOPs, from the `elementwise` group of
 * bench/forward_backward_bench.ts, for REPORT.md: each map and derivative per entry, on plain
 * arrays (staged through the maps' own WebAssembly memory) and in place in the products' memory,
 * as a training step runs them. One entry's cost in FLOP-equivalents is its time over the time
 * of one FLOP of the 256×257×256 product; issue 11's target is at most {@link MAP_TARGET}.
 *
 * @module
 */
import type { BenchStat } from "./report.ts";
import { markdownTable } from "@lib/table.ts";
import { significant } from "@lib/format.ts";

/** Issue 11's target: an elementwise map costs at most this many product FLOPs per entry. */
export const MAP_TARGET = 10;

/** The maps the bench times, in the order of the table. */
const MAPS = [
  ["tanh", "forward"],
  ["tanh", "backward"],
  ["relu", "forward"],
  ["relu", "backward"],
  ["sigmoid", "forward"],
  ["sigmoid", "backward"],
  ["softplus", "forward"],
  ["softplus", "backward"],
] as const;

/** One map's measured cost. */
export interface MapCost {
  /** "tanh", or "tanh′ ∘ g" for a backward map. */
  map: string;
  /** ns per entry on plain arrays, or null when not timed. */
  staged_ns: number | null;
  /** ns per entry in place in the products' memory, or null when not timed. */
  in_place_ns: number | null;
  /** in_place_ns (staged_ns without it) over the product's ns per FLOP. */
  flop_equivalents: number | null;
}

/** The bench's name of the product that prices one FLOP, and its FLOPs. */
const PRODUCT = { name: "matmul NN m=256 k=257 n=256", flops: 2 * 256 * 257 * 256 };

/**
 * ns per FLOP of the `elementwise` group's 256×257×256 product, or null when it was not timed.
 *
 * @example 20 GFLOP/s: 0.05 ns per FLOP
 * ```ts
 * import { productNsPerFlop } from "../bench/maps_section.ts";
 * import assert from "node:assert/strict";
 * const ns = 2 * 256 * 257 * 256 / 20;
 * const stat = { name: "matmul NN m=256 k=257 n=256", group: "elementwise", n: 9, avg: ns, min: ns, p75: ns };
 * assert.ok(Math.abs(productNsPerFlop([stat])! - 0.05) < 1e-15);
 * assert.equal(productNsPerFlop([]), null);
 * ```
 */
export function productNsPerFlop(stats: readonly BenchStat[]): number | null {
  const product = stats.find((s) => s.name.startsWith(PRODUCT.name));
  return product === undefined ? null : product.avg / PRODUCT.flops;
}

/**
 * One map's ns per entry on plain arrays (`<map> <direction> entries=N`) and in place in the
 * products' memory (`<map> <direction> kernel-memory entries=N`), null where not timed.
 *
 * @example
 * ```ts
 * import { mapTimes } from "../bench/maps_section.ts";
 * import assert from "node:assert/strict";
 * const stat = (name: string, ns: number) => ({ name, group: "elementwise", n: 9, avg: ns, min: ns, p75: ns });
 * const stats = [stat("relu forward entries=100", 200), stat("relu forward kernel-memory entries=100", 40)];
 * assert.deepEqual(mapTimes(stats, "relu", "forward"), { staged: 2, inPlace: 0.4 });
 * assert.deepEqual(mapTimes(stats, "tanh", "forward"), { staged: null, inPlace: null });
 * ```
 */
export function mapTimes(
  stats: readonly BenchStat[],
  map: string,
  direction: "forward" | "backward",
): { staged: number | null; inPlace: number | null } {
  const perEntry = (prefix: string) => {
    const s = stats.find((s) => s.name.startsWith(prefix));
    return s === undefined ? null : s.avg / Number(s.name.split("entries=")[1]);
  };
  return {
    staged: perEntry(`${map} ${direction} entries=`),
    inPlace: perEntry(`${map} ${direction} kernel-memory entries=`),
  };
}

/**
 * Each map's cost from the bench's stats, with the product's GFLOP/s; null without the product.
 *
 * @example One FLOP takes 0.05 ns (20 GFLOP/s); relu takes 0.4 ns in place: 8 FLOP-equivalents
 * ```ts
 * import { mapCosts } from "../bench/maps_section.ts";
 * import assert from "node:assert/strict";
 * const stat = (name: string, ns: number) => ({ name, group: "elementwise", n: 9, avg: ns, min: ns, p75: ns });
 * const got = mapCosts([
 *   stat("matmul NN m=256 k=257 n=256", 2 * 256 * 257 * 256 / 20),
 *   stat("relu forward entries=65536", 65536 * 2),
 *   stat("relu forward kernel-memory entries=65536", 65536 * 0.4),
 * ])!;
 * assert.equal(got.gflops, 20);
 * const relu = got.rows.find((r) => r.map === "relu")!;
 * assert.deepEqual([relu.staged_ns, relu.in_place_ns], [2, 0.4]);
 * assert.ok(Math.abs(relu.flop_equivalents! - 8) < 1e-9);
 * assert.equal(got.rows.find((r) => r.map === "tanh")!.flop_equivalents, null);
 * ```
 */
export function mapCosts(
  stats: readonly BenchStat[],
): { gflops: number; rows: MapCost[] } | null {
  const nsPerFlop = productNsPerFlop(stats);
  if (nsPerFlop === null) return null;
  const rows = MAPS.map(([name, direction]): MapCost => {
    const { staged, inPlace } = mapTimes(stats, name, direction);
    const ns = inPlace ?? staged;
    return {
      map: direction === "forward" ? name : `${name}′ ∘ g`,
      staged_ns: staged,
      in_place_ns: inPlace,
      flop_equivalents: ns === null ? null : ns / nsPerFlop,
    };
  });
  return { gflops: 1 / nsPerFlop, rows };
}

/**
 * The section: the maps' table, each judged against {@link MAP_TARGET}, and the misses named.
 *
 * @example
 * ```ts
 * import { mapsMarkdown } from "../bench/maps_section.ts";
 * import assert from "node:assert/strict";
 * const md = mapsMarkdown({
 *   gflops: 12,
 *   rows: [
 *     { map: "relu", staged_ns: 2, in_place_ns: 0.5, flop_equivalents: 6 },
 *     { map: "tanh", staged_ns: 9, in_place_ns: 7.5, flop_equivalents: 90 },
 *   ],
 * });
 * assert.match(md, /\| relu \| 2 \| 0\.5 \| 6 \| met \|/);
 * assert.match(md, /\*\*missed for 1 of 2\*\*: tanh \(90\)/);
 * ```
 */
export function mapsMarkdown(costs: { gflops: number; rows: readonly MapCost[] }): string {
  const timed = costs.rows.filter((r) => r.flop_equivalents !== null);
  const misses = timed.filter((r) => r.flop_equivalents! > MAP_TARGET);
  const cell = (v: number | null) => (v === null ? "" : significant(v, 3));
  return [
    "### Each map in product FLOPs",
    "",
    `Per entry, on plain arrays (\`staged_ns\`: copied into the maps' own memory and out) and in ` +
    `place in the products' memory (\`in_place_ns\`, as a training step maps its workspaces); ` +
    `\`flop_equivalents\` is the in-place time over one FLOP of the 256×257×256 product ` +
    `(${significant(costs.gflops, 3)} GFLOP/s in the same run). Target (issue 11): at most ` +
    `${MAP_TARGET}.`,
    "",
    markdownTable(costs.rows.map((r) => ({
      map: r.map,
      staged_ns: cell(r.staged_ns),
      in_place_ns: cell(r.in_place_ns),
      flop_equivalents: cell(r.flop_equivalents),
      target: r.flop_equivalents === null
        ? ""
        : r.flop_equivalents <= MAP_TARGET
        ? "met"
        : "MISSED",
    }))),
    "",
    misses.length === 0
      ? `- Met for all ${timed.length} maps.`
      : `- **missed for ${misses.length} of ${timed.length}**: ${
        misses.map((r) => `${r.map} (${significant(r.flop_equivalents!, 3)})`).join(", ")
      }.`,
    "",
  ].join("\n");
}
