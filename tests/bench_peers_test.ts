import assert from "node:assert/strict";
import { join } from "node:path";
import {
  findTorchPython,
  interleavedRounds,
  measurePeers,
  PEER_CONFIGS,
  PeerServer,
  peerServerArgv,
  QUICK_PEER_CONFIGS,
} from "../bench/peers.ts";
import { PEER_COLUMNS, peerRows, peersMarkdown } from "../bench/peer_rows.ts";
import { courseConfig, Matrix, Mlp, oneHot, Random } from "@lib/mod.ts";
import { assertClose } from "@lib/assert_close.ts";
import { readCsv, repoRoot } from "@lib/io.ts";

const FAKE_SERVER = [Deno.execPath(), "run", join(repoRoot(), "tests", "fake_peer_server.ts")];
const FAKE_PEER = { python: "fake", torch: "0", pythonVersion: "0" };

/** An executable shell script in `dir` standing in for a Python. */
async function fakePython(dir: string, name: string, body: string): Promise<string> {
  const path = join(dir, name);
  await Deno.writeTextFile(path, `#!/bin/sh\n${body}\n`);
  await Deno.chmod(path, 0o755);
  return path;
}

/** Fake per-round times: sgdlab twice PyTorch f64 in every round, whatever the drift. */
function samples(config: string, drift: number[]) {
  return {
    config,
    stepFlops: 1e6,
    sgdlab: drift.map((d) => 2 * d),
    torch: { f64: drift, f32: drift.map((d) => d / 2) },
    calls: { sgdlab: 1, f64: 1, f32: 1 },
  };
}

Deno.test("the peers cover issue 11's eight configurations, and --quick all but n = 1024", () => {
  assert.deepEqual(PEER_CONFIGS.map((c) => c.name), [
    "n=64 B=32 L=4",
    "n=64 B=256 L=4",
    "n=256 B=32 L=4",
    "n=256 B=256 L=4",
    "n=1024 B=32 L=4",
    "n=1024 B=256 L=4",
    "784-256-256-10 B=128",
    "784-64-64-10 B=32",
  ]);
  assert.deepEqual(
    QUICK_PEER_CONFIGS.map((c) => c.name),
    PEER_CONFIGS.filter((c) => !c.name.startsWith("n=1024")).map((c) => c.name),
  );
});

Deno.test("the ratio is the median of per-round ratios, unmoved by a round where both sides slow down", () => {
  // the machine slows down 10× in the middle round: each round's ratio stays 2 (f64) and 4 (f32)
  const rows = peerRows([samples("n=64 B=32 L=4", [1, 10, 1.2])]);
  assert.deepEqual(rows.map((r) => [r.dtype, r.sgdlab_over_torch]), [["f64", 2], ["f32", 4]]);
  assert.deepEqual(rows.map((r) => [r.sgdlab_ms, r.torch_ms]), [[2.4, 1.2], [2.4, 0.6]]);
  assert.equal(rows[0].rounds, 3);
  const unpaired = { ...samples("x", [1, 2]), torch: { f64: [1], f32: [1, 1] } };
  assert.throws(() => peerRows([unpaired]), /cannot pair the times of x f64: sgdlab has 2 rounds/);
});

Deno.test("the peers section judges the 1.5× target on f64 only and names each miss", () => {
  const all = [samples("n=64 B=32 L=4", [1, 1, 1]), {
    ...samples("n=256 B=32 L=4", [1, 1, 1]),
    sgdlab: [1.4, 1.4, 1.4], // 1.4× f64 (met), 2.8× f32 (not judged)
  }];
  const md = peersMarkdown({
    status: "measured",
    measurement: { peer: FAKE_PEER, rounds: 3, minMs: 50, samples: all },
    rows: peerRows(all),
  });
  assert.match(md, /## sgdlab vs PyTorch, one thread/);
  assert.match(md, /\| n=256 B=32 L=4 \| 1\.4 \| 1 \| 0\.5 \| 1\.4 \| 2\.8 \| met \|/);
  assert.match(md, /\*\*Missed for 1 of 2 configurations:\*\* n=64 B=32 L=4 \(2×\)\./);
  assert.match(md, /in each of 3 rounds/);
  const failed = peersMarkdown({ status: "failed", error: "the server exited" });
  assert.match(failed, /The PyTorch comparison failed: the server exited/);
});

Deno.test("interleavedRounds reverses the order of each group every other round", async () => {
  const order: string[] = [];
  const block = (name: string) => () => (order.push(name), 1);
  const out = await interleavedRounds([[block("a"), block("b"), block("c")], [block("d")]], 3);
  assert.deepEqual(order.join(""), "abcd" + "cbad" + "abcd");
  assert.deepEqual(out.map((g) => g.map((b) => b.length)), [[3, 3, 3], [3]]);
  await assert.rejects(interleavedRounds([], 0), /cannot time 0 rounds/);
});

Deno.test("a Python without torch is reported by its own error, the next candidate is tried", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const without = await fakePython(
      dir,
      "python-without",
      "echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1",
    );
    const withTorch = await fakePython(dir, "python-with", 'echo "9.9.9 3.99.0"');
    assert.deepEqual(await findTorchPython([without, join(dir, "absent")]), {
      tried: [
        `${without}: ModuleNotFoundError: No module named 'torch'`,
        `${join(dir, "absent")}: not found`,
      ],
    });
    assert.deepEqual(await findTorchPython([without, withTorch]), {
      found: { python: withTorch, torch: "9.9.9", pythonVersion: "3.99.0" },
    });
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a server that fails a command stops the measurement with its message", async () => {
  await assert.rejects(
    measurePeers([courseConfig(4, { batch: 2, hidden: 1 })], {
      peer: FAKE_PEER,
      server: [...FAKE_SERVER, "--fail-build"],
      rounds: 1,
      minMs: 1,
    }),
    /cannot run 'build' in the PyTorch server: ValueError: cannot build a step: fake failure/,
  );
});

