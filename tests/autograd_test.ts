import assert from "node:assert/strict";
import {
  backward,
  describeGraph,
  Matrix,
  Mlp,
  networkGraph,
  Random,
  riskGraph,
  topologicalOrder,
} from "@lib/mod.ts";

Deno.test("the graph of f(x, Θ) is a subgraph of the graph of the empirical risk", () => {
  const net = Mlp.create([3, 4, 4, 2], { random: new Random(1) });
  const x = new Random(2).normalMatrix(3, 5), y = new Random(3).normalMatrix(2, 5);
  const risk = riskGraph(net, { x, y, loss: "squaredError" });
  const fNodes = new Set(topologicalOrder(risk.output));
  const lNodes = new Set(topologicalOrder(risk.risk));
  for (const n of fNodes) assert.ok(lNodes.has(n));
  // L adds exactly the target, the per-sample losses and the reduction
  const extra = [...lNodes].filter((n) => !fNodes.has(n)).map((n) => n.op);
  assert.deepEqual(extra.sort(), ["input", "loss(squared error)", "mean"].sort());
  // f has, per layer, a matmul, an activation, and an appended constant row (not after the last)
  const ops = topologicalOrder(risk.output).map((n) => n.op);
  assert.equal(ops.filter((o) => o === "matmul").length, 3);
  assert.equal(ops.filter((o) => o === "appendOnesRow").length, 3);
});

Deno.test("topologicalOrder lists each node once, after its parents", () => {
  const net = Mlp.create([2, 3, 1], { random: new Random(0) });
  const g = networkGraph(net, Matrix.zeros(2, 2));
  const order = topologicalOrder(g.output);
  assert.equal(new Set(order).size, order.length);
  const pos = new Map(order.map((n, i) => [n, i]));
  for (const n of order) for (const p of n.parents) assert.ok(pos.get(p)! < pos.get(n)!);
});

Deno.test("describeGraph numbers nodes and lists shapes and parents", () => {
  const net = Mlp.create([2, 3, 1], { random: new Random(0) });
  const rows = describeGraph(networkGraph(net, Matrix.zeros(2, 4)).output);
  const last = rows[rows.length - 1];
  assert.equal(last.shape, "1x4");
  assert.ok(rows.some((r) => r.label === "θ_1" && r.shape === "3x3"));
  for (const r of rows) for (const p of r.parents) assert.ok(p < r.id);
});

Deno.test("backward twice gives the same gradients (gradients are reset, not doubled)", () => {
  const net = Mlp.create([2, 3, 1], { random: new Random(0) });
  const g = riskGraph(net, {
    x: Matrix.from([[1], [2]]),
    y: Matrix.from([[0]]),
    loss: "squaredError",
  });
  backward(g.risk);
  const first = g.thetas[0].grad!.data.slice();
  backward(g.risk);
  assert.deepEqual(g.thetas[0].grad!.data, first);
});

Deno.test("the course's sum reduction is B times the mean", () => {
  const net = Mlp.create([2, 3, 1], { random: new Random(4) });
  const x = new Random(5).normalMatrix(2, 6), y = new Random(6).normalMatrix(1, 6);
  const s = riskGraph(net, { x, y, loss: "squaredError", reduction: "sum" });
  const m = riskGraph(net, { x, y, loss: "squaredError" });
  assert.ok(
    Math.abs(s.risk.value.data[0] - 6 * m.risk.value.data[0]) < 1e-12 * s.risk.value.data[0],
  );
});
