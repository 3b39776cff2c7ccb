import assert from "node:assert/strict";
import { assertFinite, assertShape, Matrix } from "@lib/mod.ts";

Deno.test("a matrix stores entry (i, j) at data[i·cols + j]", () => {
  const m = Matrix.from([[1, 2, 3], [4, 5, 6]]);
  for (let i = 0; i < 2; i++) {
    for (let j = 0; j < 3; j++) assert.equal(m.data[i * 3 + j], m.get(i, j));
  }
});

Deno.test("a matrix rejects data of the wrong length and negative sizes", () => {
  assert.throws(() => new Matrix(2, 2, new Float64Array(3)), /from 3 values: expected 4/);
  assert.throws(() => new Matrix(-1, 2), /sizes must be non-negative integers/);
  assert.throws(() => Matrix.from([[1, 2], [3]]), /different lengths/);
});

Deno.test("gatherColumns copies the chosen samples and rejects indices out of range", () => {
  const m = Matrix.from([[1, 2, 3], [4, 5, 6]]);
  assert.deepEqual(m.gatherColumns([1, 1]).toArray(), [[2, 2], [5, 5]]);
  assert.throws(() => m.gatherColumns([3]), /cannot gather column 3 of a 2x3 matrix/);
  assert.throws(() => m.gatherColumns([0], Matrix.zeros(2, 2)), /into 2x2/);
});

Deno.test("assertShape and assertFinite name the action, the shapes and the bad entry", () => {
  assert.throws(
    () => assertShape(Matrix.zeros(1, 2), { rows: 2, cols: 2, action: "cannot step θ_1" }),
    /cannot step θ_1: expected a 2x2 matrix, got 1x2/,
  );
  assert.throws(
    () => assertFinite(Matrix.from([[0], [-Infinity]]), "θ_3"),
    /θ_3 contains -Infinity at \(1, 0\)/,
  );
});

Deno.test("toString shows the shape and elides large matrices", () => {
  const s = Matrix.zeros(10, 10).toString();
  assert.ok(s.startsWith("Matrix 10x10"));
  assert.equal(s.split("\n").length, 1 + 6 + 1);
});
