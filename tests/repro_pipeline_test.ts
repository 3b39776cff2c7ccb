import assert from "node:assert/strict";
import { join } from "node:path";
import { parseReproArgs } from "@lib/experiments/repro.ts";

const script = new URL("../lib/experiments/repro.ts", import.meta.url).pathname;
const env = { SGDLAB_SELFTEST: "1", NO_COLOR: "1", CI: "true" };

function command(args: string[]): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--allow-read", "--allow-write", "--allow-env", "--allow-run", script, ...args],
    env,
    stdout: "piped",
    stderr: "piped",
  });
}

async function run(args: string[]): Promise<string> {
  const out = await command(args).output();
  const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
  assert.ok(out.success, text);
  return text;
}

async function files(dir: string): Promise<Map<string, string>> {
  const map = new Map<string, string>();
  for (const name of ["selftest/moments.csv"]) {
    try {
      map.set(name, await Deno.readTextFile(join(dir, name)));
    } catch {
      // not produced by this run
    }
  }
  return map;
}

function unitsDone(dir: string, folder = "quick-seed1"): string[] {
  try {
    return [...Deno.readDirSync(join(dir, "units", "selftest", folder))].map((e) => e.name)
      .filter((n) => n.endsWith(".json"));
  } catch {
    return [];
  }
}

Deno.test("a repro run killed part-way and rerun gives complete output identical to an uninterrupted run, without redoing finished units", async () => {
  const base = await Deno.makeTempDir();
  try {
    const killed = join(base, "killed"), clean = join(base, "clean");
    const child = command(["--only", "selftest", "--workers", "1", "--out", killed]).spawn();
    const output = child.output(); // also tells when the run ended on its own
    let ended = false;
    output.then(() => (ended = true), () => (ended = true));
    while (unitsDone(killed).length < 2 && !ended) await new Promise((r) => setTimeout(r, 10));
    if (ended) {
      const out = await output;
      const text = new TextDecoder().decode(out.stdout) + new TextDecoder().decode(out.stderr);
      assert.fail(`the run ended before it could be killed (exit ${out.code}):\n${text}`);
    }
    child.kill("SIGKILL");
    await output;
    const before = unitsDone(killed).length;
    assert.ok(before >= 2 && before < 6, `the kill interrupted the run (${before} of 6 units)`);
    const rerun = await run(["--only", "selftest", "--workers", "1", "--out", killed]);
    assert.match(rerun, new RegExp(`ran ${6 - before} units, reused ${before} already done`));
    await run(["--only", "selftest", "--workers", "2", "--out", clean]);
    assert.deepEqual(await files(killed), await files(clean));
    assert.equal(unitsDone(killed).length, 6);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("repro shards 1/3, 2/3, 3/3 merged equal one unsharded run", async () => {
  const base = await Deno.makeTempDir();
  try {
    const from: string[] = [];
    for (const k of [1, 2, 3]) {
      const dir = join(base, `shard${k}`);
      const text = await run(["--only", "selftest", "--shard", `${k}/3`, "--out", dir]);
      assert.match(text, new RegExp(`shard ${k}/3 done`));
      from.push("--from", dir);
    }
    const merged = join(base, "merged"), single = join(base, "single");
    await run(["--merge", "--only", "selftest", "--out", merged, ...from]);
    await run(["--only", "selftest", "--out", single, "--workers", "2"]);
    const a = await files(merged), b = await files(single);
    assert.equal(a.size, 1);
    assert.deepEqual(a, b);
    assert.match(await Deno.readTextFile(join(merged, "REPORT.md")), /## selftest/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("two repro runs with the same seed give byte-identical CSVs; another seed differs", async () => {
  const base = await Deno.makeTempDir();
  try {
    await run(["--only", "selftest", "--out", join(base, "a"), "--seed", "7", "--workers", "1"]);
    await run(["--only", "selftest", "--out", join(base, "b"), "--seed", "7", "--workers", "2"]);
    await run(["--only", "selftest", "--out", join(base, "c"), "--seed", "8"]);
    const a = await files(join(base, "a")), b = await files(join(base, "b"));
    assert.deepEqual(a, b);
    assert.notEqual(
      a.get("selftest/moments.csv"),
      (await files(join(base, "c"))).get("selftest/moments.csv"),
    );
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a corrupt unit file is recomputed, and merging with a unit missing names it", async () => {
  const base = await Deno.makeTempDir();
  try {
    await run(["--only", "selftest", "--out", base, "--workers", "1"]);
    const name = unitsDone(base).find((n) => n.startsWith("unit-3."))!;
    const unit = join(base, "units", "selftest", "quick-seed1", name);
    const good = await Deno.readTextFile(unit);
    const table = await files(base);
    await Deno.writeTextFile(unit, good.slice(0, 40));
    assert.match(await run(["--only", "selftest", "--out", base]), /ran 1 units, reused 5/);
    const output = (text: string) => JSON.stringify(JSON.parse(text).output);
    assert.equal(output(await Deno.readTextFile(unit)), output(good));
    assert.deepEqual(await files(base), table);
    await Deno.remove(unit);
    const out = await command(["--merge", "--only", "selftest", "--out", base]).output();
    assert.equal(out.success, false);
    assert.match(new TextDecoder().decode(out.stderr), /1 of 6 units have no output .*unit-3/);
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("bad repro flags give a usage error naming the flag", () => {
  assert.throws(() => parseReproArgs(["--only", "nothing"]), /--only: unknown reproduction/);
  assert.throws(() => parseReproArgs(["--shard", "3/2"]), /--shard: '3\/2'/);
  assert.throws(() => parseReproArgs(["--shard", "0/2"]), /--shard: '0\/2'/);
  assert.throws(
    () => parseReproArgs(["--workers", "0"]),
    /--workers: '0' is not a decimal integer/,
  );
  assert.throws(() => parseReproArgs(["--seed", "x"]), /--seed: 'x'/);
  assert.throws(() => parseReproArgs(["--bogus"]), /unknown flag '--bogus'/);
  assert.throws(() => parseReproArgs(["--from", "x"]), /--from: only with repro:merge/);
});
