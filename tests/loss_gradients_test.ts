import { Matrix, oneHot, Random, softmaxCrossEntropy, squaredError } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import type { Loss } from "@lib/losses.ts";

/**
 * Central differences of ℓ_j in one output entry, step h: the truncation error is h²/6 · |ℓ‴|
 * and the rounding error about ε_mach · |ℓ| / h. With h = 1e-5 and entries, losses and third
 * derivatives of order 1, both are below 1e-9, so rtol 1e-7 leaves two orders of margin and
 * still sees a gradient that is wrong by a factor 1 + 3e-4.
 */
function centralDifference(loss: Loss, output: Matrix, target: Matrix, at: [number, number]) {
  const [i, j] = at, h = 1e-5, saved = output.get(i, j);
  output.set(i, j, saved + h);
  const plus = loss.values(output, target)[j];
  output.set(i, j, saved - h);
  const minus = loss.values(output, target)[j];
  output.set(i, j, saved);
  return (plus - minus) / (2 * h);
}

Deno.test("squared-error and softmax cross-entropy gradients match central differences to 1e-7 relative", () => {
  const random = new Random(21), rows = 4, cols = 5;
  const labels = Int32Array.from({ length: cols }, (_, j) => (j * 3) % rows);
  const cases: [Loss, Matrix][] = [
    [squaredError, random.normalMatrix(rows, cols)],
    [softmaxCrossEntropy, oneHot(labels, rows)],
  ];
  for (const [loss, target] of cases) {
    const output = random.normalMatrix(rows, cols);
    const analytic = loss.gradOutput(output, target);
    for (let i = 0; i < rows; i++) {
      for (let j = 0; j < cols; j++) {
        assertClose(analytic.get(i, j), centralDifference(loss, output, target, [i, j]), {
          rtol: 1e-7,
          atol: 1e-9,
          what: `${loss.name} ∂ℓ_${j}/∂x_L[${i}]`,
        });
      }
    }
  }
});
