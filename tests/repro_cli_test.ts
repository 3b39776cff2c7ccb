import assert from "node:assert/strict";
import { join } from "node:path";
import { parseReproArgs, SEED_MAX } from "@lib/experiments/repro.ts";

const script = new URL("../lib/experiments/repro.ts", import.meta.url).pathname;

async function repro(args: string[], env: Record<string, string> = {}) {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-run", script, ...args],
    env: { SGDLAB_SELFTEST: "1", NO_COLOR: "1", CI: "true", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return { code: out.code, stdout: decode(out.stdout), stderr: decode(out.stderr) };
}

Deno.test("repro refuses --seed '', 1e3, 0x10, ' 7', -0, 07, 1.0 and 99999999999999999999 and states the range", () => {
  assert.equal(SEED_MAX, 4294967295);
  for (
    const bad of ["", "1e3", "0x10", " 7", "7 ", "-0", "-5", "07", "1.0", "99999999999999999999"]
  ) {
    assert.throws(
      () => parseReproArgs([`--seed=${bad}`]),
      new RegExp(
        `^UsageError: --seed: '${
          bad.replace(".", "\\.")
        }' is not a decimal integer from 0 to 4294967295$`,
      ),
      bad,
    );
  }
  assert.throws(() => parseReproArgs(["--seed", "4294967296"]), /from 0 to 4294967295/);
  assert.equal(parseReproArgs(["--seed", "4294967295"]).seed, SEED_MAX);
  assert.equal(parseReproArgs(["--seed", "0"]).seed, 0);
  assert.equal(parseReproArgs([]).seed, 1);
});

Deno.test("repro refuses every flag given twice except the repeatable --only and --from", () => {
  const twice: string[][] = [
    ["--seed", "1", "--seed", "2"],
    ["--seed", "1", "--seed", "1"],
    ["--workers", "1", "--workers", "2"],
    ["--out", "a", "--out", "b"],
    ["--shard", "1/2", "--shard", "2/2"],
    ["--full", "--full"],
    ["--publish", "--publish"],
    ["--merge", "--merge"],
  ];
  for (const args of twice) {
    assert.throws(() => parseReproArgs(args), new RegExp(`${args[0]} given twice; give it once`));
  }
  assert.throws(
    () => parseReproArgs(["--merge", "--from", "x", "--from", "./x"]),
    /--from: '.*\/x' given twice/,
  );
});

Deno.test("repeating --only selects several reproductions in registry order; an unknown or repeated name is refused", () => {
  assert.deepEqual(
    parseReproArgs(["--only", "importance", "--only", "computation_graphs"]).only,
    ["computation_graphs", "importance"],
  );
  assert.deepEqual(parseReproArgs([]).only, []);
  assert.throws(
    () => parseReproArgs(["--only", "cost", "--only", "costs"]),
    /--only: unknown reproduction 'costs'; choose from computation_graphs, cost, convergence/,
  );
  assert.throws(() => parseReproArgs(["--only", "cost", "--only", "cost"]), /'cost' given twice/);
  assert.throws(() => parseReproArgs(["--only="]), /unknown reproduction ''/);
});

Deno.test("repro --workers and --shard accept only plain decimal integers in range", () => {
  for (const bad of ["", "0", "1e1", "0x2", "02", "+2", "2.0", "1025", "99999999999999999999"]) {
    assert.throws(
      () => parseReproArgs([`--workers=${bad}`]),
      /--workers: '.*' is not a decimal integer from 1 to 1024/,
      bad,
    );
  }
  for (
    const bad of [
      "01/3",
      "1/0",
      "0/3",
      "4/3",
      "1/3/5",
      " 1/3",
      "1/03",
      "1/",
      "/3",
      "1e0/3",
      "1/100001",
    ]
  ) {
    assert.throws(
      () => parseReproArgs(["--shard", bad]),
      /--shard: '.*' is not K\/N with decimal integers 1 <= K <= N <= 100000/,
      bad,
    );
  }
  assert.deepEqual(parseReproArgs(["--shard", "3/3"]).shard, { k: 3, n: 3 });
  assert.equal(parseReproArgs(["--workers", "1024"]).workers, 1024);
});

Deno.test("repro refuses positional arguments, empty folder names, missing values and flags that do not go together", () => {
  const cases: [string[], RegExp][] = [
    [["selftest"], /unexpected argument 'selftest': only flags are accepted/],
    [["--", "x"], /unexpected argument 'x'/],
    [["--out", ""], /--out: the folder name is empty/],
    [["--merge", "--from", " "], /--from: the folder name is empty/],
    [["--seed"], /--seed needs a value/],
    [["--seed", "--full"], /--seed needs a value/],
    [["--full=yes"], /--full takes no value/],
    [["-s", "1"], /unknown flag '-s'/],
    [["--Seed", "1"], /unknown flag '--Seed'/],
    [["--merge", "--shard", "1/2"], /--shard: not with repro:merge/],
    [["--merge", "--workers", "2"], /--workers: not with repro:merge/],
    [["--from", "x"], /--from: only with repro:merge/],
    [["--shard", "1/2", "--publish"], /--publish: not with --shard/],
  ];
  for (const [args, message] of cases) {
    assert.throws(() => parseReproArgs(args), message, args.join(" "));
  }
});

Deno.test("a usage error exits 2 with one line on stderr; --help shows the usage and exits 0", async () => {
  for (
    const args of [["--seed", "1e3"], ["--only", "nope"], ["--workers", "2", "--workers", "3"]]
  ) {
    const r = await repro(args);
    assert.equal(r.code, 2, args.join(" "));
    assert.equal(r.stdout, "");
    assert.match(r.stderr, /^repro: .* \(`deno task repro --help` shows the usage\)\n$/);
  }
  const help = await repro(["--help"]);
  assert.equal(help.code, 0);
  assert.match(
    help.stdout,
    /--seed N +seed of every random draw: a decimal integer from 0 to 4294967295/,
  );
  assert.match(help.stdout, /--only NAME +run this reproduction; repeat the flag for several/);
});

Deno.test("repro:merge --from a folder that does not exist exits 2 naming that folder, before anything is written", async () => {
  const base = await Deno.makeTempDir();
  try {
    const missing = join(base, "shard-7");
    const out = join(base, "results");
    const r = await repro(["--merge", "--only", "selftest", "--out", out, "--from", missing]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, new RegExp(`^repro:merge: --from ${missing}: no such folder`));
    assert.equal(r.stderr.trim().split("\n").length, 1);
    assert.deepEqual([...Deno.readDirSync(base)], []);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a failing unit makes repro exit 1 with one line naming the unit; the stack trace goes to a log file", async () => {
  const out = await Deno.makeTempDir();
  try {
    const r = await repro(["--only", "selftest", "--workers", "1", "--out", out], {
      SGDLAB_SELFTEST_FAIL: "unit-3",
    });
    assert.equal(r.code, 1);
    const log = join(out, ".repro", "last-error.log");
    assert.equal(
      r.stderr,
      `repro: 1 unit(s) failed: selftest/unit-3: Error: selftest unit unit-3 failed on purpose ` +
        `(SGDLAB_SELFTEST_FAIL) (details in ${log})\n`,
    );
    assert.match(await Deno.readTextFile(log), /failed on purpose[^]*at .*selftest\.ts:\d+/);
    assert.match(r.stdout, /unit-3 FAILED/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("repro ends each reproduction with its folder, its counts of tables and figures and its headline; --verbose adds every file", async () => {
  const out = await Deno.makeTempDir();
  try {
    const quiet = await repro(["--only", "selftest", "--workers", "1", "--out", out]);
    assert.equal(quiet.code, 0, quiet.stderr);
    const folder = join(out, "selftest");
    assert.match(
      quiet.stdout,
      new RegExp(
        `\\nselftest: pipeline self-test[^\\n]*\\n  ${folder}: 1 table, 1 figure\\n` +
          "  6 units, mean of their sample means -?\\d\\.\\d{4}\\nreport: ",
      ),
    );
    assert.doesNotMatch(quiet.stdout, /wrote/);
    const verbose = await repro(["--only", "selftest", "--out", out, "--verbose"]);
    assert.equal(verbose.code, 0, verbose.stderr);
    for (const file of ["moments.csv", "moments.svg", "moments.png", "NOTES.md"]) {
      assert.match(verbose.stdout, new RegExp(`  wrote ${join(folder, file)}\\n`));
    }
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});
