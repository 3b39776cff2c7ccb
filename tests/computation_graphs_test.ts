import assert from "node:assert/strict";
import {
  agreementArchitectures,
  computationGraphs,
  gradientAgreement,
} from "@lib/experiments/computation_graphs.ts";

Deno.test("the agreement table covers the grid and every row agrees to 1e-12 and passes gradcheck", () => {
  const rows = gradientAgreement({ seed: 1 });
  assert.equal(rows.length, Object.keys(agreementArchitectures).length * 5 * 2);
  for (const r of rows) {
    assert.ok((r.relative_difference as number) <= 1e-12, JSON.stringify(r));
    if (r.gradcheck_ok !== null) assert.equal(r.gradcheck_ok, true, JSON.stringify(r));
  }
  assert.ok(rows.filter((r) => r.gradcheck_ok !== null).length >= 30);
});

Deno.test("the computation_graphs reproduction is deterministic for a seed", async () => {
  const a = await computationGraphs.run({ seed: 3, profile: "quick" });
  const b = await computationGraphs.run({ seed: 3, profile: "quick" });
  assert.deepEqual(a.tables, b.tables);
  assert.deepEqual(a.charts, b.charts);
});
