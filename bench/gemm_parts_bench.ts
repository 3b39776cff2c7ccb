/**
 * What limits the matrix-product kernel (lib/wasm/gemm.wat), part by part, on one thread:
 *
 * - `micro-kernel`: 256 steps of one register tile on packed panels that stay in L1, against
 *   `peak` (12 independent chains of fused multiply-adds, no memory access: the f64x2 limit).
 *   `tile 4x4 swap` is gemm.wat's own exported kernel; the others are generated here for
 *   comparison: the former 6×4 tile with broadcast loads of A, the same with plain vector loads
 *   (wrong values, same shape: what the broadcasts cost), and other broadcast tile shapes.
 * - `packing n=<n> B=<B>`: the packing of each operand of a training step's three products alone
 *   (gemm.wat's exported `pack`), beside the whole product.
 *
 * Every micro-kernel bench does 256 calls of 2·MR·NR·256 FLOPs; GFLOP/s = FLOPs / avg_ns.
 * Run with `deno bench --allow-read --allow-env bench/gemm_parts_bench.ts`.
 *
 * @module
 */
import { loadWasm } from "@lib/kernels/wasm_arena.ts";
import { allocateKernelArray } from "@lib/kernels/mod.ts";
import { assembleWat } from "../tools/build_wasm.ts";
import { peakFunctionWat } from "./simd_peak.ts";

const engine = loadWasm();
if (engine === null) {
  throw new Error("cannot bench the gemm parts: WebAssembly SIMD is unavailable");
}
const parts = new WebAssembly.Instance(engine.module, { env: { memory: engine.memory } })
  .exports as unknown as {
    pack(src: number, lane: number, step: number, count: number, steps: number, dst: number): void;
    tile(...args: number[]): void;
  };

/** A broadcast tile of MR rows × 2·V columns (V vectors of B, MR splats of A), unrolled by 4. */
function broadcastTile(mr: number, v: number, aLoad: "v128.load64_splat" | "v128.load"): string {
  const nr = 2 * v, acc: string[] = [];
  for (let r = 0; r < mr; r++) for (let j = 0; j < v; j++) acc.push(`$c${r}_${j}`);
  let body = "";
  for (let s = 0; s < 4; s++) {
    for (let j = 0; j < v; j++) {
      body += `(local.set $b${j} (v128.load offset=${(s * nr + 2 * j) * 8} (local.get $bp)))\n`;
    }
    for (let r = 0; r < mr; r++) {
      body += `(local.set $a (${aLoad} offset=${(s * mr + r) * 8} (local.get $ap)))\n`;
      for (let j = 0; j < v; j++) {
        body += `(local.set $c${r}_${j} (f64x2.relaxed_madd (local.get $a) (local.get $b${j}) ` +
          `(local.get $c${r}_${j})))\n`;
      }
    }
  }
  const store = acc.map((a, i) => `(v128.store offset=${16 * i} (local.get $c) (local.get ${a}))`);
  return `(func $tile (param $kc i32) (param $ap i32) (param $bp i32) (param $c i32)
    ${acc.map((a) => `(local ${a} v128)`).join(" ")}
    ${Array.from({ length: v }, (_, j) => `(local $b${j} v128)`).join(" ")} (local $a v128)
    (local $end i32)
    (local.set $end (i32.add (local.get $bp) (i32.mul (local.get $kc) (i32.const ${8 * nr}))))
    (loop $k ${body}
      (local.set $ap (i32.add (local.get $ap) (i32.const ${32 * mr})))
      (local.set $bp (i32.add (local.get $bp) (i32.const ${32 * nr})))
      (br_if $k (i32.lt_u (local.get $bp) (local.get $end))))
    ${store.join("\n")})`;
}

/** A module with `run` (reps calls of a tile) and `peak` (12 FMA chains, n iterations). */
async function variant(
  tile: string,
): Promise<{ run(...a: number[]): void; peak(n: number): number }> {
  const text = `(module (import "env" "memory" (memory 1 65536 shared)) ${tile}
    (func (export "run") (param $reps i32) (param $kc i32) (param $ap i32) (param $bp i32)
      (param $c i32)
      (loop $r (call $tile (local.get $kc) (local.get $ap) (local.get $bp) (local.get $c))
        (local.set $reps (i32.sub (local.get $reps) (i32.const 1)))
        (br_if $r (local.get $reps))))
    ${peakFunctionWat()})`;
  const { instance } = await WebAssembly.instantiate(await assembleWat(text), {
    env: { memory: engine!.memory },
  });
  return instance.exports as unknown as { run(...a: number[]): void; peak(n: number): number };
}

