/**
 * Helpers for tests that measure a kernel's error in ulp against a high-precision reference:
 * mathjs BigNumbers of 45 significant digits (about 150 bits), so that the reference's own error
 * is far below an ulp.
 *
 * @module
 */
import { all, type BigNumber, create } from "mathjs";

/** mathjs with 45-digit BigNumbers. */
export const math = create(all, { number: "BigNumber", precision: 45 });

/** A BigNumber from a decimal string or a number. */
export const big = (s: string | number): BigNumber => math.bignumber(s) as BigNumber;

/** The 64 bits of a double as a signed integer: adjacent doubles of one sign differ by 1. */
export function bits(x: number): bigint {
  return new BigInt64Array(Float64Array.of(x).buffer)[0];
}

/** Position of a finite double on the line of all doubles, ±0 at 0 (adjacent doubles differ by 1). */
function rank(x: number): bigint {
  return x < 0 ? -bits(-x) : bits(Math.abs(x));
}

/** Distance in ulps between two finite doubles: how many doubles apart they are. */
export function ulpDistance(a: number, b: number): number {
  const d = rank(a) - rank(b);
  return Number(d < 0n ? -d : d);
}

/** The exact value of a finite double, m·2^e with m an integer, as a BigNumber. */
export function exact(x: number): BigNumber {
  if (x === 0) return big(0);
  const b = bits(Math.abs(x));
  const biased = Number(b >> 52n), fraction = b & ((1n << 52n) - 1n);
  const m = biased === 0 ? fraction : fraction | (1n << 52n);
  const e = biased === 0 ? -1074 : biased - 1075;
  const value = math.multiply(big(m.toString()), math.pow(big(2), big(e))) as BigNumber;
  return x < 0 ? (math.unaryMinus(value) as BigNumber) : value;
}

/** The unit in the last place of the binade of |y| (y a double; the subnormal ulp for 0). */
export function ulp(y: number): BigNumber {
  const biased = Number(bits(Math.abs(y)) >> 52n);
  return math.pow(big(2), big(Math.max(biased, 1) - 1075)) as BigNumber;
}

/** |y − reference| in ulps of the correctly rounded reference (0 when both are 0). */
export function ulpError(y: number, reference: BigNumber): number {
  const rounded = Number(reference.toString()); // 45 digits, then nearest
  return Number(
    (math.divide(math.abs(math.subtract(exact(y), reference)), ulp(rounded)) as BigNumber)
      .toString(),
  );
}
