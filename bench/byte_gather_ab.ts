/**
 * Whether byte images could be gathered faster than `ByteColumns.gatherColumns`
 * (lib/byte_images.ts) does, timed interleaved in one process, one thread: B random columns of
 * N images of 784 bytes, each byte turned into its double through the data set's 256-entry table,
 * in three ways:
 * - `library`: the library's gather, into an x₀ in the products' memory (d×B, row-major: a row
 *   of B doubles per pixel), eight images at a time;
 * - `sample-major`: the same lookups written image after image (B×d), as an x₀ stored
 *   sample-major would take them: one contiguous run per image;
 * - `wasm`: the library's loop in WebAssembly, reading the images from a shared memory of their
 *   own (multi-memory) and writing into the products' memory.
 *
 * Prints the median nanoseconds per entry of each and each one's median time over the library's
 * (blocks in rotating order, paired by round), and checks that all three give the same doubles.
 *
 * ```sh
 * deno run --allow-read --allow-env bench/byte_gather_ab.ts [--columns 128] [--rounds 41]
 * ```
 *
 * @module
 */
import { parseArgs } from "node:util";
import { BYTE_SCALE, ByteImages } from "@lib/byte_images.ts";
import { Matrix } from "@lib/matrix.ts";
import { allocateKernelArray, loadWasm } from "@lib/kernels/wasm_arena.ts";
import { median } from "@lib/stats.ts";
import { textTable } from "@lib/table.ts";
import { assembleWat } from "../tools/build_wasm.ts";
import { rotatingRounds } from "./rotating_rounds.ts";

/** dst[p·ldd + j] = table[images[offsets[j] + p]] (bytes), one column at a time, 4 columns a pass. */
const GATHER_WAT = `(module
  (import "env" "memory" (memory $arena 1 65536 shared))
  (import "env" "images" (memory $images 1 65536 shared))
  (memory $offsets (export "offsets") 1)
  (func (export "gather") (param $cols i32) (param $rows i32) (param $table i32) (param $dst i32)
    (param $ldd i32)
    (local $j i32) (local $row i32) (local $end i32)
    (local $o0 i32) (local $o1 i32) (local $o2 i32) (local $o3 i32)
    (block $done (loop $block
      (br_if $done (i32.gt_u (i32.add (local.get $j) (i32.const 4)) (local.get $cols)))
      (local.set $o0 (i32.load $offsets (i32.shl (local.get $j) (i32.const 2))))
      (local.set $o1 (i32.load $offsets offset=4 (i32.shl (local.get $j) (i32.const 2))))
      (local.set $o2 (i32.load $offsets offset=8 (i32.shl (local.get $j) (i32.const 2))))
      (local.set $o3 (i32.load $offsets offset=12 (i32.shl (local.get $j) (i32.const 2))))
      (local.set $row (i32.add (local.get $dst) (i32.shl (local.get $j) (i32.const 3))))
      (local.set $end (i32.add (local.get $o0) (local.get $rows)))
      (block $rows_done (loop $next
        (br_if $rows_done (i32.ge_u (local.get $o0) (local.get $end)))
        (f64.store $arena (local.get $row) (f64.load $images (i32.add (local.get $table)
          (i32.shl (i32.load8_u $images (local.get $o0)) (i32.const 3)))))
        (f64.store $arena offset=8 (local.get $row) (f64.load $images (i32.add (local.get $table)
          (i32.shl (i32.load8_u $images (local.get $o1)) (i32.const 3)))))
        (f64.store $arena offset=16 (local.get $row) (f64.load $images (i32.add (local.get $table)
          (i32.shl (i32.load8_u $images (local.get $o2)) (i32.const 3)))))
        (f64.store $arena offset=24 (local.get $row) (f64.load $images (i32.add (local.get $table)
          (i32.shl (i32.load8_u $images (local.get $o3)) (i32.const 3)))))
        (local.set $o0 (i32.add (local.get $o0) (i32.const 1)))
        (local.set $o1 (i32.add (local.get $o1) (i32.const 1)))
        (local.set $o2 (i32.add (local.get $o2) (i32.const 1)))
        (local.set $o3 (i32.add (local.get $o3) (i32.const 1)))
        (local.set $row (i32.add (local.get $row) (local.get $ldd)))
        (br $next)))
      (local.set $j (i32.add (local.get $j) (i32.const 4)))
      (br $block)))))`;

