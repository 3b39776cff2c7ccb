import assert from "node:assert/strict";
import { join } from "node:path";
import { benchRows, elementwiseCosts, parseBenchJson, reportMarkdown } from "../bench/report.ts";
import { COST_COLUMNS } from "@lib/experiments/cost/mod.ts";
import { readCsv, repoRoot } from "@lib/io.ts";

/** A bench entry of `deno bench --json` with all statistics at `ms` (or as given). */
function entry(name: string, ms: number, stats: { min?: number; p75?: number } = {}) {
  const ns = ms * 1e6;
  return {
    origin: "file:///bench/forward_backward_bench.ts",
    group: name.split(" ").slice(1).join(" "),
    name,
    baseline: name.startsWith("fwd"),
    results: [{
      ok: {
        n: 10,
        min: (stats.min ?? ms) * 1e6,
        max: ns,
        avg: ns,
        p75: (stats.p75 ?? ms) * 1e6,
        p99: ns,
        p995: ns,
        p999: ns,
        highPrecision: true,
        usedExplicitTimers: true,
      },
    }],
  };
}

function benchJson(benches: unknown[]): string {
  return JSON.stringify({ version: 1, runtime: "Deno/2.9.6 test", cpu: "test cpu", benches });
}

const SAMPLE = benchJson([
  entry("fwd n=256 B=32 L=4", 2),
  entry("bwd n=256 B=32 L=4", 3.4),
  entry("step n=256 B=32 L=4", 5.5),
  entry("fwd n=64 B=32 L=2", 0.1, { min: 0.03 }), // a mean far above its minimum: noisy
  entry("bwd n=64 B=32 L=2", 0.1),
  entry("fwd 784-256-256-10 B=128", 4),
  entry("bwd 784-256-256-10 B=128", 8), // ratio 2 against a model of 1.25: a miss
  entry("matmul NN m=256 k=257 n=256", 2 * 256 * 257 * 256 / 2e7), // 20 GFLOP/s
  entry("tanh forward entries=65536", 65536 * 15e-6),
  entry("tanh backward entries=65536", 65536 * 1e-6),
  entry("relu forward entries=65536", 65536 * 2e-6),
  entry("relu backward entries=65536", 65536 * 2e-6),
]);

Deno.test("parseBenchJson refuses a failed bench by name, and text of another format", () => {
  const failed = benchJson([{
    origin: "x",
    group: null,
    name: "bwd n=64 B=32 L=2",
    baseline: false,
    results: [{ failed: { message: "boom" } }],
  }]);
  assert.throws(() => parseBenchJson(failed), /1 bench\(es\) failed:\nbwd n=64 B=32 L=2: boom/);
  assert.throws(() => parseBenchJson("{}"), /expected version 1/);
  assert.throws(() => parseBenchJson("not json"), /cannot read the bench JSON/);
});

Deno.test("benchRows pairs fwd and bwd per configuration, uses the means and flags noisy ones", () => {
  const { rows, details } = benchRows(parseBenchJson(SAMPLE).benches);
  assert.deepEqual(rows.map((r) => r.config), [
    "n=256 B=32 L=4",
    "n=64 B=32 L=2",
    "784-256-256-10 B=128",
  ]);
  assert.equal(rows[0].ratio, 1.7);
  assert.equal(rows[2].ratio, 2);
  assert.deepEqual(details.map((d) => d.within_target), [true, null, false]);
  assert.deepEqual(details.map((d) => d.noisy), [false, true, false]);
  assert.equal(details[1].ratio_min, Number((0.1 / 0.03).toPrecision(4)));
  assert.equal(details[0].step_ms, 5.5);
  assert.equal(details[1].step_ms, null);
});

Deno.test("the elementwise group gives a tanh worth 300 product FLOPs at 20 GFLOP/s and 15 ns", () => {
  const costs = elementwiseCosts(parseBenchJson(SAMPLE).benches)!;
  assert.ok(Math.abs(1 / costs.nsPerFlop - 20) < 1e-9);
  assert.ok(Math.abs(costs.tanhFlops - 300) < 1e-6);
  assert.equal(elementwiseCosts([]), null);
});

Deno.test("the report names every missed configuration and the machine", () => {
  const { rows, details } = benchRows(parseBenchJson(SAMPLE).benches);
  const md = reportMarkdown({
    rows,
    details,
    costs: elementwiseCosts(parseBenchJson(SAMPLE).benches),
    machine: "MACHINE LINE",
    runtime: "RUNTIME LINE",
    command: "deno task bench:report",
    date: "DATE",
  });
  assert.match(md, /Machine: MACHINE LINE/);
  assert.match(md, /Missed for 1 of 2 configurations with n ≥ 256/);
  assert.match(md, /- 784-256-256-10 B=128: measured 2, model 1\.253 \(\+60 %\)/);
  assert.doesNotMatch(md, /- n=256 B=32 L=4: measured/);
  assert.match(md, /was not benched in this run/); // the n=256 B=256 L=4 step target
});

Deno.test("bench:report --from writes ratios.csv with exactly the issue's columns", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(join(dir, "bench.json"), SAMPLE);
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read",
        "--allow-write",
        "--allow-env",
        "bench/report.ts",
        "--from",
        join(dir, "bench.json"),
        "--out",
        dir,
      ],
      cwd: repoRoot(),
      stdout: "null",
      stderr: "piped",
    }).output();
    assert.equal(code, 0, new TextDecoder().decode(stderr));
    const header = (await Deno.readTextFile(join(dir, "ratios.csv"))).split("\n")[0];
    assert.equal(header, "config,n,B,L,fwd_ms,bwd_ms,ratio,flop_ratio,gflops_fwd,gflops_bwd");
    assert.deepEqual(header.split(","), [...COST_COLUMNS]);
    assert.equal((await readCsv(join(dir, "ratios.csv"))).length, 3);
    for (const f of ["ratio.svg", "ratio.png", "steps.csv", "REPORT.md"]) {
      assert.ok((await Deno.stat(join(dir, f))).size > 0, f);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the report adds the PyTorch section and the memory table only when given", () => {
  const { rows, details } = benchRows(parseBenchJson(SAMPLE).benches);
  const base = {
    rows,
    details,
    costs: null,
    machine: "M",
    runtime: "R",
    command: "deno task bench:report --peers",
    date: "D",
  };
  assert.doesNotMatch(reportMarkdown(base), /PyTorch|Peak resident memory/);
  const md = reportMarkdown({
    ...base,
    peers: { status: "missing", tried: ["python3: not found"] },
    memory: [{ run: "deno task repro", peak_rss_gib: 1.5 }],
  });
  assert.match(md, /## sgdlab vs PyTorch, one thread\n\nPyTorch was not found/);
  assert.match(
    md,
    /## Peak resident memory of the reproductions[^#]*\| deno task repro \| 1\.5 \|/,
  );
});
