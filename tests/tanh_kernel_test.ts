import assert from "node:assert/strict";
import type { BigNumber } from "mathjs";
import { Random, tanh } from "@lib/mod.ts";
import { tanhKernel, tanhKernelAvailable } from "@lib/tanh_kernel.ts";
import { buildWasmModule, TANH_MODULE_URL, WASM_MODULES } from "../tools/build_wasm.ts";
import { exact, math, ulp, ulpDistance } from "./ulp_reference.ts";

const HAS_WASM = tanhKernelAvailable();

/** Evaluation points: edge cases, the switch at 0.875, the clamp, and wide random samples. */
function points(random: Random): number[] {
  const xs = [
    0.875,
    0.875 * (1 - 2 ** -53),
    0.875 * (1 + 2 ** -52),
    2 ** -1074,
    2 ** -1022,
    2 ** -1022 * (1 - 2 ** -52),
    2 ** -27,
    2 ** -26 * 3,
    1e-8,
    0.5,
    Math.atanh(0.5),
    1,
    Math.LN2 / 2,
    Math.LN2,
    19,
    19.06,
    19.07,
    19.1,
    21.99,
    22,
    22.01,
    30,
  ];
  for (let i = 0; i < 1200; i++) {
    // log-uniform magnitude from 2^-1074 to 2^9, random mantissa
    xs.push((1 + random.float()) * 2 ** (random.int(1083) - 1074));
  }
  for (let i = 0; i < 900; i++) xs.push(2 * random.float()); // both formulas' working range
  for (let i = 0; i < 300; i++) xs.push(2 + 18 * random.float()); // up to where tanh rounds to 1
  for (let i = 0; i < 200; i++) xs.push(0.875 + (random.float() - 0.5) * 2 ** -8); // the switch
  return xs.flatMap((x) => [x, -x]);
}

Deno.test("the committed lib/wasm/tanh_wasm.ts is the assembly of lib/wasm/tanh.wat (run deno task build:wasm)", async () => {
  const spec = WASM_MODULES.find((s) => s.module.href === TANH_MODULE_URL.href)!;
  assert.equal(await Deno.readTextFile(TANH_MODULE_URL), await buildWasmModule(spec));
});

Deno.test({
  name: "tanhKernel is within 2 ulp of the correctly rounded tanh, against a 45-digit reference",
  ignore: !HAS_WASM,
  fn() {
    const xs = Float64Array.from(points(new Random(2018)));
    const out = new Float64Array(xs.length);
    tanhKernel(xs, { out, n: xs.length, backend: "wasm" });
    let worst = 0, worstAt = 0, worstDistance = 0;
    for (let i = 0; i < xs.length; i++) {
      const reference = math.tanh(exact(xs[i])) as BigNumber;
      const rounded = Number(reference.toString()); // correctly rounded (45 digits, then nearest)
      const distance = ulpDistance(out[i], rounded);
      const error = Number(
        (math.divide(math.abs(math.subtract(exact(out[i]), reference)), ulp(rounded)) as BigNumber)
          .toString(),
      );
      if (error > worst) [worst, worstAt] = [error, xs[i]];
      worstDistance = Math.max(worstDistance, distance);
      assert.ok(
        distance <= 2,
        `tanh(${xs[i]}) = ${out[i]} is ${distance} ulp from the correctly rounded ${rounded}`,
      );
    }
    // the first-order bound of lib/wasm/tanh.wat is 1.8 ulp from the exact value
    assert.ok(worst < 1.8, `largest error ${worst} ulp at x = ${worstAt}`);
    assert.ok(worstDistance <= 1, `largest distance ${worstDistance} ulp`);
  },
});

Deno.test("tanhKernel keeps the sign of zero, gives exactly ±1 for large |x| and propagates NaN", () => {
  for (const backend of HAS_WASM ? ["wasm", "typescript"] as const : ["typescript"] as const) {
    const z = Float64Array.of(0, -0, 19.1, -19.1, 1e308, -1e308, Infinity, -Infinity, NaN, 5e-324);
    const out = new Float64Array(z.length);
    tanhKernel(z, { out, n: z.length, backend });
    assert.ok(Object.is(out[0], 0) && Object.is(out[1], -0), backend);
    assert.deepEqual(Array.from(out.subarray(2, 8)), [1, -1, 1, -1, 1, -1], backend);
    assert.ok(Number.isNaN(out[8]), backend);
    assert.equal(out[9], 5e-324, backend); // tanh x = x for the smallest subnormal
  }
});