const { values: flags } = parseArgs({
  args: Deno.args,
  options: {
    columns: { type: "string", default: "128" },
    rounds: { type: "string", default: "41" },
  },
});
const B = Number(flags.columns), rounds = Number(flags.rounds), N = 8000, d = 784, TABLE = 2048;
if (!Number.isInteger(B) || B < 4 || B % 4 !== 0) {
  throw new RangeError(`cannot time the byte gathers: --columns must be a multiple of 4, got ${B}`);
}
const engine = loadWasm();
if (engine === null) {
  throw new Error("cannot time the byte gathers: WebAssembly SIMD is unavailable");
}
// the images and their table in a shared memory of their own, as the wasm gather needs them
const pages = Math.ceil((TABLE + N * d) / 65536);
const memory = new WebAssembly.Memory({ initial: pages, maximum: pages, shared: true });
const table = new Float64Array(memory.buffer, 0, 256);
table.set(BYTE_SCALE);
const pixels = new Uint8Array(memory.buffer, TABLE, N * d);
for (let i = 0, s = 1; i < pixels.length; i++) {
  pixels[i] = (s = (s * 1103515245 + 12345) >>> 0) >>> 24;
}
const images = new ByteImages({ width: d, pixels, labels: new Uint8Array(N), values: table });
const x = images.dataset("bytes", Int32Array.from({ length: N }, (_, i) => i), 10).x;
const module = new WebAssembly.Module(await assembleWat(GATHER_WAT, "byte_gather.wat"));
const exports = new WebAssembly.Instance(module, { env: { memory: engine.memory, images: memory } })
  .exports as { gather: (...args: number[]) => void; offsets: WebAssembly.Memory };
const offsets = new Int32Array(exports.offsets.buffer);
const outs = [0, 1, 2].map(() => allocateKernelArray(d * B));
const indices = new Int32Array(B);
let seed = 7;
const ways: [string, () => void][] = [
  ["library", () => x.gatherColumns(indices, new Matrix(d, B, outs[0]))],
  ["sample-major", () => {
    const out = outs[1];
    for (let j = 0; j < B; j++) {
      const from = indices[j] * d, to = j * d;
      for (let p = 0; p < d; p++) out[to + p] = table[pixels[from + p]];
    }
  }],
  ["wasm", () => {
    for (let j = 0; j < B; j++) offsets[j] = TABLE + indices[j] * d;
    exports.gather(B, d, 0, outs[2].byteOffset, 8 * B);
  }],
];
const draw = () => {
  for (let j = 0; j < B; j++) indices[j] = (seed = (seed * 1103515245 + 12345) >>> 0) % N;
};
draw();
for (const [, run] of ways) run();
for (let p = 0; p < d; p++) {
  for (let j = 0; j < B; j++) {
    const want = outs[0][p * B + j];
    if (outs[1][j * d + p] !== want || outs[2][p * B + j] !== want) {
      throw new Error(`cannot compare the byte gathers: they differ at pixel ${p}, column ${j}`);
    }
  }
}
// ms per gather of each way; each round draws new columns in a block of its own, whose time is dropped
const timed = rotatingRounds(
  [{ run: draw }, ...ways.map(([, run]) => ({ run, repeats: 50 }))],
  rounds,
)
  .slice(1);
const ns = timed.map((ms) => Array.from(ms, (t) => t * 1e6 / (d * B)));
console.log(textTable(ways.map(([name], w) => ({
  way: name,
  ns_per_entry: Number(median(ns[w]).toFixed(3)),
  over_library: Number(median(ns[w].map((t, r) => t / ns[0][r])).toFixed(3)),
}))));
