/**
 * Strict command lines for the project's commands (`repro`, `repro:merge`, `notebooks`): every
 * flag is known, given at most once unless it is declared repeatable, and numbers are plain
 * decimal integers in a stated range. A bad command line is a {@link UsageError}, which the
 * commands report in one line with exit code 2 (runtime failures exit with 1).
 *
 * @module
 */

/**
 * A command line that cannot be used as given; commands exit with code 2 on it.
 *
 * @example
 * ```ts
 * import { UsageError } from "@lib/experiments/flags.ts";
 * import assert from "node:assert/strict";
 * const e = new UsageError("--seed: '' is not a decimal integer from 0 to 9");
 * assert.ok(e instanceof RangeError);
 * assert.equal(String(e), "UsageError: --seed: '' is not a decimal integer from 0 to 9");
 * ```
 */
export class UsageError extends RangeError {
  override name = "UsageError";
}

/** One flag: a string value (`--out DIR` or `--out=DIR`) or a switch (`--full`). */
export interface FlagSpec {
  /** "string" takes a value; "boolean" takes none. */
  type: "string" | "boolean";
  /** May be given several times (then every value is kept, in order). */
  repeatable?: boolean;
  /** A one-letter alias, e.g. "h" for `-h`. */
  short?: string;
}

/** The values of the flags of `S`: a switch is a boolean, a value flag a list of its values. */
export type FlagValues<S extends Record<string, FlagSpec>> = {
  [K in keyof S]: S[K]["type"] extends "boolean" ? boolean : string[];
};

/**
 * Parses `args` against `spec`. Values are kept as given (no trimming, no number parsing).
 *
 * @param options.positionals allow arguments that are not flags (default false)
 * @throws {UsageError} for an unknown flag, a flag given twice that is not repeatable, a value
 * flag without a value, a switch given a value, or an argument that is not a flag
 * @example
 * ```ts
 * import { parseFlags } from "@lib/experiments/flags.ts";
 * import assert from "node:assert/strict";
 * const spec = { out: { type: "string" }, full: { type: "boolean" } } as const;
 * const { values } = parseFlags(["--out=r", "--full"], spec);
 * assert.deepEqual(values, { out: ["r"], full: true });
 * assert.throws(() => parseFlags(["--out", "a", "--out", "b"], spec), /--out given twice/);
 * assert.throws(() => parseFlags(["--out"], spec), /--out needs a value/);
 * assert.throws(() => parseFlags(["--fast"], spec), /unknown flag '--fast'/);
 * assert.throws(() => parseFlags(["x"], spec), /unexpected argument 'x'/);
 * ```
 */
export function parseFlags<S extends Record<string, FlagSpec>>(
  args: readonly string[],
  spec: S,
  options: { positionals?: boolean } = {},
): { values: FlagValues<S>; positionals: string[] } {
  const values: Record<string, string[] | boolean> = {};
  for (const [name, flag] of Object.entries(spec)) {
    values[name] = flag.type === "boolean" ? false : [];
  }
  const seen = new Set<string>();
  const positionals: string[] = [];
  const shorts = new Map(Object.entries(spec).flatMap(([n, f]) => f.short ? [[f.short, n]] : []));
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    let name: string | undefined, inline: string | undefined;
    if (arg === "--") {
      if (!options.positionals && i + 1 < args.length) {
        throw new UsageError(`unexpected argument '${args[i + 1]}': only flags are accepted`);
      }
      positionals.push(...args.slice(i + 1));
      break;
    } else if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      name = eq < 0 ? arg.slice(2) : arg.slice(2, eq);
      inline = eq < 0 ? undefined : arg.slice(eq + 1);
    } else if (/^-[A-Za-z]$/.test(arg)) {
      name = shorts.get(arg.slice(1));
      if (name === undefined) throw new UsageError(`unknown flag '${arg}'`);
    } else if (arg.startsWith("-") && arg !== "-") {
      throw new UsageError(`unknown flag '${arg}'`);
    } else {
      if (!options.positionals) {
        throw new UsageError(`unexpected argument '${arg}': only flags are accepted`);
      }
      positionals.push(arg);
      continue;
    }
    const flag = Object.hasOwn(spec, name) ? spec[name] : undefined;
    if (flag === undefined) throw new UsageError(`unknown flag '--${name}'`);
    if (seen.has(name) && !flag.repeatable) {
      throw new UsageError(`--${name} given twice; give it once`);
    }
    seen.add(name);
    if (flag.type === "boolean") {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      values[name] = true;
      continue;
    }
    const value = inline ?? args[i + 1];
    if (value === undefined || (inline === undefined && value.startsWith("--"))) {
      throw new UsageError(`--${name} needs a value`);
    }
    if (inline === undefined) i++;
    (values[name] as string[]).push(value);
  }
  return { values: values as FlagValues<S>, positionals };
}

/**
 * A flag's value as a decimal integer in [min, max]: digits only, no sign, spaces, exponent,
 * base prefix or leading zero.
 *
 * @throws {UsageError} stating the flag and the range
 * @example
 * ```ts
 * import { decimalInteger } from "@lib/experiments/flags.ts";
 * import assert from "node:assert/strict";
 * assert.equal(decimalInteger("--seed", "42", { min: 0, max: 9 ** 9 }), 42);
 * for (const bad of ["", "1e3", "0x10", " 7", "-0", "07", "99999999999999999999"]) {
 *   assert.throws(
 *     () => decimalInteger("--seed", bad, { min: 0, max: 100 }),
 *     /--seed: '.*' is not a decimal integer from 0 to 100/,
 *   );
 * }
 * ```
 */
export function decimalInteger(
  flag: string,
  text: string,
  range: { min: number; max: number },
): number {
  const value = /^(0|[1-9][0-9]{0,15})$/.test(text) ? Number(text) : NaN;
  if (!(value >= range.min && value <= range.max)) {
    throw new UsageError(
      `${flag}: '${text}' is not a decimal integer from ${range.min} to ${range.max}`,
    );
  }
  return value;
}
