import assert from "node:assert/strict";
import { join } from "node:path";
import type { CombinedReproduction } from "@lib/experiments/pipeline.ts";
import { writeReport } from "@lib/experiments/report.ts";

const script = new URL("../lib/experiments/repro.ts", import.meta.url).pathname;

interface Result {
  code: number;
  signal: Deno.Signal | null;
  stdout: string;
  stderr: string;
}

async function repro(
  args: string[],
  env: Record<string, string> = {},
  options: { readOnly?: string } = {},
): Promise<Result> {
  const deno = [Deno.execPath(), "run", "--allow-read", "--allow-write", "--allow-env"];
  const argv = [...deno, "--allow-run", script, ...args];
  // readOnly: run in a mount namespace where that folder is a read-only bind mount
  const remount = 'mount --bind "$1" "$1" && mount -o remount,ro,bind "$1" && shift && exec "$@"';
  const [cmd, ...rest] = options.readOnly
    ? ["unshare", "-m", "sh", "-c", remount, "sh", options.readOnly, ...argv]
    : argv;
  const out = await new Deno.Command(cmd, {
    args: rest,
    env: { SGDLAB_SELFTEST: "1", NO_COLOR: "1", CI: "true", ...env },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decode = (b: Uint8Array) => new TextDecoder().decode(b);
  return {
    code: out.code,
    signal: out.signal,
    stdout: decode(out.stdout),
    stderr: decode(out.stderr),
  };
}

/** Whether this user may make mount namespaces (root on Linux, outside a locked-down sandbox). */
async function canUnshare(): Promise<boolean> {
  try {
    const r = await new Deno.Command("unshare", { args: ["-m", "true"], stderr: "null" }).output();
    return r.success;
  } catch {
    return false;
  }
}

async function ok(args: string[]): Promise<string> {
  const r = await repro(args);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  return r.stdout;
}

function names(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].map((e) => e.name).sort();
  } catch {
    return [];
  }
}

/** Every file of a folder, name → bytes (empty when the folder is missing). */
function snapshot(dir: string): Record<string, Uint8Array> {
  return Object.fromEntries(names(dir).map((n) => [n, Deno.readFileSync(join(dir, n))]));
}

const selftest = ["--only", "selftest", "--workers", "2"];

