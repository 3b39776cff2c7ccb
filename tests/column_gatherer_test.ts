import assert from "node:assert/strict";
import { Matrix, Random } from "@lib/mod.ts";
import { ColumnGatherer } from "@lib/column_gatherer.ts";

Deno.test("a gatherer copies the same columns as Matrix.gatherColumns, bit for bit, repeats and all, across row blocks", () => {
  const random = new Random(4);
  for (const [d, n, b] of [[1, 5, 3], [63, 20, 7], [64, 9, 9], [150, 40, 33]]) {
    const x = random.normalMatrix(d, n);
    const indices = Int32Array.from({ length: b }, () => random.int(n));
    indices[b - 1] = indices[0];
    const into = new Matrix(d, b);
    new ColumnGatherer(x).gather(indices, into);
    assert.deepStrictEqual(into.data, x.gatherColumns(indices).data, `${d}x${n}, b = ${b}`);
  }
});

Deno.test("gatherers of one matrix share its sample-major copy; bad targets and indices are refused naming them", () => {
  const x = new Random(1).normalMatrix(4, 6);
  const a = new ColumnGatherer(x), b = new ColumnGatherer(x);
  assert.deepEqual(
    a.gather([5, 1], new Matrix(4, 2)).data,
    b.gather([5, 1], new Matrix(4, 2)).data,
  );
  assert.throws(
    () => a.gather([0, 1], new Matrix(3, 2)),
    /cannot gather 2 columns of a 4x6 matrix into 3x2/,
  );
  assert.throws(
    () => a.gather([6], new Matrix(4, 1)),
    /cannot gather column 6 of a 4x6 matrix: index out of range/,
  );
  assert.throws(() => a.gather([0.5], new Matrix(4, 1)), /column 0.5/);
});
