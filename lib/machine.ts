/**
 * What a timing ran on: the CPU (from /proc/cpuinfo), its cores and vector extensions, and the
 * Deno, V8 and TypeScript versions. Timing reports print it beside their tables.
 *
 * @module
 */

/** The machine and runtime of a measurement. */
export interface MachineInfo {
  /** CPU model name, or "unknown" when /proc/cpuinfo cannot be read. */
  cpu: string;
  /** Logical cores the runtime sees. */
  cores: number;
  /** Of avx2, fma and avx512f, those the CPU reports. */
  vectorFlags: string[];
  /** Reported clock in MHz (the first core's), or null. */
  mhz: number | null;
  /** `Deno.version.deno`. */
  deno: string;
  /** `Deno.version.v8`. */
  v8: string;
  /** `Deno.version.typescript`. */
  typescript: string;
  /** `Deno.build.target`. */
  target: string;
}

/**
 * Reads the CPU model, clock and flags from the text of /proc/cpuinfo.
 *
 * @example
 * ```ts
 * import { parseCpuinfo } from "@lib/machine.ts";
 * import assert from "node:assert/strict";
 * const text = "processor\t: 0\nmodel name\t: Some CPU\ncpu MHz\t\t: 3200.000\nflags\t\t: sse fma avx2\n";
 * assert.deepEqual(parseCpuinfo(text), { cpu: "Some CPU", mhz: 3200, vectorFlags: ["avx2", "fma"] });
 * ```
 */
export function parseCpuinfo(
  text: string,
): { cpu: string; mhz: number | null; vectorFlags: string[] } {
  const field = (name: string) => {
    const match = new RegExp(`^${name}\\s*:\\s*(.*)$`, "m").exec(text);
    return match ? match[1].trim() : null;
  };
  const flags = new Set((field("flags") ?? "").split(/\s+/));
  const mhz = Number(field("cpu MHz"));
  return {
    cpu: field("model name") ?? "unknown",
    mhz: field("cpu MHz") !== null && Number.isFinite(mhz) ? mhz : null,
    vectorFlags: ["avx2", "fma", "avx512f"].filter((f) => flags.has(f)),
  };
}

/**
 * /proc/cpuinfo, or "" where it cannot be read. Deno 2.9 wants `--allow-all` to read /proc
 * directly, so with narrower permissions it asks `cat` (`--allow-run`).
 */
function readCpuinfo(): string {
  try {
    if (Deno.permissions.querySync({ name: "read", path: "/proc/cpuinfo" }).state === "granted") {
      return Deno.readTextFileSync("/proc/cpuinfo");
    }
  } catch {
    // no --allow-all, or not Linux: try a subprocess
  }
  try {
    // ask no question at a terminal: only run cat when already allowed to
    if (Deno.permissions.querySync({ name: "run", command: "cat" }).state !== "granted") return "";
    const { success, stdout } = new Deno.Command("cat", {
      args: ["/proc/cpuinfo"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return success ? new TextDecoder().decode(stdout) : "";
  } catch {
    return "";
  }
}

/**
 * The machine this process runs on. Reads /proc/cpuinfo (with `--allow-all`, or `--allow-run`
 * for `cat`), and reports the CPU as "unknown" where it cannot.
 *
 * @example
 * ```ts
 * import { machineInfo } from "@lib/machine.ts";
 * import assert from "node:assert/strict";
 * const m = machineInfo();
 * assert.equal(m.deno, Deno.version.deno);
 * assert.ok(m.cores >= 1);
 * ```
 */
export function machineInfo(): MachineInfo {
  const text = readCpuinfo();
  const cpuinfo = parseCpuinfo(text);
  const processors = (text.match(/^processor\s*:/gm) ?? []).length;
  return {
    ...cpuinfo,
    cores: navigator.hardwareConcurrency ?? processors,
    deno: Deno.version.deno,
    v8: Deno.version.v8,
    typescript: Deno.version.typescript,
    target: Deno.build.target,
  };
}

/**
 * One line describing a machine, for report headers.
 *
 * @example
 * ```ts
 * import { describeMachine } from "@lib/machine.ts";
 * import assert from "node:assert/strict";
 * const line = describeMachine({
 *   cpu: "X", cores: 2, vectorFlags: ["avx2", "fma"], mhz: 2600, deno: "2.9.6", v8: "15.0",
 *   typescript: "6.0.3", target: "x86_64-unknown-linux-gnu",
 * });
 * assert.equal(line, "X, 2 cores (avx2, fma), 2600 MHz; Deno 2.9.6 (V8 15.0, TypeScript 6.0.3) on x86_64-unknown-linux-gnu");
 * ```
 */
export function describeMachine(m: MachineInfo): string {
  const flags = m.vectorFlags.length > 0 ? ` (${m.vectorFlags.join(", ")})` : "";
  const mhz = m.mhz === null ? "" : `, ${Math.round(m.mhz)} MHz`;
  return `${m.cpu}, ${m.cores} cores${flags}${mhz}; Deno ${m.deno} (V8 ${m.v8}, TypeScript ${m.typescript}) on ${m.target}`;
}
