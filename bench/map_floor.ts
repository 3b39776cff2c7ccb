/**
 * The least an f64 tanh, sigmoid or softplus can cost here, priced like the maps of REPORT.md:
 * two in-place maps over 65,536 entries that do only what each of those maps must do per pair
 * of lanes (lib/wasm/tanh.wat), timed interleaved with the 256×257×256 product that sets the
 * price of one FLOP:
 * - `division`: one `f64x2.div` per pair (the exponential's quotient, or 1/(1 + e^x));
 * - `division + polynomial`: the same, plus six dependent fused multiply-adds (the degree of
 *   the exponential's even polynomial in lib/wasm/tanh.wat), with its load and store.
 *
 * Neither computes anything useful: they are floors. Prints each one's median ns per entry and
 * FLOP-equivalents (its time over one product FLOP's, issue 11's target being at most 10).
 *
 * ```sh
 * deno run --allow-read --allow-env bench/map_floor.ts [--rounds 41]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { allocateKernelArray, loadWasm } from "@lib/kernels/wasm_arena.ts";
import { matmul } from "@lib/kernels/mod.ts";
import { Random } from "@lib/random.ts";
import { median } from "@lib/stats.ts";
import { textTable } from "@lib/table.ts";
import { assembleWat } from "../tools/build_wasm.ts";
import { rotatingRounds } from "./rotating_rounds.ts";

const ENTRIES = 65536;

/** `name(src, dst, count)`: dst = f(src) in pairs, f = 1/x, then `terms` dependent FMAs. */
function mapWat(name: string, terms: number): string {
  const fmas = Array.from(
    { length: terms },
    () => "(local.set $y (f64x2.relaxed_madd (local.get $y) (local.get $x) (local.get $c)))",
  ).join("\n");
  return `(func (export "${name}") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $x v128) (local $y v128) (local $c v128) (local $one v128)
    (local.set $c (f64x2.splat (f64.const 0.125)))
    (local.set $one (f64x2.splat (f64.const 1)))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done (loop $next
      (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
      (local.set $x (v128.load (local.get $src)))
      (local.set $y (f64x2.div (local.get $one) (local.get $x)))
      ${fmas}
      (v128.store (local.get $dst) (local.get $y))
      (local.set $src (i32.add (local.get $src) (i32.const 16)))
      (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
      (br $next))))`;
}

const { values: flags } = parseArgs({
  args: Deno.args,
  options: { rounds: { type: "string", default: "41" } },
});
const rounds = Number(flags.rounds);
const engine = loadWasm();
if (engine === null) throw new Error("cannot time the map floors: WebAssembly SIMD is unavailable");
const text = `(module (import "env" "memory" (memory 1 65536 shared))
  ${mapWat("division", 0)} ${mapWat("polynomial", 6)})`;
const module = new WebAssembly.Module(await assembleWat(text, "map_floor.wat"));
const maps = new WebAssembly.Instance(module, { env: { memory: engine.memory } }).exports as Record<
  "division" | "polynomial",
  (src: number, dst: number, count: number) => void
>;
const random = new Random(7);
const z = allocateKernelArray(ENTRIES), out = allocateKernelArray(ENTRIES);
z.set(random.normalMatrix(256, 256).data);
const theta = allocateKernelArray(256 * 257), input = allocateKernelArray(257 * 256);
theta.set(random.normalMatrix(256, 257).data);
input.set(random.normalMatrix(257, 256).data);
const product = allocateKernelArray(256 * 256);
const productFlops = 2 * 256 * 257 * 256;
const blocks: [string, number, () => void][] = [
  [
    "product 256x257x256",
    productFlops,
    () => matmul(theta, input, { out: product, m: 256, k: 257, n: 256 }),
  ],
  ["division", ENTRIES, () => maps.division(z.byteOffset, out.byteOffset, ENTRIES)],
  ["division + polynomial", ENTRIES, () => maps.polynomial(z.byteOffset, out.byteOffset, ENTRIES)],
];
for (const [, , run] of blocks) for (let i = 0; i < 20; i++) run(); // compile and warm
const ms = rotatingRounds(
  blocks.map(([, , run], b) => ({ run, repeats: b === 0 ? 4 : 40 })),
  rounds,
);
const ns = ms.map((m, b) => Array.from(m, (t) => t * 1e6 / blocks[b][1]));
const perFlop = ns[0];
console.log(textTable(blocks.map(([name], b) => ({
  block: name,
  ns_per_unit: Number(median(ns[b]).toPrecision(3)),
  unit: b === 0 ? "FLOP" : "entry",
  flop_equivalents: b === 0
    ? 1
    : Number(median(ns[b].map((t, r) => t / perFlop[r])).toPrecision(3)),
}))));