/** Runs bench/report.ts on the saved bench JSON of tests/bench_report_test.ts's form. */
async function report(args: string[], dir: string) {
  const bench = JSON.stringify({
    version: 1,
    runtime: "Deno test",
    cpu: "test cpu",
    benches: [["fwd", 2], ["bwd", 3.4]].map(([pass, ms]) => ({
      origin: "file:///b.ts",
      group: "n=256 B=32 L=4",
      name: `${pass} n=256 B=32 L=4`,
      baseline: pass === "fwd",
      results: [{ ok: { n: 9, min: +ms * 1e6, avg: +ms * 1e6, p75: +ms * 1e6 } }],
    })),
  });
  await Deno.writeTextFile(join(dir, "bench.json"), bench);
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "--allow-read",
      "--allow-write",
      "--allow-env",
      "--allow-run",
      "bench/report.ts",
      "--from",
      join(dir, "bench.json"),
      "--out",
      dir,
      ...args,
    ],
    cwd: repoRoot(),
    stdout: "null",
    stderr: "piped",
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr) };
}

Deno.test("bench:report --peers without torch says how to install it and writes the rest", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const python = await fakePython(
      dir,
      "python3",
      "echo \"ModuleNotFoundError: No module named 'torch'\" >&2; exit 1",
    );
    const { code, stderr } = await report(["--peers", "--python", python], dir);
    assert.equal(code, 0, stderr);
    assert.match(stderr, /sudo apt-get install python3-torch libopenblas0-openmp/);
    const md = await Deno.readTextFile(join(dir, "REPORT.md"));
    assert.match(md, /PyTorch was not found \(tried .*No module named 'torch'\)/);
    assert.match(md, /apt-get install python3-torch libopenblas0-openmp/);
    await assert.rejects(Deno.stat(join(dir, "peers.csv")), Deno.errors.NotFound);
    for (const f of ["ratios.csv", "steps.csv", "ratio.svg"]) await Deno.stat(join(dir, f));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("bench:report --quick --peers writes peers.csv: two rows per configuration", async () => {
  const dir = await Deno.makeTempDir();
  try {
    // a "Python with torch" whose server is the stand-in: the plumbing end to end, no PyTorch
    const python = await fakePython(
      dir,
      "python3",
      `[ "$1" = "-c" ] && { echo "9.9.9 3.99.0"; exit 0; }\nexec ${FAKE_SERVER.join(" ")}`,
    );
    const { code, stderr } = await report(["--quick", "--peers", "--python", python], dir);
    assert.equal(code, 0, stderr);
    const header = (await Deno.readTextFile(join(dir, "peers.csv"))).split("\n")[0];
    assert.equal(header, PEER_COLUMNS.join(","));
    const rows = await readCsv(join(dir, "peers.csv"));
    assert.deepEqual(
      rows.map((r) => `${r.config} ${r.dtype}`),
      QUICK_PEER_CONFIGS.flatMap((c) => [`${c.name} f64`, `${c.name} f32`]),
    );
    assert.ok(rows.every((r) => r.torch_ms === 1 && r.rounds === 5)); // the stand-in's 1 ms
    const md = await Deno.readTextFile(join(dir, "REPORT.md"));
    assert.match(md, /PyTorch 9\.9\.9 \(Python 3\.99\.0/);
    assert.match(md, /`deno task bench:report --from \S+ --out \S+ --quick --peers --python /);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

const torch = await findTorchPython();

Deno.test({
  name: "PyTorch's step computes sgdlab's mean loss and gradient (f64, both losses)",
  ignore: !("found" in torch),
  async fn() {
    if (!("found" in torch)) return;
    const server = PeerServer.start(peerServerArgv(torch.found.python));
    try {
      for (
        const [sizes, activation, loss] of [
          [[3, 4, 4, 1], "tanh", "squaredError"],
          [[5, 4, 3], "relu", "softmaxCrossEntropy"],
        ] as const
      ) {
        const random = new Random(7), batch = 6;
        const net = Mlp.create(sizes, { random, activation });
        // nonzero biases, so that the bias column is checked too
        for (const t of net.thetas) for (let i = 0; i < t.rows; i++) t.set(i, t.cols - 1, 0.1 * i);
        const x = random.normalMatrix(sizes[0], batch);
        const out = sizes[sizes.length - 1];
        const y = loss === "squaredError"
          ? random.normalMatrix(out, batch)
          : oneHot(Array.from({ length: batch }, () => random.int(out)), out);
        const ours = net.lossAndGradient(x, y, { loss });
        const theirs = await server.request({
          cmd: "check",
          sizes,
          activation,
          loss,
          batch,
          thetas: net.thetas.map((t: Matrix) => Array.from(t.data)),
          x: Array.from(x.data),
          y: Array.from(y.data),
        });
        // the same sums in another order, over at most 6 terms and 3 layers, entries O(1):
        // a few hundred ulps of 1 at most
        const tol = { rtol: 1e-12, atol: 1e-13 };
        assertClose(theirs.loss as number, ours.loss, { ...tol, what: `${loss} loss` });
        (theirs.grads as number[][]).forEach((g, l) =>
          assertClose(g, ours.grads[l].data, { ...tol, what: `${loss} ∇θ_${l + 1}` })
        );
      }
    } finally {
      await server.close();
    }
  },
});
