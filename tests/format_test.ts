import assert from "node:assert/strict";
import fc from "./fc.ts";
import { prose, signedPercent, significant } from "@lib/format.ts";

Deno.test("significant rounds to the given number of significant digits and keeps non-finite values", () => {
  assert.equal(significant(1234.5678, 4), 1235);
  assert.equal(significant(0.000123456, 3), 0.000123);
  assert.equal(significant(-0.125, 2), -0.13); // an exact tie rounds away from zero
  assert.equal(significant(Infinity, 3), Infinity);
  assert.ok(Number.isNaN(significant(NaN, 3)));
  fc.assert(
    fc.property(
      fc.double({ min: -1e12, max: 1e12, noNaN: true }),
      fc.integer({ min: 1, max: 15 }),
      (x, digits) => {
        const r = significant(x, digits);
        assert.equal(significant(r, digits), r); // idempotent
        // rounding to d digits moves x by at most half a unit in the d-th digit
        assert.ok(Math.abs(r - x) <= 0.5 * 10 ** (1 - digits) * Math.abs(x) * (1 + 1e-12));
      },
    ),
  );
});

Deno.test("prose writes readable magnitudes plainly and the rest with an exponent", () => {
  assert.equal(prose(0), "0");
  assert.equal(prose(1e-3), "0.00100");
  assert.equal(prose(9.99e-4), "9.99e-4");
  assert.equal(prose(9999, { digits: 4 }), "9999");
  assert.equal(prose(9999), "1.00e+4"); // plain range, but toPrecision(3) itself needs an exponent
  assert.equal(prose(10000), "1.00e+4");
  assert.equal(prose(-123.456), "-123");
  assert.equal(prose(0.123456, { digits: 2 }), "0.12");
  assert.equal(prose(1.23456e-7, { digits: 5 }), "1.23e-7"); // the exponent form keeps 2 decimals
  assert.equal(prose(50000, { exponentFrom: 1e5 }), "5.00e+4"); // toPrecision's own exponent
  assert.equal(prose(99999, { exponentFrom: 1e5, digits: 5 }), "99999");
  assert.equal(prose(1e5, { exponentFrom: 1e5 }), "1.00e+5");
  assert.equal(prose(-Infinity), "-Infinity");
  assert.equal(prose(NaN), "NaN");
});

Deno.test("prose reads back to the value within its rounding", () => {
  fc.assert(
    fc.property(fc.double({ min: -1e9, max: 1e9, noNaN: true, noDefaultInfinity: true }), (v) => {
      const back = Number(prose(v));
      assert.ok(Math.abs(back - v) <= 5e-3 * Math.abs(v), `${v} → ${prose(v)}`);
    }),
  );
});

Deno.test("signedPercent rounds to a whole percent with an explicit sign", () => {
  assert.equal(signedPercent(12.5), "+13 %");
  assert.equal(signedPercent(-12.5), "−13 %");
  assert.equal(signedPercent(-12.5, { minus: "-" }), "-13 %");
  assert.equal(signedPercent(0), "+0 %");
  assert.equal(signedPercent(-0), "+0 %");
  assert.equal(signedPercent(-0.4), "−0 %");
  assert.equal(signedPercent(NaN), "NaN %");
  fc.assert(
    fc.property(fc.double({ min: -1e6, max: 1e6, noNaN: true }), (d) => {
      // the ASCII form is what `${d >= 0 ? "+" : ""}${d.toFixed(0)} %` wrote before this module
      assert.equal(signedPercent(d, { minus: "-" }), `${d >= 0 ? "+" : ""}${d.toFixed(0)} %`);
      assert.equal(signedPercent(d), signedPercent(d, { minus: "-" }).replace("-", "−"));
    }),
  );
});