Deno.test({
  name: "tanhKernel is odd and below 1 in magnitude, bit for bit, on a wide sample",
  ignore: !HAS_WASM,
  fn() {
    const random = new Random(3);
    const z = Float64Array.from({ length: 4096 }, () => (random.float() - 0.5) * 50);
    const minus = z.map((v) => -v), a = new Float64Array(z.length), b = new Float64Array(z.length);
    tanhKernel(z, { out: a, n: z.length });
    tanhKernel(minus, { out: b, n: z.length });
    for (let i = 0; i < z.length; i++) {
      assert.ok(Object.is(b[i], -a[i]) && Math.abs(a[i]) <= 1, `tanh(${z[i]}) = ${a[i]}`);
    }
  },
});

Deno.test("tanhKernel gives each entry the same bits whatever the length, offset and chunking", () => {
  const random = new Random(4);
  const n = 2 * 2048 + 37; // two full chunks, then a short odd one
  const z = Float64Array.from({ length: n }, () => random.normal() * 3);
  const whole = new Float64Array(n);
  tanhKernel(z, { out: whole, n });
  const one = new Float64Array(1);
  for (const i of [0, 1, 2047, 2048, 4095, 4096, n - 1]) {
    tanhKernel(z.subarray(i, i + 1), { out: one, n: 1 });
    assert.ok(Object.is(one[0], whole[i]), `entry ${i}`);
  }
  const shifted = new Float64Array(n);
  tanhKernel(z.subarray(5), { out: shifted, n: n - 5 });
  assert.deepEqual(shifted.subarray(0, n - 5), whole.subarray(5));
  const inPlace = z.slice();
  tanhKernel(inPlace, { out: inPlace, n });
  assert.deepEqual(inPlace, whole);
  const again = new Float64Array(n);
  tanhKernel(z, { out: again, n });
  assert.deepEqual(again, whole);
});

Deno.test("tanhKernel stays within 4 ulp of Math.tanh, and the TypeScript path is Math.tanh", () => {
  // both are within 2 ulp of the correctly rounded tanh (V8's Math.tanh measured up to 1.9 ulp)
  const random = new Random(6);
  const z = Float64Array.from(
    { length: 1 << 16 },
    (_, i) => i % 2 ? random.normal() : (random.float() - 0.5) * 2 ** (random.int(70) - 60),
  );
  const out = new Float64Array(z.length), ts = new Float64Array(z.length);
  tanhKernel(z, { out, n: z.length });
  tanhKernel(z, { out: ts, n: z.length, backend: "typescript" });
  for (let i = 0; i < z.length; i++) {
    assert.ok(Object.is(ts[i], Math.tanh(z[i])));
    assert.ok(ulpDistance(out[i], ts[i]) <= 4, `tanh(${z[i]}): ${out[i]} vs ${ts[i]}`);
  }
});

Deno.test("the tanh activation's forward pass is tanhKernel", () => {
  const random = new Random(8);
  const z = Float64Array.from({ length: 300 }, () => random.normal());
  const a = new Float64Array(300), b = new Float64Array(300);
  tanh.forward(z, { out: a, n: 300 });
  tanhKernel(z, { out: b, n: 300 });
  assert.deepEqual(a, b);
});

Deno.test("tanhKernel rejects sizes beyond its arrays and unknown backends", () => {
  const z = new Float64Array(4);
  assert.throws(
    () => tanhKernel(z, { out: new Float64Array(3), n: 4 }),
    /cannot compute tanh of 4/,
  );
  assert.throws(() => tanhKernel(z, { out: z, n: 1.5 }), RangeError);
  assert.throws(
    () => tanhKernel(z, { out: z, n: 1, backend: "gpu" as "auto" }),
    /cannot compute tanh with backend "gpu"/,
  );
});