Deno.test("seed 1, then seed 2, then seed 1 again into one --out: the third run reuses seed 1's units, and another profile adds its own files", async () => {
  const out = await Deno.makeTempDir();
  try {
    const units = join(out, "units", "selftest");
    assert.match(await ok([...selftest, "--seed", "1", "--out", out]), /ran 6 units, reused 0/);
    const seed1 = snapshot(join(out, "selftest"));
    assert.match(await ok([...selftest, "--seed", "2", "--out", out]), /ran 6 units, reused 0/);
    assert.notDeepEqual(snapshot(join(out, "selftest"))["moments.csv"], seed1["moments.csv"]);
    assert.match(await ok([...selftest, "--full", "--out", out]), /ran 6 units, reused 0/);
    assert.match(await ok([...selftest, "--seed", "1", "--out", out]), /ran 0 units, reused 6/);
    assert.deepEqual(names(units), ["full-seed1", "quick-seed1", "quick-seed2"]);
    for (const folder of names(units)) {
      assert.equal(names(join(units, folder)).length, 6, folder);
      for (const file of names(join(units, folder))) {
        assert.match(file, /^unit-[0-5]\.[0-9a-f]{12}\.json$/);
      }
    }
    assert.deepEqual(snapshot(join(out, "selftest")), seed1);
    assert.match(await Deno.readTextFile(join(out, "REPORT.md")), /## selftest/);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("repro:merge takes a unit only when its key is the planned one: a seed-2 unit put in seed 1's place and a truncated unit are refused by name, and a valid unit is never overwritten", async () => {
  const base = await Deno.makeTempDir();
  try {
    const [a, b, from, empty] = ["a", "b", "from", "empty"].map((n) => join(base, n));
    await ok([...selftest, "--seed", "1", "--out", a]);
    await ok([...selftest, "--seed", "2", "--out", b]);
    const seed1 = join("units", "selftest", "quick-seed1"),
      seed2 = join("units", "selftest", "quick-seed2");
    const planned = names(join(a, seed1)); // unit-0.<key>.json … unit-5.<key>.json
    const valid = snapshot(join(a, seed1));
    await Deno.mkdir(join(from, seed1), { recursive: true });
    await Deno.mkdir(join(from, seed2), { recursive: true });
    for (const n of names(join(b, seed2))) {
      await Deno.copyFile(join(b, seed2, n), join(from, seed2, n));
    }
    // unit-0's place holds seed 2's unit-0; unit-1's holds a truncated copy; unit-2..5 are valid
    const other = names(join(b, seed2)).find((n) => n.startsWith("unit-0."))!;
    await Deno.copyFile(join(b, seed2, other), join(from, seed1, planned[0]));
    await Deno.writeTextFile(
      join(from, seed1, planned[1]),
      new TextDecoder().decode(valid[planned[1]]).slice(0, 50),
    );
    for (const n of planned.slice(2)) await Deno.copyFile(join(a, seed1, n), join(from, seed1, n));

    const into = await repro(["--merge", "--only", "selftest", "--out", a, "--from", from]);
    assert.equal(into.code, 0, into.stderr);
    assert.match(
      into.stderr,
      new RegExp(
        `refused ${join(from, seed1, planned[0])}: made for seed 2, profile quick, not seed 1`,
      ),
    );
    assert.match(
      into.stderr,
      new RegExp(
        `refused ${
          join(from, seed1, planned[1])
        }: not a complete unit record \\(truncated or corrupt JSON\\)`,
      ),
    );
    assert.match(
      into.stdout,
      /took 0 unit outputs .*; 4 were already here; refused 2; left 6 of other seeds, profiles or code apart/,
    );
    assert.deepEqual(snapshot(join(a, seed1)), valid);

    const fresh = await repro(["--merge", "--only", "selftest", "--out", empty, "--from", from]);
    assert.equal(fresh.code, 1);
    assert.match(fresh.stdout, /took 4 unit outputs/);
    assert.equal(fresh.stderr.trim().split("\n").filter((l) => !l.includes("refused")).length, 1);
    assert.match(
      fresh.stderr,
      /cannot combine selftest: 2 of 6 units have no output for seed 1, profile quick \(unit-0, unit-1\)/,
    );
    assert.deepEqual(names(join(empty, seed1)), planned.slice(2));
  } finally {
    await Deno.remove(base, { recursive: true });
  }
});

Deno.test("a kill at any step of replacing a combined set leaves the old set or the new one whole, never a mix, and a rerun repairs and completes", async () => {
  const out = await Deno.makeTempDir();
  try {
    const set = join(out, "selftest"), staging = join(out, ".repro", "staging");
    const killAt = async (seed: string, step: string) => {
      const r = await repro([...selftest, "--seed", seed, "--out", out], {
        SGDLAB_SELFTEST_KILL_AT: step,
      });
      assert.equal(r.signal, "SIGKILL", `killed at ${step}: ${r.stdout}${r.stderr}`);
    };
    await ok([...selftest, "--seed", "1", "--out", out]);
    const s1 = snapshot(set);
    assert.deepEqual(Object.keys(s1), ["NOTES.md", "moments.csv", "moments.png", "moments.svg"]);

    // killed after the first file of the new set: the old set is untouched
    await killAt("2", "file-written");
    assert.deepEqual(snapshot(set), s1);
    assert.match(
      await ok([...selftest, "--seed", "2", "--out", out]),
      /repaired: removed an unfinished set of selftest/,
    );
    const s2 = snapshot(set);
    assert.notDeepEqual(s2["moments.csv"], s1["moments.csv"]);
    assert.notDeepEqual(s2["NOTES.md"], s1["NOTES.md"]);
    assert.deepEqual(names(staging), []);

    // killed between the two renames: no set in place, the old one whole in staging
    await killAt("1", "old-moved");
    assert.deepEqual(names(set), []);
    const [newer, older] = names(staging); // "<name>.<uuid>.new" sorts before ".old"
    assert.match(older, /^selftest\.[0-9a-f-]{36}\.old$/);
    assert.deepEqual(snapshot(join(staging, older)), s2);
    assert.deepEqual(snapshot(join(staging, newer)), s1);
    assert.match(
      await ok([...selftest, "--seed", "1", "--out", out]),
      /repaired: put back the set of selftest/,
    );
    assert.deepEqual(snapshot(set), s1);

    // killed after the new set is in place: the new set is whole, the old one is cleaned up
    await killAt("2", "new-placed");
    assert.deepEqual(snapshot(set), s2);
    assert.match(
      await ok([...selftest, "--seed", "2", "--out", out]),
      /repaired: removed the replaced set of selftest/,
    );
    assert.deepEqual(snapshot(set), s2);
    assert.deepEqual(names(staging), []);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("REPORT.md keeps the latest section of every reproduction: a run of one updates its section and leaves the others'", async () => {
  const out = await Deno.makeTempDir();
  const part = (name: string, value: number): CombinedReproduction => ({
    reproduction: { name, description: `${name} reproduces.`, run: () => Promise.reject() },
    output: { tables: { t: [{ value }] }, charts: {}, notes: { t: `Reading of ${name}.` } },
    files: [],
    seconds: value,
    units: 1,
  });
  const section = (md: string, name: string) =>
    md.match(new RegExp(`## ${name}\\n[^]*?(?=\\n## |$)`))![0];
  try {
    for (const name of ["first", "second", "third"]) await Deno.mkdir(join(out, name));
    const order = ["first", "second", "third"];
    const info = { out, profile: "quick", totalSeconds: 1, order };
    await writeReport([part("second", 21), part("first", 11)], { ...info, seed: 1 });
    const before = await Deno.readTextFile(join(out, "REPORT.md"));
    assert.deepEqual([...before.matchAll(/^## (\w+)/gm)].map((m) => m[1]), ["first", "second"]);
    await writeReport([part("second", 22)], { ...info, seed: 2 });
    const after = await Deno.readTextFile(join(out, "REPORT.md"));
    assert.deepEqual([...after.matchAll(/^## (\w+)/gm)].map((m) => m[1]), ["first", "second"]);
    assert.match(after, /commit .* · seed 2 · profile quick/);
    assert.match(after, /\| first \| 1 \| 11\.0 \|\n\| second \| 1 \| 22\.0 \|/);
    assert.equal(
      section(after, "first"),
      section(before, "first").replace(
        "first reproduces.\n",
        "first reproduces.\n\nFrom an earlier run: commit " +
          before.match(/^commit (\S+)/m)![1] + " · seed 1 · profile quick.\n",
      ),
    );
    assert.match(section(after, "second"), /\| 22 \|/);
    assert.doesNotMatch(section(after, "second"), /From an earlier run/);
    // a set removed from the results folder takes its section out of the report
    await Deno.remove(join(out, "first"));
    await writeReport([part("third", 31)], { ...info, seed: 1 });
    const last = await Deno.readTextFile(join(out, "REPORT.md"));
    assert.deepEqual([...last.matchAll(/^## (\w+)/gm)].map((m) => m[1]), ["second", "third"]);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
});

Deno.test("--out that is a file, has a missing parent, or cannot be written fails at once with exit code 2, before any unit runs", async () => {
  const base = await Deno.makeTempDir();
  try {
    const file = join(base, "file");
    await Deno.writeTextFile(file, "");
    const locked = join(base, "locked");
    await Deno.mkdir(locked, { mode: 0o555 });
    let readOnly: string | undefined;
    try {
      await Deno.writeTextFile(join(locked, "probe"), ""); // root writes anyway:
      await Deno.remove(join(locked, "probe"));
      readOnly = locked; // make it a read-only mount instead
    } catch {
      // the folder is unwritable for this user, as intended
    }
    const tryLocked = readOnly === undefined || await canUnshare();
    const cases: [string, RegExp][] = [
      [file, /--out: cannot use .*file as results folder: it is a file, not a folder/],
      [join(base, "no", "results"), /its parent folder .*no does not exist; create it first/],
    ];
    if (tryLocked) cases.push([locked, /cannot write in results folder .*locked/]);
    else console.log("  (no unwritable folder for root without mount namespaces: case skipped)");
    for (const [out, message] of cases) {
      const r = await repro([...selftest, "--out", out], {}, {
        readOnly: out === locked ? readOnly : undefined,
      });
      assert.equal(r.code, 2, `${out}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, message);
      assert.equal(r.stderr.trim().split("\n").length, 1, r.stderr);
      assert.equal(r.stdout, "", "nothing ran");
    }
    assert.deepEqual(names(base), ["file", "locked"]);
  } finally {
    await Deno.chmod(join(base, "locked"), 0o755);
    await Deno.remove(base, { recursive: true });
  }
});
