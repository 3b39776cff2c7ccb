;; The activations' elementwise maps in double precision, for sgdlab's lib/elementwise_kernel.ts
;; (and lib/tanh_kernel.ts): `tanh` first, then relu, relu′ ∘ g, tanh′ ∘ g and sigmoid′ ∘ g, the
;; SGD update's axpy (lib/kernels/loops.ts), and the logistic family (sigmoid, softplus,
;; softplus′ ∘ g) at the end of the file.
;;
;; Assembled by `deno task build:wasm` (tools/build_wasm.ts) into lib/wasm/tanh_wasm.ts.
;; Needs WebAssembly SIMD and relaxed SIMD (f64x2.relaxed_madd, i64x2.relaxed_laneselect) and a
;; shared memory (imported as env.memory). Every map takes byte offsets and writes exactly
;; dst[0, count): the caller either stages plain arrays through a memory of their own (one or two
;; inputs copied in, the result copied out) or, for arrays that live in the products' memory,
;; passes their offsets and maps them in place.
;;
;; Two lanes at a time, both formulas evaluated for both lanes and one chosen per lane (no
;; branch), with a = |x| and the sign of x put back at the end (tanh is odd; −0 stays −0):
;;
;; - a < 0.875: tanh a = a + a·z·P(z)/Q(z), z = a². P/Q = (tanh(a)/a − 1)/z comes from the [4/4]
;;   Padé approximant N/D of tanh(a)/a, Lambert's continued fraction 1/(1 + z/(3 + z/(5 + …)))
;;   cut after z/17: P = (N − D)/z, Q = D, exact rationals below. Its relative error is below
;;   3e-18 there. The correction a·z·P/Q is at most 18 % of a and of the opposite sign, so the
;;   handful of roundings in it weighs at most about a fifth of their size in the result: no
;;   cancellation near 0, and for tiny a the correction underflows and the result is a.
;;
;; - a ≥ 0.875: tanh a = 1 − U, U = 2/(e^{2a} + 1) ≤ 0.30. With 2a = k·ln 2 + r, |r| ≤ ln2/2
;;   (Cody–Waite: k·LN2HI is exact), e^r = (g + r)/(g − r) where g(r) = r·coth(r/2) is even:
;;   g = 2 + Σ 2·B_{2j}·r^{2j}/(2j)! = 2 + r²/6 − r⁴/360 + r⁶/15120 − r⁸/604800 + r¹⁰/23950080
;;   − 691·r¹²/653837184000 + …, cut after r¹² (relative error below 5e-18 for |r| ≤ ln2/2).
;;   So U = 2(g − r)/(2^k(g + r) + (g − r)); g ± r ∈ [1.6, 2.4] is computed as 2 + (h ± r),
;;   h = g − 2, with one significant rounding each, and 2^k is added to the exponent bits. U's
;;   few roundings weigh at most 0.3 of their size in 1 − U. a is clamped to 22 first: from
;;   a > 19.07 on, U < 2^-54 and 1 − U rounds to exactly 1, and e^{2a} cannot overflow.
;;
;; One division serves both formulas: result = base + num/den with (base, num, den) =
;; (a, a·z·P, Q) or (1, −2(g − r), 2^k(g + r) + (g − r)). NaN propagates through both.
;;
;; Error, to first order in the unit roundoff u = 2^-53, without fused multiply-adds: below
;; 0.875 the correction carries at most 6.2u of relative error (z, two products, P, Q, the
;; division) and |a·z·P/Q| ≤ 0.171 where the result is ≥ 0.704, so at most 1.06 ulp plus 0.5
;; for the last rounding; above, U carries at most 4.3u (g ± r, the sum, the division, r) and
;; U ≤ 0.296 where the result is ≥ 0.704: at most 1.27 + 0.5 ulp. Both stay below 2.5 ulp, so
;; every result is within 2 ulp of the correctly rounded tanh (tests/tanh_kernel_test.ts
;; measures the error against a 45-digit reference).
;; relaxed_madd is fused on machines with FMA and a multiply then an add elsewhere: the bound
;; holds either way, and a given machine always gives the same bits for the same input.
(module
  ;; The memory is imported: lib/elementwise_kernel.ts instantiates the module twice, once on a
  ;; memory of its own where it stages plain arrays, and once on the matrix products' shared
  ;; memory (lib/kernels/wasm_arena.ts), where it maps the arrays that live there in place.
  (import "env" "memory" (memory 1 65536 shared))

  ;; dst[i] = tanh(src[i]) for i < count (byte offsets; dst may equal src). Works on pairs; an
  ;; odd count's last entry is loaded and stored alone (v128.load64_zero, v128.store64_lane),
  ;; so nothing past dst[count − 1] is written nor past src[count − 1] read.
  (func $tanh (export "tanh") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $pair i32) (local $out v128)
    (local $x v128) (local $a v128) (local $z v128) (local $p v128) (local $q v128)
    (local $y v128) (local $kf v128) (local $k v128) (local $r v128) (local $w v128) (local $h v128)
    (local $gp v128) (local $gm v128) (local $small v128)
    ;; the second pair of the two-pair loop
    (local $x2 v128) (local $a2 v128) (local $z2 v128) (local $p2 v128) (local $q2 v128) (local $y2 v128) (local $kf2 v128) (local $k2 v128) (local $r2 v128) (local $w2 v128) (local $h2 v128) (local $gp2 v128) (local $gm2 v128) (local $small2 v128) (local $out2 v128)
    ;; constants, hoisted out of the loop (a v128.const inside it is rebuilt on every pass)
    (local $P0 v128) (local $P1 v128) (local $P2 v128) (local $P3 v128)
    (local $Q1 v128) (local $Q2 v128) (local $Q3 v128) (local $Q4 v128)
    (local $G1 v128) (local $G2 v128) (local $G3 v128) (local $G4 v128) (local $G5 v128)
    (local $G6 v128)
    (local $one v128) (local $two v128) (local $minus2 v128) (local $clamp v128)
    (local $switch v128) (local $invln2 v128) (local $magic v128) (local $ln2hi v128)
    (local $ln2lo v128) (local $sign v128)
    ;; P: −1/3, −2/85, −2/5355, −4/3132675; Q: 1, 8/17, 7/255, 4/9945, 1/765765
    (local.set $P0 (v128.const f64x2 -0x1.5555555555555p-2 -0x1.5555555555555p-2))
    (local.set $P1 (v128.const f64x2 -0x1.8181818181818p-6 -0x1.8181818181818p-6))
    (local.set $P2 (v128.const f64x2 -0x1.87a00187a0018p-12 -0x1.87a00187a0018p-12))
    (local.set $P3 (v128.const f64x2 -0x1.56c16d6d82d98p-20 -0x1.56c16d6d82d98p-20))
    (local.set $Q1 (v128.const f64x2 0x1.e1e1e1e1e1e1ep-2 0x1.e1e1e1e1e1e1ep-2))
    (local.set $Q2 (v128.const f64x2 0x1.c1c1c1c1c1c1cp-6 0x1.c1c1c1c1c1c1cp-6))
    (local.set $Q3 (v128.const f64x2 0x1.a5c001a5c001ap-12 0x1.a5c001a5c001ap-12))
    (local.set $Q4 (v128.const f64x2 0x1.5e8ba44745d2dp-20 0x1.5e8ba44745d2dp-20))
    ;; G_j = 2·B_{2j}/(2j)!: 1/6, −1/360, 1/15120, −1/604800, 1/23950080, −691/653837184000
    (local.set $G1 (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3))
    (local.set $G2 (v128.const f64x2 -0x1.6c16c16c16c17p-9 -0x1.6c16c16c16c17p-9))
    (local.set $G3 (v128.const f64x2 0x1.1566abc011567p-14 0x1.1566abc011567p-14))
    (local.set $G4 (v128.const f64x2 -0x1.bbd779334ef0bp-20 -0x1.bbd779334ef0bp-20))
    (local.set $G5 (v128.const f64x2 0x1.66a8f2bf70ebep-25 0x1.66a8f2bf70ebep-25))
    (local.set $G6 (v128.const f64x2 -0x1.22805d644267fp-30 -0x1.22805d644267fp-30))
    (local.set $one (v128.const f64x2 1 1))
    (local.set $two (v128.const f64x2 2 2))
    (local.set $minus2 (v128.const f64x2 -2 -2))
    (local.set $clamp (v128.const f64x2 22 22))
    (local.set $switch (v128.const f64x2 0.875 0.875))
    ;; 1/ln 2; 1.5·2^52, whose addition rounds to an integer held in the low mantissa bits;
    ;; −ln 2 = −LN2HI − LN2LO with LN2HI's last 21 bits zero, so that k·LN2HI is exact for k ≤ 64
    (local.set $invln2 (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0))
    (local.set $magic (v128.const f64x2 0x1.8p52 0x1.8p52))
    (local.set $ln2hi (v128.const f64x2 -0x1.62e42fee00000p-1 -0x1.62e42fee00000p-1))
    (local.set $ln2lo (v128.const f64x2 -0x1.a39ef35793c76p-33 -0x1.a39ef35793c76p-33))
    (local.set $sign (v128.const i64x2 0x8000000000000000 0x8000000000000000))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    ;; two pairs at a time, as long as four entries remain: the pairs' chains are independent, so
    ;; their latencies overlap (each entry's operations and bits are those of the one-pair loop)
    (block $fours
      (loop $next4
        (br_if $fours (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 32)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $x2 (v128.load offset=16 (local.get $src)))
        (local.set $a (f64x2.abs (local.get $x)))
        ;; a < 0.875: num = a·z·P(z), den = Q(z)
        (local.set $z (f64x2.mul (local.get $a) (local.get $a)))
        (local.set $p (f64x2.relaxed_madd (local.get $z) (local.get $P3) (local.get $P2)))
        (local.set $p (f64x2.relaxed_madd (local.get $z) (local.get $p) (local.get $P1)))
        (local.set $p (f64x2.relaxed_madd (local.get $z) (local.get $p) (local.get $P0)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $Q4) (local.get $Q3)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $q) (local.get $Q2)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $q) (local.get $Q1)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $q) (local.get $one)))
        (local.set $p (f64x2.mul (f64x2.mul (local.get $a) (local.get $z)) (local.get $p)))
        ;; a ≥ 0.875: y = 2·min(a, 22) = k·ln 2 + r (pmin keeps a NaN)
        (local.set $y (f64x2.pmin (local.get $a) (local.get $clamp)))
        (local.set $y (f64x2.add (local.get $y) (local.get $y)))
        (local.set $kf (f64x2.relaxed_madd (local.get $y) (local.get $invln2) (local.get $magic)))
        (local.set $k (f64x2.sub (local.get $kf) (local.get $magic)))
        (local.set $r (f64x2.relaxed_madd (local.get $k) (local.get $ln2hi) (local.get $y)))
        (local.set $r (f64x2.relaxed_madd (local.get $k) (local.get $ln2lo) (local.get $r)))
        ;; h = g − 2 = w·(G1 + w·(G2 + … + w·G6)), w = r²
        (local.set $w (f64x2.mul (local.get $r) (local.get $r)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $G6) (local.get $G5)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G4)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G3)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G2)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G1)))
        (local.set $h (f64x2.mul (local.get $w) (local.get $h)))
        (local.set $gp (f64x2.add (local.get $two) (f64x2.add (local.get $h) (local.get $r))))
        (local.set $gm (f64x2.add (local.get $two) (f64x2.sub (local.get $h) (local.get $r))))
        ;; 2^k·(g + r): k sits in the low bits of kf, shifted into the exponent field
        (local.set $gp (i64x2.add (local.get $gp) (i64x2.shl (local.get $kf) (i32.const 52))))
        ;; pick a formula per lane (the mask lanes are all ones or all zeros), divide once
        (local.set $small (f64x2.lt (local.get $a) (local.get $switch)))
        (local.set $out
          (v128.or
            (v128.and (local.get $x) (local.get $sign))
            (f64x2.add
              (i64x2.relaxed_laneselect (local.get $a) (local.get $one) (local.get $small))
              (f64x2.div
                (i64x2.relaxed_laneselect (local.get $p)
                  (f64x2.mul (local.get $gm) (local.get $minus2)) (local.get $small))
                (i64x2.relaxed_laneselect (local.get $q)
                  (f64x2.add (local.get $gp) (local.get $gm)) (local.get $small))))))
        (local.set $a2 (f64x2.abs (local.get $x2)))
        ;; a < 0.875: num = a·z·P(z), den = Q(z)
        (local.set $z2 (f64x2.mul (local.get $a2) (local.get $a2)))
        (local.set $p2 (f64x2.relaxed_madd (local.get $z2) (local.get $P3) (local.get $P2)))
        (local.set $p2 (f64x2.relaxed_madd (local.get $z2) (local.get $p2) (local.get $P1)))
        (local.set $p2 (f64x2.relaxed_madd (local.get $z2) (local.get $p2) (local.get $P0)))
        (local.set $q2 (f64x2.relaxed_madd (local.get $z2) (local.get $Q4) (local.get $Q3)))
        (local.set $q2 (f64x2.relaxed_madd (local.get $z2) (local.get $q2) (local.get $Q2)))
        (local.set $q2 (f64x2.relaxed_madd (local.get $z2) (local.get $q2) (local.get $Q1)))
        (local.set $q2 (f64x2.relaxed_madd (local.get $z2) (local.get $q2) (local.get $one)))
        (local.set $p2 (f64x2.mul (f64x2.mul (local.get $a2) (local.get $z2)) (local.get $p2)))
        ;; a ≥ 0.875: y = 2·min(a, 22) = k·ln 2 + r (pmin keeps a NaN)
        (local.set $y2 (f64x2.pmin (local.get $a2) (local.get $clamp)))
        (local.set $y2 (f64x2.add (local.get $y2) (local.get $y2)))
        (local.set $kf2 (f64x2.relaxed_madd (local.get $y2) (local.get $invln2) (local.get $magic)))
        (local.set $k2 (f64x2.sub (local.get $kf2) (local.get $magic)))
        (local.set $r2 (f64x2.relaxed_madd (local.get $k2) (local.get $ln2hi) (local.get $y2)))
        (local.set $r2 (f64x2.relaxed_madd (local.get $k2) (local.get $ln2lo) (local.get $r2)))
        ;; h = g − 2 = w·(G1 + w·(G2 + … + w·G6)), w = r²
        (local.set $w2 (f64x2.mul (local.get $r2) (local.get $r2)))
        (local.set $h2 (f64x2.relaxed_madd (local.get $w2) (local.get $G6) (local.get $G5)))
        (local.set $h2 (f64x2.relaxed_madd (local.get $w2) (local.get $h2) (local.get $G4)))
        (local.set $h2 (f64x2.relaxed_madd (local.get $w2) (local.get $h2) (local.get $G3)))
        (local.set $h2 (f64x2.relaxed_madd (local.get $w2) (local.get $h2) (local.get $G2)))
        (local.set $h2 (f64x2.relaxed_madd (local.get $w2) (local.get $h2) (local.get $G1)))
        (local.set $h2 (f64x2.mul (local.get $w2) (local.get $h2)))
        (local.set $gp2 (f64x2.add (local.get $two) (f64x2.add (local.get $h2) (local.get $r2))))
        (local.set $gm2 (f64x2.add (local.get $two) (f64x2.sub (local.get $h2) (local.get $r2))))
        ;; 2^k·(g + r): k sits in the low bits of kf, shifted into the exponent field
        (local.set $gp2 (i64x2.add (local.get $gp2) (i64x2.shl (local.get $kf2) (i32.const 52))))
        ;; pick a formula per lane (the mask lanes are all ones or all zeros), divide once
        (local.set $small2 (f64x2.lt (local.get $a2) (local.get $switch)))
        (local.set $out2
          (v128.or
            (v128.and (local.get $x2) (local.get $sign))
            (f64x2.add
              (i64x2.relaxed_laneselect (local.get $a2) (local.get $one) (local.get $small2))
              (f64x2.div
                (i64x2.relaxed_laneselect (local.get $p2)
                  (f64x2.mul (local.get $gm2) (local.get $minus2)) (local.get $small2))
                (i64x2.relaxed_laneselect (local.get $q2)
                  (f64x2.add (local.get $gp2) (local.get $gm2)) (local.get $small2))))))
        (v128.store (local.get $dst) (local.get $out))
        (v128.store offset=16 (local.get $dst) (local.get $out2))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next4)))
    ;; the last 0 to 3 entries: pairs, then a single one
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $pair (i32.ge_u (i32.sub (local.get $end) (local.get $src)) (i32.const 16)))
        (local.set $x
          (if (result v128) (local.get $pair)
            (then (v128.load (local.get $src))) (else (v128.load64_zero (local.get $src)))))
        (local.set $a (f64x2.abs (local.get $x)))
        ;; a < 0.875: num = a·z·P(z), den = Q(z)
        (local.set $z (f64x2.mul (local.get $a) (local.get $a)))
        (local.set $p (f64x2.relaxed_madd (local.get $z) (local.get $P3) (local.get $P2)))
        (local.set $p (f64x2.relaxed_madd (local.get $z) (local.get $p) (local.get $P1)))
        (local.set $p (f64x2.relaxed_madd (local.get $z) (local.get $p) (local.get $P0)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $Q4) (local.get $Q3)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $q) (local.get $Q2)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $q) (local.get $Q1)))
        (local.set $q (f64x2.relaxed_madd (local.get $z) (local.get $q) (local.get $one)))
        (local.set $p (f64x2.mul (f64x2.mul (local.get $a) (local.get $z)) (local.get $p)))
        ;; a ≥ 0.875: y = 2·min(a, 22) = k·ln 2 + r (pmin keeps a NaN)
        (local.set $y (f64x2.pmin (local.get $a) (local.get $clamp)))
        (local.set $y (f64x2.add (local.get $y) (local.get $y)))
        (local.set $kf (f64x2.relaxed_madd (local.get $y) (local.get $invln2) (local.get $magic)))
        (local.set $k (f64x2.sub (local.get $kf) (local.get $magic)))
        (local.set $r (f64x2.relaxed_madd (local.get $k) (local.get $ln2hi) (local.get $y)))
        (local.set $r (f64x2.relaxed_madd (local.get $k) (local.get $ln2lo) (local.get $r)))
        ;; h = g − 2 = w·(G1 + w·(G2 + … + w·G6)), w = r²
        (local.set $w (f64x2.mul (local.get $r) (local.get $r)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $G6) (local.get $G5)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G4)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G3)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G2)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G1)))
        (local.set $h (f64x2.mul (local.get $w) (local.get $h)))
        (local.set $gp (f64x2.add (local.get $two) (f64x2.add (local.get $h) (local.get $r))))
        (local.set $gm (f64x2.add (local.get $two) (f64x2.sub (local.get $h) (local.get $r))))
        ;; 2^k·(g + r): k sits in the low bits of kf, shifted into the exponent field
        (local.set $gp (i64x2.add (local.get $gp) (i64x2.shl (local.get $kf) (i32.const 52))))
        ;; pick a formula per lane (the mask lanes are all ones or all zeros), divide once
        (local.set $small (f64x2.lt (local.get $a) (local.get $switch)))
        (local.set $out
          (v128.or
            (v128.and (local.get $x) (local.get $sign))
            (f64x2.add
              (i64x2.relaxed_laneselect (local.get $a) (local.get $one) (local.get $small))
              (f64x2.div
                (i64x2.relaxed_laneselect (local.get $p)
                  (f64x2.mul (local.get $gm) (local.get $minus2)) (local.get $small))
                (i64x2.relaxed_laneselect (local.get $q)
                  (f64x2.add (local.get $gp) (local.get $gm)) (local.get $small))))))
        (if (local.get $pair)
          (then (v128.store (local.get $dst) (local.get $out)))
          (else (v128.store64_lane 0 (local.get $dst) (local.get $out))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))