const KC = 256, REPS = 256;
// packed panels (values in [-0.5, 0.5)) and a scratch tile, in the kernels' memory
const panels = allocateKernelArray(3 * 8 * KC + 64);
for (let i = 0; i < panels.length; i++) panels[i] = ((i * 7919) % 1000) / 1000 - 0.5;
const ap = panels.byteOffset, bp = ap + 8 * 8 * KC, cp = bp + 8 * 8 * KC;

const group = "micro-kernel kc=256 on packed L1 data";
const base = await variant(broadcastTile(6, 2, "v128.load64_splat"));
const PEAK_N = 65536; // 12 f64x2 FMAs (48 FLOPs) per iteration: as many FLOPs as the 6x4 benches
Deno.bench({
  name: `peak 12 FMA chains flops=${48 * PEAK_N}`,
  group,
  baseline: true,
  fn: () => void base.peak(PEAK_N),
});
Deno.bench({
  name: `tile 4x4 swap (gemm.wat) flops=${2 * 16 * KC * REPS}`,
  group,
  fn: () => {
    for (let r = 0; r < REPS; r++) parts.tile(KC, ap, bp, cp, 32, 0, 4, 4, cp + 256);
  },
});
const shapes: [string, number, number, "v128.load64_splat" | "v128.load"][] = [
  ["tile 6x4 broadcast (before)", 6, 2, "v128.load64_splat"],
  ["tile 6x4 plain loads (wrong values)", 6, 2, "v128.load"],
  ["tile 4x4 broadcast", 4, 2, "v128.load64_splat"],
  ["tile 3x6 broadcast", 3, 3, "v128.load64_splat"],
  ["tile 2x8 broadcast", 2, 4, "v128.load64_splat"],
];
for (const [name, mr, v, load] of shapes) {
  const m = name.startsWith("tile 6x4 broadcast")
    ? base
    : await variant(broadcastTile(mr, v, load));
  Deno.bench({
    name: `${name} flops=${2 * mr * 2 * v * KC * REPS}`,
    group,
    fn: () => m.run(REPS, KC, ap, bp, cp),
  });
}

// packing alone, for the operands of a step's three products (θ·x, δ·xᵀ, θ̄ᵀ·δ)
const WORK = allocateKernelArray(128 * 256 + 256 * 1024).byteOffset;
for (const [n, b] of [[256, 256], [256, 32], [1024, 256]]) {
  const theta = allocateKernelArray(n * (n + 1)), x = allocateKernelArray((n + 1) * b);
  const delta = allocateKernelArray(n * b), out = allocateKernelArray(n * (n + 1));
  for (const t of [theta, x, delta]) for (let i = 0; i < t.length; i++) t[i] = Math.sin(i);
  const g = `packing n=${n} B=${b}`;
  /** Packs a count×steps operand in blocks of 128 lanes × 256 steps, as gemm does. */
  const packAll = (src: number, lane: number, step: number, count: number, steps: number) => {
    for (let p = 0; p < steps; p += 256) {
      for (let q = 0; q < count; q += 128) {
        parts.pack(
          src + lane * q + step * p,
          lane,
          step,
          Math.min(128, count - q),
          Math.min(256, steps - p),
          WORK,
        );
      }
    }
  };
  Deno.bench({
    name: `gemm θ·x m=${n} k=${n + 1} n=${b}`,
    group: g,
    baseline: true,
    fn: () =>
      engine.gemm(
        n,
        b,
        n + 1,
        theta.byteOffset,
        n + 1,
        1,
        x.byteOffset,
        b,
        1,
        out.byteOffset,
        b,
        0,
        0,
      ),
  });
  Deno.bench({
    name: `pack θ rows (A of θ·x) ${n}x${n + 1}`,
    group: g,
    fn: () => packAll(theta.byteOffset, 8 * (n + 1), 8, n, n + 1),
  });
  Deno.bench({
    name: `pack x (B of θ·x) ${n + 1}x${b}`,
    group: g,
    fn: () => packAll(x.byteOffset, 8, 8 * b, b, n + 1),
  });
  Deno.bench({
    name: `pack x rows (B of δ·xᵀ) ${b}x${n + 1}`,
    group: g,
    fn: () => packAll(x.byteOffset, 8 * b, 8, n + 1, b),
  });
  Deno.bench({
    name: `pack θ̄ᵀ (A of θ̄ᵀ·δ) ${n}x${n}`,
    group: g,
    fn: () => packAll(theta.byteOffset, 8, 8 * (n + 1), n, n),
  });
}
