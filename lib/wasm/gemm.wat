;; Double-precision matrix product C = A·B (+ C), for sgdlab's lib/kernels/products.ts.
;;
;; Assembled by `deno task build:wasm` (tools/build_wasm.ts) into lib/wasm/gemm_wasm.ts.
;; Needs WebAssembly SIMD, relaxed SIMD (f64x2.relaxed_madd, a fused multiply-add on machines
;; with FMA) and threads (a shared memory, imported as env.memory).
;;
;; Operands are addressed through strides, so one routine serves the three product forms:
;; element (i, p) of A is at a + 8·(i·ars + p·acs) and element (p, j) of B at b + 8·(p·brs + j·bcs);
;; C is m×n row-major with leading dimension ldc. All addresses are byte offsets, all strides
;; element counts.
;;
;; Structure (BLIS-style): for each NC-wide block of columns and KC-deep block of the inner size,
;; B is packed into 4-column panels (kc×4, step by step); for each MC-tall block of rows, A is
;; packed into 4-row panels (kc×4) the same way. A 4×4 register tile of C (8 f64x2 accumulators)
;; is computed per pair of panels with a k-loop of 8 fused multiply-adds per step, unrolled by 4,
;; without broadcasts (see $tile). Panels are zero-padded, so edge tiles run the same loop and
;; only their store differs. Panels whose lanes are strided but whose steps are contiguous (A of
;; A·B and A·Bᵀ, B of A·Bᵀ: rows of a row-major array) are packed two steps at a time, one vector
;; load per lane and shuffles, which matters when the other operand is narrow (θ·x with a batch
;; of 32 columns packs as many values of θ as it does 64 FLOPs with them).
;;
;; Blocking: KC = 256, MC = 128, NC = 1024. A kc-deep panel is 8 KiB of A and 8 KiB of B (L1),
;; the packed MC×KC block of A 256 KiB (L2), the packed KC×NC block of B 2048 KiB.
;; Each entry of C is the sum, in order, of its KC-deep blocks, each one a sequential fused sum
;; from zero over its steps; only KC fixes this order (MC, NC and the tile shape do not). Same
;; inputs give bit-identical outputs, and the three product forms agree bit for bit on equivalent
;; operands (they pack to the same panels).
(module
  ;; A shared memory, so that a worker can run part of a product on the same operands
  (import "env" "memory" (memory 1 65536 shared))

  ;; Packs a block of A or B into 4-lane panels: a `count`×`steps` strided matrix whose element
  ;; (r, s) is at
  ;; src + r·lane + s·step (byte strides) becomes ⌈count/4⌉ panels of `steps`×4 values,
  ;; stored step by step; lanes past `count` are zero. A's lanes are its rows, B's its columns.
  (func $pack (export "pack") (param $src i32) (param $lane i32) (param $step i32) (param $count i32)
    (param $steps i32) (param $dst i32)
    (local $q i32) (local $p i32) (local $t i32) (local $s i32) (local $rows i32) (local $r i32)
    (local $v0 v128) (local $v1 v128) (local $v2 v128) (local $v3 v128)
    (block $done
      (loop $panels
        (br_if $done (i32.ge_s (local.get $q) (local.get $count)))
        (local.set $p (local.get $src))
        (local.set $s (local.get $steps))
        (local.set $rows (i32.sub (local.get $count) (local.get $q)))
        (if (i32.lt_s (local.get $rows) (i32.const 4))
          (then
            ;; last panel: copy the rows there are, zero the rest
            (block $end
              (loop $copy
                (br_if $end (i32.eqz (local.get $s)))
                (v128.store offset=0 (local.get $dst) (v128.const i64x2 0 0))
                (v128.store offset=16 (local.get $dst) (v128.const i64x2 0 0))
                (local.set $t (local.get $p))
                (local.set $r (i32.const 0))
                (block $rend
                  (loop $row
                    (br_if $rend (i32.ge_s (local.get $r) (local.get $rows)))
                    (f64.store (i32.add (local.get $dst) (i32.shl (local.get $r) (i32.const 3)))
                      (f64.load (local.get $t)))
                    (local.set $t (i32.add (local.get $t) (local.get $lane)))
                    (local.set $r (i32.add (local.get $r) (i32.const 1)))
                    (br $row)))
                (local.set $p (i32.add (local.get $p) (local.get $step)))
                (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                (local.set $s (i32.sub (local.get $s) (i32.const 1)))
                (br $copy))))
          (else
            (if (i32.eq (local.get $lane) (i32.const 8))
              (then
                ;; contiguous lanes: vector copies
                (block $end
                  (loop $copy
                    (br_if $end (i32.eqz (local.get $s)))
                (v128.store offset=0 (local.get $dst) (v128.load offset=0 (local.get $p)))
                (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $p)))
                    (local.set $p (i32.add (local.get $p) (local.get $step)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                    (local.set $s (i32.sub (local.get $s) (i32.const 1)))
                    (br $copy))))
              (else
                (if (i32.eq (local.get $step) (i32.const 8))
                  (then
                    ;; each lane contiguous along the steps (a row-major operand read along
                    ;; its rows): two steps at a time, four loads transposed by shuffles
                    (block $pend
                      (loop $pair
                        (br_if $pend (i32.lt_u (local.get $s) (i32.const 2)))
                        (local.set $t (local.get $p))
                        (local.set $v0 (v128.load (local.get $t)))
                        (local.set $t (i32.add (local.get $t) (local.get $lane)))
                        (local.set $v1 (v128.load (local.get $t)))
                        (local.set $t (i32.add (local.get $t) (local.get $lane)))
                        (local.set $v2 (v128.load (local.get $t)))
                        (local.set $t (i32.add (local.get $t) (local.get $lane)))
                        (local.set $v3 (v128.load (local.get $t)))
                        (v128.store offset=0 (local.get $dst)
                          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                            (local.get $v0) (local.get $v1)))
                        (v128.store offset=16 (local.get $dst)
                          (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
                            (local.get $v2) (local.get $v3)))
                        (v128.store offset=32 (local.get $dst)
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                            (local.get $v0) (local.get $v1)))
                        (v128.store offset=48 (local.get $dst)
                          (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31
                            (local.get $v2) (local.get $v3)))
                        (local.set $p (i32.add (local.get $p) (i32.const 16)))
                        (local.set $dst (i32.add (local.get $dst) (i32.const 64)))
                        (local.set $s (i32.sub (local.get $s) (i32.const 2)))
                        (br $pair)))))
                (block $end
                  (loop $copy
                    (br_if $end (i32.eqz (local.get $s)))
                    (local.set $t (local.get $p))
                (f64.store offset=0 (local.get $dst) (f64.load (local.get $t)))
                (local.set $t (i32.add (local.get $t) (local.get $lane)))
                (f64.store offset=8 (local.get $dst) (f64.load (local.get $t)))
                (local.set $t (i32.add (local.get $t) (local.get $lane)))
                (f64.store offset=16 (local.get $dst) (f64.load (local.get $t)))
                (local.set $t (i32.add (local.get $t) (local.get $lane)))
                (f64.store offset=24 (local.get $dst) (f64.load (local.get $t)))
                    (local.set $p (i32.add (local.get $p) (local.get $step)))
                    (local.set $dst (i32.add (local.get $dst) (i32.const 32)))
                    (local.set $s (i32.sub (local.get $s) (i32.const 1)))
                    (br $copy)))))))
        (local.set $src (i32.add (local.get $src) (i32.mul (local.get $lane) (i32.const 4))))
        (local.set $q (i32.add (local.get $q) (i32.const 4)))
        (br $panels))))

  ;; The 4×4 micro-kernel: the tile Ap·Bp of a packed 4-row panel of A and a packed 4-column
  ;; panel of B, both kc deep, then written to C at `c` (row stride `ldc` bytes) for its first
  ;; `mr` rows and `nr` columns, added to C when `beta` is 1.
  ;; No broadcasts: each step loads A as two pairs of rows (a_2i, a_2i+1) and B as two pairs of
  ;; columns (b_2v, b_2v+1), swaps each B pair once (s = (b_2v+1, b_2v)), and keeps 8 f64x2
  ;; accumulators: $d<i><v> += a·b holds entries (2i, 2v) and (2i+1, 2v+1), $e<i><v> += a·s
  ;; holds (2i, 2v+1) and (2i+1, 2v). Each lane is still one entry's sequential fused sum over
  ;; the steps, so the result is the same, bit for bit, as a broadcast kernel's. (Broadcast loads
  ;; take a shuffle pipe that the fused multiply-adds share: a 6×4 broadcast tile ran at 85 % of
  ;; the FMA peak, this one at 98 %.)
  (func $tile (export "tile") (param $kc i32) (param $ap i32) (param $bp i32) (param $c i32)
    (param $ldc i32) (param $beta i32) (param $mr i32) (param $nr i32) (param $scratch i32)
    (local $d00 v128) (local $e00 v128) (local $d01 v128) (local $e01 v128)
    (local $d10 v128) (local $e10 v128) (local $d11 v128) (local $e11 v128)
    (local $a v128) (local $b v128) (local $s v128)
    (local $end i32) (local $endu i32) (local $row i32) (local $i i32) (local $j i32)
    (local $dst i32) (local $x f64)
    (local.set $end (i32.add (local.get $bp) (i32.shl (local.get $kc) (i32.const 5))))
    (local.set $endu (i32.add (local.get $bp)
      (i32.shl (i32.and (local.get $kc) (i32.const -4)) (i32.const 5))))
    ;; k-loop unrolled by 4: per step 2 loads and 1 swap of B, 4 loads of A, 8 fused multiply-adds
    (if (i32.lt_u (local.get $bp) (local.get $endu))
      (then
        (loop $k
          ;; step +0
          (local.set $b (v128.load offset=0 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=0 (local.get $ap)))
          (local.set $d00 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d00)))
          (local.set $e00 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e00)))
          (local.set $a (v128.load offset=16 (local.get $ap)))
          (local.set $d10 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d10)))
          (local.set $e10 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e10)))
          (local.set $b (v128.load offset=16 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=0 (local.get $ap)))
          (local.set $d01 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d01)))
          (local.set $e01 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e01)))
          (local.set $a (v128.load offset=16 (local.get $ap)))
          (local.set $d11 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d11)))
          (local.set $e11 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e11)))
          ;; step +1
          (local.set $b (v128.load offset=32 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=32 (local.get $ap)))
          (local.set $d00 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d00)))
          (local.set $e00 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e00)))
          (local.set $a (v128.load offset=48 (local.get $ap)))
          (local.set $d10 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d10)))
          (local.set $e10 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e10)))
          (local.set $b (v128.load offset=48 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=32 (local.get $ap)))
          (local.set $d01 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d01)))
          (local.set $e01 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e01)))
          (local.set $a (v128.load offset=48 (local.get $ap)))
          (local.set $d11 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d11)))
          (local.set $e11 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e11)))
          ;; step +2
          (local.set $b (v128.load offset=64 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=64 (local.get $ap)))
          (local.set $d00 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d00)))
          (local.set $e00 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e00)))
          (local.set $a (v128.load offset=80 (local.get $ap)))
          (local.set $d10 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d10)))
          (local.set $e10 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e10)))
          (local.set $b (v128.load offset=80 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=64 (local.get $ap)))
          (local.set $d01 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d01)))
          (local.set $e01 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e01)))
          (local.set $a (v128.load offset=80 (local.get $ap)))
          (local.set $d11 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d11)))
          (local.set $e11 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e11)))
          ;; step +3
          (local.set $b (v128.load offset=96 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=96 (local.get $ap)))
          (local.set $d00 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d00)))
          (local.set $e00 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e00)))
          (local.set $a (v128.load offset=112 (local.get $ap)))
          (local.set $d10 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d10)))
          (local.set $e10 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e10)))
          (local.set $b (v128.load offset=112 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=96 (local.get $ap)))
          (local.set $d01 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d01)))
          (local.set $e01 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e01)))
          (local.set $a (v128.load offset=112 (local.get $ap)))
          (local.set $d11 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d11)))
          (local.set $e11 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e11)))
          (local.set $ap (i32.add (local.get $ap) (i32.const 128)))
          (local.set $bp (i32.add (local.get $bp) (i32.const 128)))
          (br_if $k (i32.lt_u (local.get $bp) (local.get $endu))))))
    ;; the last kc mod 4 steps
    (block $done
      (loop $k1
        (br_if $done (i32.ge_u (local.get $bp) (local.get $end)))
          ;; step +0
          (local.set $b (v128.load offset=0 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=0 (local.get $ap)))
          (local.set $d00 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d00)))
          (local.set $e00 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e00)))
          (local.set $a (v128.load offset=16 (local.get $ap)))
          (local.set $d10 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d10)))
          (local.set $e10 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e10)))
          (local.set $b (v128.load offset=16 (local.get $bp)))
          (local.set $s (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $b) (local.get $b)))
          (local.set $a (v128.load offset=0 (local.get $ap)))
          (local.set $d01 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d01)))
          (local.set $e01 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e01)))
          (local.set $a (v128.load offset=16 (local.get $ap)))
          (local.set $d11 (f64x2.relaxed_madd (local.get $a) (local.get $b) (local.get $d11)))
          (local.set $e11 (f64x2.relaxed_madd (local.get $a) (local.get $s) (local.get $e11)))
        (local.set $ap (i32.add (local.get $ap) (i32.const 32)))
        (local.set $bp (i32.add (local.get $bp) (i32.const 32)))
        (br $k1)))
    ;; rows of the tile: row 2i is (d.0, e.0), row 2i + 1 is (e.1, d.1); reuse d and e for them
    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $d00) (local.get $e00)))
    (local.set $e00 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $e00) (local.get $d00)))
    (local.set $d00 (local.get $a))
    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $d01) (local.get $e01)))
    (local.set $e01 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $e01) (local.get $d01)))
    (local.set $d01 (local.get $a))
    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $d10) (local.get $e10)))
    (local.set $e10 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $e10) (local.get $d10)))
    (local.set $d10 (local.get $a))
    (local.set $a (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23 (local.get $d11) (local.get $e11)))
    (local.set $e11 (i8x16.shuffle 8 9 10 11 12 13 14 15 24 25 26 27 28 29 30 31 (local.get $e11) (local.get $d11)))
    (local.set $d11 (local.get $a))
    ;; now row 0 is ($d00, $d01), row 1 ($e00, $e01), row 2 ($d10, $d11), row 3 ($e10, $e11)
    (if (i32.and (i32.eq (local.get $mr) (i32.const 4)) (i32.eq (local.get $nr) (i32.const 4)))
      (then
        (if (local.get $beta)
          (then
            (local.set $row (local.get $c))
            (local.set $d00 (f64x2.add (v128.load (local.get $row)) (local.get $d00)))
            (local.set $d01 (f64x2.add (v128.load offset=16 (local.get $row)) (local.get $d01)))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (local.set $e00 (f64x2.add (v128.load (local.get $row)) (local.get $e00)))
            (local.set $e01 (f64x2.add (v128.load offset=16 (local.get $row)) (local.get $e01)))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (local.set $d10 (f64x2.add (v128.load (local.get $row)) (local.get $d10)))
            (local.set $d11 (f64x2.add (v128.load offset=16 (local.get $row)) (local.get $d11)))
            (local.set $row (i32.add (local.get $row) (local.get $ldc)))
            (local.set $e10 (f64x2.add (v128.load (local.get $row)) (local.get $e10)))
            (local.set $e11 (f64x2.add (v128.load offset=16 (local.get $row)) (local.get $e11)))))
        (local.set $row (local.get $c))
        (v128.store (local.get $row) (local.get $d00))
        (v128.store offset=16 (local.get $row) (local.get $d01))
        (local.set $row (i32.add (local.get $row) (local.get $ldc)))
        (v128.store (local.get $row) (local.get $e00))
        (v128.store offset=16 (local.get $row) (local.get $e01))
        (local.set $row (i32.add (local.get $row) (local.get $ldc)))
        (v128.store (local.get $row) (local.get $d10))
        (v128.store offset=16 (local.get $row) (local.get $d11))
        (local.set $row (i32.add (local.get $row) (local.get $ldc)))
        (v128.store (local.get $row) (local.get $e10))
        (v128.store offset=16 (local.get $row) (local.get $e11)))
      (else
        ;; edge tile: spill to scratch (4×4, 32-byte rows), then store the valid part
        (v128.store (local.get $scratch) (local.get $d00))
        (v128.store offset=16 (local.get $scratch) (local.get $d01))
        (v128.store offset=32 (local.get $scratch) (local.get $e00))
        (v128.store offset=48 (local.get $scratch) (local.get $e01))
        (v128.store offset=64 (local.get $scratch) (local.get $d10))
        (v128.store offset=80 (local.get $scratch) (local.get $d11))
        (v128.store offset=96 (local.get $scratch) (local.get $e10))
        (v128.store offset=112 (local.get $scratch) (local.get $e11))
        (block $iend
          (loop $irow
            (br_if $iend (i32.ge_s (local.get $i) (local.get $mr)))
            (local.set $j (i32.const 0))
            (block $jend
              (loop $jcol
                (br_if $jend (i32.ge_s (local.get $j) (local.get $nr)))
                (local.set $dst (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc)))
                  (i32.shl (local.get $j) (i32.const 3))))
                (local.set $x (f64.load (i32.add (local.get $scratch)
                  (i32.shl (i32.add (i32.shl (local.get $i) (i32.const 2)) (local.get $j)) (i32.const 3)))))
                (if (local.get $beta)
                  (then (local.set $x (f64.add (f64.load (local.get $dst)) (local.get $x)))))
                (f64.store (local.get $dst) (local.get $x))
                (local.set $j (i32.add (local.get $j) (i32.const 1)))
                (br $jcol)))
            (local.set $i (i32.add (local.get $i) (i32.const 1)))
            (br $irow))))))

  ;; C (m×n, row stride ldc elements) = A·B, or C + A·B when `beta` is 1, for k ≥ 1.
  ;; `work` points to WORK_BYTES = 262144 + 2097152 + 128 bytes of scratch: the packed
  ;; block of A (8·MC·KC), the packed block of B (8·KC·NC) and one tile.
  (func $gemm (export "gemm") (param $m i32) (param $n i32) (param $k i32)
    (param $a i32) (param $ars i32) (param $acs i32)
    (param $b i32) (param $brs i32) (param $bcs i32)
    (param $c i32) (param $ldc i32) (param $beta i32) (param $work i32)
    (local $jc i32) (local $pc i32) (local $ic i32) (local $jr i32) (local $ir i32)
    (local $nc i32) (local $kc i32) (local $mc i32) (local $bt i32)
    (local $apbuf i32) (local $bpbuf i32) (local $scratch i32) (local $ldcb i32)
    (local $ccol i32) (local $bpanel i32)
    (local.set $apbuf (local.get $work))
    (local.set $bpbuf (i32.add (local.get $work) (i32.const 262144)))
    (local.set $scratch (i32.add (local.get $bpbuf) (i32.const 2097152)))
    (local.set $ldcb (i32.shl (local.get $ldc) (i32.const 3)))
    (block $jcend
      (loop $jcloop
        (br_if $jcend (i32.ge_s (local.get $jc) (local.get $n)))
        (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
        (if (i32.gt_s (local.get $nc) (i32.const 1024)) (then (local.set $nc (i32.const 1024))))
        (local.set $pc (i32.const 0))
        (block $pcend
          (loop $pcloop
            (br_if $pcend (i32.ge_s (local.get $pc) (local.get $k)))
            (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
            (if (i32.gt_s (local.get $kc) (i32.const 256)) (then (local.set $kc (i32.const 256))))
            (local.set $bt (i32.or (local.get $beta) (i32.gt_s (local.get $pc) (i32.const 0))))
            ;; B block: lanes along j (stride bcs), steps along p (stride brs)
            (call $pack
              (i32.add (local.get $b) (i32.shl
                (i32.add (i32.mul (local.get $pc) (local.get $brs)) (i32.mul (local.get $jc) (local.get $bcs)))
                (i32.const 3)))
              (i32.shl (local.get $bcs) (i32.const 3)) (i32.shl (local.get $brs) (i32.const 3))
              (local.get $nc) (local.get $kc) (local.get $bpbuf))
            (local.set $ic (i32.const 0))
            (block $icend
              (loop $icloop
                (br_if $icend (i32.ge_s (local.get $ic) (local.get $m)))
                (local.set $mc (i32.sub (local.get $m) (local.get $ic)))
                (if (i32.gt_s (local.get $mc) (i32.const 128)) (then (local.set $mc (i32.const 128))))
                ;; A block: lanes along i (stride ars), steps along p (stride acs)
                (call $pack
                  (i32.add (local.get $a) (i32.shl
                    (i32.add (i32.mul (local.get $ic) (local.get $ars)) (i32.mul (local.get $pc) (local.get $acs)))
                    (i32.const 3)))
                  (i32.shl (local.get $ars) (i32.const 3)) (i32.shl (local.get $acs) (i32.const 3))
                  (local.get $mc) (local.get $kc) (local.get $apbuf))
                ;; one 4-column panel of B stays in L1 while the 4-row panels of A stream past
                (local.set $jr (i32.const 0))
                (block $jrend
                  (loop $jrloop
                    (br_if $jrend (i32.ge_s (local.get $jr) (local.get $nc)))
                    (local.set $bpanel (i32.add (local.get $bpbuf)
                      (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 3))))
                    (local.set $ccol (i32.add (local.get $c) (i32.shl
                      (i32.add (i32.mul (local.get $ic) (local.get $ldc)) (i32.add (local.get $jc) (local.get $jr)))
                      (i32.const 3))))
                    (local.set $ir (i32.const 0))
                    (block $irend
                      (loop $irloop
                        (br_if $irend (i32.ge_s (local.get $ir) (local.get $mc)))
                        (call $tile (local.get $kc)
                          (i32.add (local.get $apbuf)
                            (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 3)))
                          (local.get $bpanel)
                          (i32.add (local.get $ccol) (i32.mul (local.get $ir) (local.get $ldcb)))
                          (local.get $ldcb) (local.get $bt)
                          (select (i32.const 4) (i32.sub (local.get $mc) (local.get $ir))
                            (i32.ge_s (i32.sub (local.get $mc) (local.get $ir)) (i32.const 4)))
                          (select (i32.const 4) (i32.sub (local.get $nc) (local.get $jr))
                            (i32.ge_s (i32.sub (local.get $nc) (local.get $jr)) (i32.const 4)))
                          (local.get $scratch))
                        (local.set $ir (i32.add (local.get $ir) (i32.const 4)))
                        (br $irloop)))
                    (local.set $jr (i32.add (local.get $jr) (i32.const 4)))
                    (br $jrloop)))
                (local.set $ic (i32.add (local.get $ic) (i32.const 128)))
                (br $icloop)))
            (local.set $pc (i32.add (local.get $pc) (i32.const 256)))
            (br $pcloop)))
        (local.set $jc (i32.add (local.get $jc) (i32.const 1024)))
        (br $jcloop))))
)