;; The other elementwise maps of lib/elementwise_kernel.ts, on groups of 4 entries with the last
;; 0 to 3 done as a pair and a single entry (nothing past dst[count − 1] is written, nothing past
;; the inputs' count read), so that they can run in place on arrays of the products' memory.
;;
;; relu and relu′ ∘ g use only a compare and a bitwise and, so they give the bits of the scalar
;; code: and(z, z > 0) is z where z > 0 and +0 elsewhere (all-zero bits), NaN and −0 included.
;; tanh′ ∘ g = g·(1 − x·x) and sigmoid′ ∘ g = (g·x)·(1 − x) are the scalar code's operations in
;; its order, each rounded once (no fused multiply-add), so they give its bits too.
  ;; dst[i] = src[i] > 0 ? src[i] : 0
  (func $relu (export "relu") (param $src i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $zero v128) (local $one v128) (local $u v128) (local $v v128)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 32)))
        (local.set $u (v128.load (local.get $src)))
        (local.set $v (v128.load offset=16 (local.get $src)))
        (v128.store (local.get $dst) (v128.and (local.get $u) (f64x2.gt (local.get $u) (local.get $zero))))
        (v128.store offset=16 (local.get $dst) (v128.and (local.get $v) (f64x2.gt (local.get $v) (local.get $zero))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    ;; the last 0 to 3 entries: a pair, then a single one
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $src)) (i32.const 16))
      (then
        (local.set $u (v128.load (local.get $src)))
        (v128.store (local.get $dst) (v128.and (local.get $u) (f64x2.gt (local.get $u) (local.get $zero))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
    (if (i32.lt_u (local.get $src) (local.get $end))
      (then
        (local.set $u (v128.load64_zero (local.get $src)))
        (v128.store64_lane 0 (local.get $dst) (v128.and (local.get $u) (f64x2.gt (local.get $u) (local.get $zero)))))))
  ;; dst[i] = z[i] > 0 ? g[i] : 0 (relu′(z) ∘ g)
  (func $relu_backward (export "relu_backward") (param $g i32) (param $z i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $zero v128) (local $one v128)
    (local $u v128) (local $v v128) (local $s v128) (local $t v128)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $g)) (i32.const 32)))
        (local.set $u (v128.load (local.get $g)))
        (local.set $v (v128.load offset=16 (local.get $g)))
        (local.set $s (v128.load (local.get $z)))
        (local.set $t (v128.load offset=16 (local.get $z)))
        (v128.store (local.get $dst) (v128.and (local.get $u) (f64x2.gt (local.get $s) (local.get $zero))))
        (v128.store offset=16 (local.get $dst) (v128.and (local.get $v) (f64x2.gt (local.get $t) (local.get $zero))))
        (local.set $g (i32.add (local.get $g) (i32.const 32)))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    ;; the last 0 to 3 entries: a pair, then a single one
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $g)) (i32.const 16))
      (then
        (local.set $u (v128.load (local.get $g)))
        (local.set $s (v128.load (local.get $z)))
        (v128.store (local.get $dst) (v128.and (local.get $u) (f64x2.gt (local.get $s) (local.get $zero))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
    (if (i32.lt_u (local.get $g) (local.get $end))
      (then
        (local.set $u (v128.load64_zero (local.get $g)))
        (local.set $s (v128.load64_zero (local.get $z)))
        (v128.store64_lane 0 (local.get $dst) (v128.and (local.get $u) (f64x2.gt (local.get $s) (local.get $zero)))))))
  ;; dst[i] = g[i]·(1 − x[i]·x[i]) (tanh′ ∘ g from x = tanh z; x in the second argument)
  (func $tanh_backward (export "tanh_backward") (param $g i32) (param $z i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $zero v128) (local $one v128)
    (local $u v128) (local $v v128) (local $s v128) (local $t v128)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $g)) (i32.const 32)))
        (local.set $u (v128.load (local.get $g)))
        (local.set $v (v128.load offset=16 (local.get $g)))
        (local.set $s (v128.load (local.get $z)))
        (local.set $t (v128.load offset=16 (local.get $z)))
        (v128.store (local.get $dst) (f64x2.mul (local.get $u) (f64x2.sub (local.get $one) (f64x2.mul (local.get $s) (local.get $s)))))
        (v128.store offset=16 (local.get $dst) (f64x2.mul (local.get $v) (f64x2.sub (local.get $one) (f64x2.mul (local.get $t) (local.get $t)))))
        (local.set $g (i32.add (local.get $g) (i32.const 32)))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    ;; the last 0 to 3 entries: a pair, then a single one
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $g)) (i32.const 16))
      (then
        (local.set $u (v128.load (local.get $g)))
        (local.set $s (v128.load (local.get $z)))
        (v128.store (local.get $dst) (f64x2.mul (local.get $u) (f64x2.sub (local.get $one) (f64x2.mul (local.get $s) (local.get $s)))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
    (if (i32.lt_u (local.get $g) (local.get $end))
      (then
        (local.set $u (v128.load64_zero (local.get $g)))
        (local.set $s (v128.load64_zero (local.get $z)))
        (v128.store64_lane 0 (local.get $dst) (f64x2.mul (local.get $u) (f64x2.sub (local.get $one) (f64x2.mul (local.get $s) (local.get $s))))))))
  ;; dst[i] = g[i]·x[i]·(1 − x[i]) (sigmoid′ ∘ g from x = σ(z); x in the second argument)
  (func $sigmoid_backward (export "sigmoid_backward") (param $g i32) (param $z i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $zero v128) (local $one v128)
    (local $u v128) (local $v v128) (local $s v128) (local $t v128)
    (local.set $one (v128.const f64x2 1 1))
    (local.set $end (i32.add (local.get $g) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $g)) (i32.const 32)))
        (local.set $u (v128.load (local.get $g)))
        (local.set $v (v128.load offset=16 (local.get $g)))
        (local.set $s (v128.load (local.get $z)))
        (local.set $t (v128.load offset=16 (local.get $z)))
        (v128.store (local.get $dst) (f64x2.mul (f64x2.mul (local.get $u) (local.get $s)) (f64x2.sub (local.get $one) (local.get $s))))
        (v128.store offset=16 (local.get $dst) (f64x2.mul (f64x2.mul (local.get $v) (local.get $t)) (f64x2.sub (local.get $one) (local.get $t))))
        (local.set $g (i32.add (local.get $g) (i32.const 32)))
        (local.set $z (i32.add (local.get $z) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    ;; the last 0 to 3 entries: a pair, then a single one
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $g)) (i32.const 16))
      (then
        (local.set $u (v128.load (local.get $g)))
        (local.set $s (v128.load (local.get $z)))
        (v128.store (local.get $dst) (f64x2.mul (f64x2.mul (local.get $u) (local.get $s)) (f64x2.sub (local.get $one) (local.get $s))))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $z (i32.add (local.get $z) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
    (if (i32.lt_u (local.get $g) (local.get $end))
      (then
        (local.set $u (v128.load64_zero (local.get $g)))
        (local.set $s (v128.load64_zero (local.get $z)))
        (v128.store64_lane 0 (local.get $dst) (f64x2.mul (f64x2.mul (local.get $u) (local.get $s)) (f64x2.sub (local.get $one) (local.get $s)))))))
  ;; dst[i] = dst[i] + alpha·x[i] (the SGD update θ ← θ − η g with alpha = −η): a multiply, then
  ;; an add, each rounded once (no fused multiply-add), so the bits of the scalar
  ;; `out[i] += alpha * x[i]` (addition commutes exactly). dst may equal x.
  (func $axpy (export "axpy") (param $alpha f64) (param $x i32) (param $dst i32) (param $count i32)
    (local $end i32) (local $a v128)
    (local.set $a (f64x2.splat (local.get $alpha)))
    (local.set $end (i32.add (local.get $x) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $x)) (i32.const 32)))
        (v128.store (local.get $dst)
          (f64x2.add (v128.load (local.get $dst)) (f64x2.mul (local.get $a) (v128.load (local.get $x)))))
        (v128.store offset=16 (local.get $dst)
          (f64x2.add (v128.load offset=16 (local.get $dst)) (f64x2.mul (local.get $a) (v128.load offset=16 (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 32)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
        (br $next)))
    ;; the last 0 to 3 entries: a pair, then a single one
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $x)) (i32.const 16))
      (then
        (v128.store (local.get $dst)
          (f64x2.add (v128.load (local.get $dst)) (f64x2.mul (local.get $a) (v128.load (local.get $x)))))
        (local.set $x (i32.add (local.get $x) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))))
    (if (i32.lt_u (local.get $x) (local.get $end))
      (then
        (f64.store (local.get $dst)
          (f64.add (f64.load (local.get $dst)) (f64.mul (local.get $alpha) (f64.load (local.get $x))))))))

;; Two reductions over count doubles at src, for lib/kernels/loops.ts's checks of arrays that live
;; in the products' memory (z_l in the forward pass, the gradients after the backward pass).
  ;; 1 when every entry is finite, else 0: the sum of x·0 over the entries (x·0 is 0 for a finite
  ;; x and NaN for NaN or ±∞) in four partial sums, which is NaN exactly when an entry is not
  ;; finite, in any order: the answer of the scalar loop of `allFinite`.
  (func $finite (export "finite") (param $src i32) (param $count i32) (result i32)
    (local $end i32) (local $s0 v128) (local $s1 v128) (local $zero v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 32)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (v128.load (local.get $src)) (local.get $zero))))
        (local.set $s1
          (f64x2.add (local.get $s1) (f64x2.mul (v128.load offset=16 (local.get $src)) (local.get $zero))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (br $next)))
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $src)) (i32.const 16))
      (then
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (v128.load (local.get $src)) (local.get $zero))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))))
    (if (i32.lt_u (local.get $src) (local.get $end))
      (then
        (local.set $s1
          (f64x2.add (local.get $s1) (f64x2.mul (v128.load64_zero (local.get $src)) (local.get $zero))))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    ;; both lanes equal themselves unless one is NaN
    (i64x2.all_true (f64x2.eq (local.get $s0) (local.get $s0))))
  ;; dst[0] += Σ x² over the entries, in four partial sums (a multiply, then an add, each
  ;; rounded): within count·ε of the sum in order, and not finite exactly when that one is not
  ;; finite or overflows near the largest double. `Sgd.step` decides with it whether ‖g‖ must be
  ;; summed in order (lib/sgd.ts). Added in memory, not returned: a double returned to JavaScript
  ;; is boxed on the heap unless the call is inlined.
  (func $sum_squares (export "sum_squares") (param $src i32) (param $count i32) (param $dst i32)
    (local $end i32) (local $s0 v128) (local $s1 v128) (local $x v128)
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.lt_u (i32.sub (local.get $end) (local.get $src)) (i32.const 32)))
        (local.set $x (v128.load (local.get $src)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $x (v128.load offset=16 (local.get $src)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $src (i32.add (local.get $src) (i32.const 32)))
        (br $next)))
    (if (i32.ge_u (i32.sub (local.get $end) (local.get $src)) (i32.const 16))
      (then
        (local.set $x (v128.load (local.get $src)))
        (local.set $s0 (f64x2.add (local.get $s0) (f64x2.mul (local.get $x) (local.get $x))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))))
    (if (i32.lt_u (local.get $src) (local.get $end))
      (then
        (local.set $x (v128.load64_zero (local.get $src)))
        (local.set $s1 (f64x2.add (local.get $s1) (f64x2.mul (local.get $x) (local.get $x))))))
    (local.set $s0 (f64x2.add (local.get $s0) (local.get $s1)))
    (f64.store (local.get $dst) (f64.add (f64.load (local.get $dst))
      (f64.add (f64x2.extract_lane 0 (local.get $s0)) (f64x2.extract_lane 1 (local.get $s0))))))
  ;; The logistic family, from one exponential: with a = |z| clamped to 746 (where e^{−a} is
  ;; below half the smallest subnormal), a = k·ln 2 + r as in `tanh`, and g± = 2 + (h ± r)
  ;; (g = r·coth(r/2)), e^{−a} = 2^{−k}·g−/g+ = S/g+ with S = 2^{−k}·g−, scaled by two powers
  ;; of two of at most 2^{−539} each so that a subnormal S is rounded once. Then, one division:
  ;;
  ;; - mode 0, sigmoid: σ(z) = g+/(g+ + S) for z ≥ 0 (also −0), S/(g+ + S) for z < 0;
  ;; - mode 2, softplus′ ∘ g: dst = g · σ(z), σ as in mode 0;
  ;; - mode 1, softplus: max(z, 0) + log1p(u), u = e^{−a} = S/g+ ∈ (0, 1]. Below u = √2 − 1,
  ;;   log1p(u) = 2·atanh(w) with w = u/(2 + u) = S/(2g+ + S); above, log1p(u) = ln 2 +
  ;;   2·atanh(w) with w = (u − 1)/(u + 3) = (S − g+)/(S + 3g+). Either way |w| ≤ 0.1716, where
  ;;   2·atanh(w) = 2w + w·R(w²) with fdlibm's log polynomial R (Lg1…Lg7, error below 2^−58.45).
  ;;
  ;; NaN propagates; z = +∞ gives 1, ∞ and g; z = −∞ gives 0, 0 and 0·g.
  (func $logistic (export "logistic") (param $src i32) (param $g i32) (param $dst i32) (param $count i32)
    (param $mode i32)
    (local $end i32) (local $pair i32)
    (local $x v128) (local $y v128) (local $kf v128) (local $k v128) (local $r v128) (local $w v128)
    (local $h v128) (local $gp v128) (local $gm v128) (local $kint v128) (local $k1 v128)
    (local $s v128) (local $big v128) (local $q v128) (local $out v128)
    (local $G1 v128) (local $G2 v128) (local $G3 v128) (local $G4 v128) (local $G5 v128)
    (local $G6 v128)
    (local $L1 v128) (local $L2 v128) (local $L3 v128) (local $L4 v128) (local $L5 v128)
    (local $L6 v128) (local $L7 v128)
    (local $zero v128) (local $one v128) (local $two v128) (local $three v128) (local $minus1 v128)
    (local $clamp v128) (local $invln2 v128) (local $magic v128) (local $ln2hi v128)
    (local $ln2lo v128) (local $ln2 v128) (local $bias v128) (local $cut v128)
    (local.set $G1 (v128.const f64x2 0x1.5555555555555p-3 0x1.5555555555555p-3))
    (local.set $G2 (v128.const f64x2 -0x1.6c16c16c16c17p-9 -0x1.6c16c16c16c17p-9))
    (local.set $G3 (v128.const f64x2 0x1.1566abc011567p-14 0x1.1566abc011567p-14))
    (local.set $G4 (v128.const f64x2 -0x1.bbd779334ef0bp-20 -0x1.bbd779334ef0bp-20))
    (local.set $G5 (v128.const f64x2 0x1.66a8f2bf70ebep-25 0x1.66a8f2bf70ebep-25))
    (local.set $G6 (v128.const f64x2 -0x1.22805d644267fp-30 -0x1.22805d644267fp-30))
    ;; fdlibm's Lg1 … Lg7 (e_log.c)
    (local.set $L1 (v128.const f64x2 0x1.5555555555593p-1 0x1.5555555555593p-1))
    (local.set $L2 (v128.const f64x2 0x1.999999997fa04p-2 0x1.999999997fa04p-2))
    (local.set $L3 (v128.const f64x2 0x1.2492494229359p-2 0x1.2492494229359p-2))
    (local.set $L4 (v128.const f64x2 0x1.c71c51d8e78afp-3 0x1.c71c51d8e78afp-3))
    (local.set $L5 (v128.const f64x2 0x1.7466496cb03dep-3 0x1.7466496cb03dep-3))
    (local.set $L6 (v128.const f64x2 0x1.39a09d078c69fp-3 0x1.39a09d078c69fp-3))
    (local.set $L7 (v128.const f64x2 0x1.2f112df3e5244p-3 0x1.2f112df3e5244p-3))
    (local.set $one (v128.const f64x2 1 1))
    (local.set $two (v128.const f64x2 2 2))
    (local.set $three (v128.const f64x2 3 3))
    (local.set $minus1 (v128.const f64x2 -1 -1))
    (local.set $clamp (v128.const f64x2 746 746))
    (local.set $invln2 (v128.const f64x2 0x1.71547652b82fep+0 0x1.71547652b82fep+0))
    (local.set $magic (v128.const f64x2 0x1.8p52 0x1.8p52))
    (local.set $ln2hi (v128.const f64x2 -0x1.62e42fee00000p-1 -0x1.62e42fee00000p-1))
    (local.set $ln2lo (v128.const f64x2 -0x1.a39ef35793c76p-33 -0x1.a39ef35793c76p-33))
    (local.set $ln2 (v128.const f64x2 0x1.62e42fefa39efp-1 0x1.62e42fefa39efp-1))
    (local.set $bias (v128.const i64x2 1023 1023))
    (local.set $cut (v128.const f64x2 0x1.a827999fcef34p-2 0x1.a827999fcef34p-2))
    (local.set $end (i32.add (local.get $src) (i32.shl (local.get $count) (i32.const 3))))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $src) (local.get $end)))
        (local.set $pair (i32.ge_u (i32.sub (local.get $end) (local.get $src)) (i32.const 16)))
        (local.set $x
          (if (result v128) (local.get $pair)
            (then (v128.load (local.get $src))) (else (v128.load64_zero (local.get $src)))))
        ;; y = min(|z|, 746) = k·ln 2 + r (pmin keeps a NaN)
        (local.set $y (f64x2.pmin (f64x2.abs (local.get $x)) (local.get $clamp)))
        (local.set $kf (f64x2.relaxed_madd (local.get $y) (local.get $invln2) (local.get $magic)))
        (local.set $k (f64x2.sub (local.get $kf) (local.get $magic)))
        (local.set $r (f64x2.relaxed_madd (local.get $k) (local.get $ln2hi) (local.get $y)))
        (local.set $r (f64x2.relaxed_madd (local.get $k) (local.get $ln2lo) (local.get $r)))
        (local.set $w (f64x2.mul (local.get $r) (local.get $r)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $G6) (local.get $G5)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G4)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G3)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G2)))
        (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $G1)))
        (local.set $h (f64x2.mul (local.get $w) (local.get $h)))
        (local.set $gp (f64x2.add (local.get $two) (f64x2.add (local.get $h) (local.get $r))))
        (local.set $gm (f64x2.add (local.get $two) (f64x2.sub (local.get $h) (local.get $r))))
        ;; S = g−·2^{−k1}·2^{−(k − k1)}, k1 = floor(k/2) ≤ 539 (0 ≤ k ≤ 1077: kf minus magic as
        ;; integers, halved by a logical shift); each factor's bits are (1023 − e) << 52
        (local.set $kint (i64x2.sub (local.get $kf) (local.get $magic)))
        (local.set $k1 (i64x2.shr_u (local.get $kint) (i32.const 1)))
        (local.set $s
          (f64x2.mul
            (f64x2.mul (local.get $gm)
              (i64x2.shl (i64x2.sub (local.get $bias) (local.get $k1)) (i32.const 52)))
            (i64x2.shl
              (i64x2.sub (local.get $bias) (i64x2.sub (local.get $kint) (local.get $k1)))
              (i32.const 52))))
        (if (i32.eq (local.get $mode) (i32.const 1))
          (then
            ;; softplus: w = (S − j·g+)/(S + (2 + j)·g+), j = [u > √2 − 1]
            (local.set $big
              (f64x2.gt (local.get $s) (f64x2.mul (local.get $gp) (local.get $cut))))
            (local.set $q
              (f64x2.div
                (f64x2.relaxed_madd (local.get $gp)
                  (v128.and (local.get $minus1) (local.get $big)) (local.get $s))
                (f64x2.relaxed_madd (local.get $gp)
                  (i64x2.relaxed_laneselect (local.get $three) (local.get $two) (local.get $big))
                  (local.get $s))))
            (local.set $w (f64x2.mul (local.get $q) (local.get $q)))
            (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $L7) (local.get $L6)))
            (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $L5)))
            (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $L4)))
            (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $L3)))
            (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $L2)))
            (local.set $h (f64x2.relaxed_madd (local.get $w) (local.get $h) (local.get $L1)))
            (local.set $h (f64x2.mul (local.get $w) (local.get $h)))
            ;; max(z, 0) + (j·ln 2 + (2w + w·R))
            (local.set $out
              (f64x2.add
                (v128.and (local.get $x) (f64x2.gt (local.get $x) (local.get $zero)))
                (f64x2.add (v128.and (local.get $ln2) (local.get $big))
                  (f64x2.relaxed_madd (local.get $q) (local.get $h)
                    (f64x2.add (local.get $q) (local.get $q)))))))
          (else
            (local.set $out
              (f64x2.div
                (i64x2.relaxed_laneselect (local.get $gp) (local.get $s)
                  (f64x2.ge (local.get $x) (local.get $zero)))
                (f64x2.add (local.get $gp) (local.get $s))))
            (if (i32.eq (local.get $mode) (i32.const 2))
              (then
                (local.set $out
                  (f64x2.mul
                    (if (result v128) (local.get $pair)
                      (then (v128.load (local.get $g))) (else (v128.load64_zero (local.get $g))))
                    (local.get $out)))))))
        (if (local.get $pair)
          (then (v128.store (local.get $dst) (local.get $out)))
          (else (v128.store64_lane 0 (local.get $dst) (local.get $out))))
        (local.set $src (i32.add (local.get $src) (i32.const 16)))
        (local.set $g (i32.add (local.get $g) (i32.const 16)))
        (local.set $dst (i32.add (local.get $dst) (i32.const 16)))
        (br $next))))
)
