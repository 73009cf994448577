;; The engines' WebAssembly SIMD kernels: `gemm` (C = A·Bᵀ) and in-place `tanh` / `relu` for the update engine;
;; `gemm_nn` (C = A·B or Aᵀ·B through strides), `gelu` / `gelu_backward` and `colsum` for the language model's engine.
;;
;; Compiled by wabt (scripts/build-wasm.mjs → kernels-wasm.ts, the bytes the engine instantiates; a unit test
;; recompiles this file and requires exactly the committed bytes). After editing: `npm run build:wasm`.
;;
;; Why: V8 does not vectorise JS loops, and the register-blocked JS kernel (gemm.ts) tops out near 2 GMAC/s; the
;; same 2×4 blocking over f32x4 lanes does four multiply-adds per instruction. tfjs-wasm has such kernels (XNNPACK)
;; but pays ~20–70 µs of dispatch per op, more than a 64-unit layer's arithmetic; this module is called directly.
;;
;; Memory layout is the caller's (wasm-gemm.ts, linalg.ts): operands are padded with zeros so that every loop runs
;; whole blocks — m even, n a multiple of 4, rows of p = 16·k bytes — and every loop is do-while (sizes ≥ 1).

(module
  ;; One page to start; the caller grows it (wasmHeap) to fit the largest product.
  (memory 1)

  ;; C[i, j] = Σ_k A[i, k] · B[j, k] for i < m, j < n: A is m rows, B is n rows, both of p bytes (row-major
  ;; float32); C is m rows of n floats. a, b, c are byte addresses.
  ;;
  ;; Each step of the middle loop computes a 2×4 block of C: rows i, i+1 of A against rows j … j+3 of B, with
  ;; one f32x4 accumulator per output (s<row><col>), each holding four partial sums over k ≡ 0, 1, 2, 3 (mod 4).
  ;; The lanes are added at the end, so the summation order differs from the JS kernel's: results agree to float32
  ;; rounding, not bit for bit.
  (func $gemm (export "gemm") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $n i32) (param $p i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $a0 i32) (local $a1 i32)                          ;; addresses of A's rows i and i+1
    (local $b0 i32) (local $b1 i32) (local $b2 i32) (local $b3 i32) ;; addresses of B's rows j … j+3
    (local $c0 i32) (local $c1 i32)                          ;; addresses of C's rows i and i+1
    (local $s00 v128) (local $s01 v128) (local $s02 v128) (local $s03 v128)
    (local $s10 v128) (local $s11 v128) (local $s12 v128) (local $s13 v128)
    (local $x0 v128) (local $x1 v128)                        ;; four floats of A's rows i and i+1
    (local $y v128)                                          ;; four floats of one row of B

    (local.set $i (i32.const 0))
    (loop $rows
      ;; a0 = a + i·p; a1 = a0 + p
      (local.set $a1 (i32.add (local.tee $a0 (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $p))))
                              (local.get $p)))
      ;; c0 = c + i·n·4; c1 = c0 + n·4
      (local.set $c1 (i32.add (local.tee $c0 (i32.add (local.get $c) (i32.mul (i32.mul (local.get $i) (local.get $n)) (i32.const 4))))
                              (i32.mul (local.get $n) (i32.const 4))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; b0 = b + j·p; b1 = b0 + p; b2 = b1 + p; b3 = b2 + p
        (local.set $b3
          (i32.add
            (local.tee $b2
              (i32.add
                (local.tee $b1
                  (i32.add (local.tee $b0 (i32.add (local.get $b) (i32.mul (local.get $j) (local.get $p))))
                           (local.get $p)))
                (local.get $p)))
            (local.get $p)))
        (local.set $s00 (v128.const i32x4 0 0 0 0))
        (local.set $s01 (v128.const i32x4 0 0 0 0))
        (local.set $s02 (v128.const i32x4 0 0 0 0))
        (local.set $s03 (v128.const i32x4 0 0 0 0))
        (local.set $s10 (v128.const i32x4 0 0 0 0))
        (local.set $s11 (v128.const i32x4 0 0 0 0))
        (local.set $s12 (v128.const i32x4 0 0 0 0))
        (local.set $s13 (v128.const i32x4 0 0 0 0))
        (local.set $k (i32.const 0))
        (loop $dot
          ;; k is a byte offset into the rows: four floats per step.
          (local.set $x0 (v128.load (i32.add (local.get $a0) (local.get $k))))
          (local.set $x1 (v128.load (i32.add (local.get $a1) (local.get $k))))
          ;; column j: s00 += x0·y, s10 += x1·y; then j+1, j+2, j+3 the same way
          (local.set $y (v128.load (i32.add (local.get $b0) (local.get $k))))
          (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b1) (local.get $k))))
          (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b2) (local.get $k))))
          (local.set $s02 (f32x4.add (local.get $s02) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s12 (f32x4.add (local.get $s12) (f32x4.mul (local.get $x1) (local.get $y))))
          (local.set $y (v128.load (i32.add (local.get $b3) (local.get $k))))
          (local.set $s03 (f32x4.add (local.get $s03) (f32x4.mul (local.get $x0) (local.get $y))))
          (local.set $s13 (f32x4.add (local.get $s13) (f32x4.mul (local.get $x1) (local.get $y))))
          (br_if $dot (i32.lt_u (local.tee $k (i32.add (local.get $k) (i32.const 16))) (local.get $p))))

        ;; C[i, j + col] = the sum of s0<col>'s lanes; C[i + 1, j + col] = the sum of s1<col>'s lanes
        ;; (lane 0 + lane 1, + lane 2, + lane 3; the store's offset is the column).
        (f32.store offset=0 (i32.add (local.get $c0) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s00)) (f32x4.extract_lane 1 (local.get $s00)))
                            (f32x4.extract_lane 2 (local.get $s00)))
                   (f32x4.extract_lane 3 (local.get $s00))))
        (f32.store offset=4 (i32.add (local.get $c0) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s01)) (f32x4.extract_lane 1 (local.get $s01)))
                            (f32x4.extract_lane 2 (local.get $s01)))
                   (f32x4.extract_lane 3 (local.get $s01))))
        (f32.store offset=8 (i32.add (local.get $c0) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s02)) (f32x4.extract_lane 1 (local.get $s02)))
                            (f32x4.extract_lane 2 (local.get $s02)))
                   (f32x4.extract_lane 3 (local.get $s02))))
        (f32.store offset=12 (i32.add (local.get $c0) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s03)) (f32x4.extract_lane 1 (local.get $s03)))
                            (f32x4.extract_lane 2 (local.get $s03)))
                   (f32x4.extract_lane 3 (local.get $s03))))
        (f32.store offset=0 (i32.add (local.get $c1) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s10)) (f32x4.extract_lane 1 (local.get $s10)))
                            (f32x4.extract_lane 2 (local.get $s10)))
                   (f32x4.extract_lane 3 (local.get $s10))))
        (f32.store offset=4 (i32.add (local.get $c1) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s11)) (f32x4.extract_lane 1 (local.get $s11)))
                            (f32x4.extract_lane 2 (local.get $s11)))
                   (f32x4.extract_lane 3 (local.get $s11))))
        (f32.store offset=8 (i32.add (local.get $c1) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s12)) (f32x4.extract_lane 1 (local.get $s12)))
                            (f32x4.extract_lane 2 (local.get $s12)))
                   (f32x4.extract_lane 3 (local.get $s12))))
        (f32.store offset=12 (i32.add (local.get $c1) (i32.mul (local.get $j) (i32.const 4)))
          (f32.add (f32.add (f32.add (f32x4.extract_lane 0 (local.get $s13)) (f32x4.extract_lane 1 (local.get $s13)))
                            (f32x4.extract_lane 2 (local.get $s13)))
                   (f32x4.extract_lane 3 (local.get $s13))))

        (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $n))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 2))) (local.get $m)))))

  ;; tanh in place over `count` floats (a multiple of 4) at byte address `ptr`, without exp:
  ;;   x ← clamp(x, −9, 9) / 4            (tanh(9) rounds to 1 in float32)
  ;;   t ← tanh(x), a 7/8 rational of Lambert's continued fraction (error < 2e-9 for |x| ≤ 2.25):
  ;;       x·(2027025 + x²(270270 + x²(6930 + 36x²))) / (2027025 + x²(945945 + x²(51975 + x²(630 + x²))))
  ;;   t ← 2t / (1 + t²) twice            (tanh(2y) = 2·tanh(y) / (1 + tanh²(y)), back to the full argument)
  ;; fastTanh in linalg.ts uses the same rational (at x, with exp beyond |x| ≥ 3) for the JS path.
  (func $tanh (export "tanh") (param $ptr i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $ptr) (i32.mul (local.get $count) (i32.const 4))))
    (loop $each
      (v128.store (local.get $ptr) (call $tanh4 (v128.load (local.get $ptr))))
      (br_if $each (i32.lt_u (local.tee $ptr (i32.add (local.get $ptr) (i32.const 16))) (local.get $end)))))

  ;; tanh of four floats (the rational and the double-angle steps above).
  (func $tanh4 (param $v v128) (result v128)
    (local $x v128) (local $x2 v128) (local $t v128)
    (local.set $x
      (f32x4.mul
        (f32x4.max (f32x4.min (local.get $v) (f32x4.splat (f32.const 9)))
                   (f32x4.splat (f32.const -9)))
        (f32x4.splat (f32.const 0.25))))
    (local.set $x2 (f32x4.mul (local.get $x) (local.get $x)))
    (local.set $t
      (f32x4.div
        ;; numerator, innermost term first
        (f32x4.mul
          (f32x4.add
            (f32x4.mul
              (f32x4.add
                (f32x4.mul
                  (f32x4.add (f32x4.mul (local.get $x2) (f32x4.splat (f32.const 36))) (f32x4.splat (f32.const 6930)))
                  (local.get $x2))
                (f32x4.splat (f32.const 270270)))
              (local.get $x2))
            (f32x4.splat (f32.const 2027025)))
          (local.get $x))
        ;; denominator
        (f32x4.add
          (f32x4.mul
            (f32x4.add
              (f32x4.mul
                (f32x4.add (f32x4.mul (f32x4.add (local.get $x2) (f32x4.splat (f32.const 630))) (local.get $x2))
                           (f32x4.splat (f32.const 51975)))
                (local.get $x2))
              (f32x4.splat (f32.const 945945)))
            (local.get $x2))
          (f32x4.splat (f32.const 2027025)))))
    ;; two double-angle steps: t = 2t / (1 + t²)
    (local.set $t
      (f32x4.div (f32x4.add (local.get $t) (local.get $t))
                 (f32x4.add (f32x4.mul (local.get $t) (local.get $t)) (f32x4.splat (f32.const 1)))))
    (f32x4.div (f32x4.add (local.get $t) (local.get $t))
               (f32x4.add (f32x4.mul (local.get $t) (local.get $t)) (f32x4.splat (f32.const 1)))))

  ;; relu in place over `count` floats (a multiple of 4) at byte address `ptr`: x ← max(x, 0).
  (func $relu (export "relu") (param $ptr i32) (param $count i32)
    (local $end i32)
    (local.set $end (i32.add (local.get $ptr) (i32.mul (local.get $count) (i32.const 4))))
    (loop $each
      (v128.store (local.get $ptr) (f32x4.max (v128.load (local.get $ptr)) (f32x4.splat (f32.const 0))))
      (br_if $each (i32.lt_u (local.tee $ptr (i32.add (local.get $ptr) (i32.const 16))) (local.get $end)))))

  ;; C[i, j] (+)= Σ_k A(i, k) · B[k, j] for i < m, j < n, k < p — the language model's products that would
  ;; otherwise need a transposed copy (dX = dY·W and dW = dYᵀ·X in a linear layer's backward pass). A is read
  ;; through byte strides, A(i, k) at a + i·sai + k·sak, so one kernel serves A (sai = row bytes, sak = 4) and Aᵀ
  ;; (sai = 4, sak = row bytes). B is p rows of ldb bytes, C is m rows of ldc bytes; acc ≠ 0 adds into C.
  ;;
  ;; Blocks of 4 rows × 8 columns: per k, one float of each of A's four rows is splatted across a vector and
  ;; multiplied into two vectors of B's row k (eight f32x4 accumulators, no horizontal sums). m must be a multiple
  ;; of 4 and n of 8 (the caller pads); p ≥ 1. Each output is summed in k order (one partial sum, not four).
  (func $gemm_nn (export "gemm_nn") (param $a i32) (param $b i32) (param $c i32) (param $m i32) (param $n i32) (param $p i32)
                                    (param $sai i32) (param $sak i32) (param $ldb i32) (param $ldc i32) (param $acc i32)
    (local $i i32) (local $j i32) (local $k i32)
    (local $ai i32)                                          ;; address of A(i, 0)
    (local $ak i32) (local $bk i32)                          ;; addresses of A(i, k) and B[k, j]
    (local $c0 i32) (local $c1 i32) (local $c2 i32) (local $c3 i32) ;; addresses of C[i … i+3, j]
    (local $s2 i32) (local $s3 i32)                          ;; 2·sai, 3·sai
    (local $s00 v128) (local $s01 v128) (local $s10 v128) (local $s11 v128)
    (local $s20 v128) (local $s21 v128) (local $s30 v128) (local $s31 v128)
    (local $y0 v128) (local $y1 v128) (local $x v128)

    (local.set $s2 (i32.add (local.get $sai) (local.get $sai)))
    (local.set $s3 (i32.add (local.get $s2) (local.get $sai)))
    (local.set $i (i32.const 0))
    (loop $rows
      (local.set $ai (i32.add (local.get $a) (i32.mul (local.get $i) (local.get $sai))))
      (local.set $j (i32.const 0))
      (loop $cols
        ;; c0 = c + i·ldc + j·4; c1, c2, c3 the next rows
        (local.set $c3
          (i32.add
            (local.tee $c2
              (i32.add
                (local.tee $c1
                  (i32.add
                    (local.tee $c0 (i32.add (i32.add (local.get $c) (i32.mul (local.get $i) (local.get $ldc)))
                                            (i32.mul (local.get $j) (i32.const 4))))
                    (local.get $ldc)))
                (local.get $ldc)))
            (local.get $ldc)))
        (if (local.get $acc)
          (then
            (local.set $s00 (v128.load offset=0 (local.get $c0)))
            (local.set $s01 (v128.load offset=16 (local.get $c0)))
            (local.set $s10 (v128.load offset=0 (local.get $c1)))
            (local.set $s11 (v128.load offset=16 (local.get $c1)))
            (local.set $s20 (v128.load offset=0 (local.get $c2)))
            (local.set $s21 (v128.load offset=16 (local.get $c2)))
            (local.set $s30 (v128.load offset=0 (local.get $c3)))
            (local.set $s31 (v128.load offset=16 (local.get $c3))))
          (else
            (local.set $s00 (v128.const i32x4 0 0 0 0))
            (local.set $s01 (v128.const i32x4 0 0 0 0))
            (local.set $s10 (v128.const i32x4 0 0 0 0))
            (local.set $s11 (v128.const i32x4 0 0 0 0))
            (local.set $s20 (v128.const i32x4 0 0 0 0))
            (local.set $s21 (v128.const i32x4 0 0 0 0))
            (local.set $s30 (v128.const i32x4 0 0 0 0))
            (local.set $s31 (v128.const i32x4 0 0 0 0))))
        (local.set $ak (local.get $ai))
        (local.set $bk (i32.add (local.get $b) (i32.mul (local.get $j) (i32.const 4))))
        (local.set $k (local.get $p))
        (loop $dot
          (local.set $y0 (v128.load offset=0 (local.get $bk)))
          (local.set $y1 (v128.load offset=16 (local.get $bk)))
          ;; row i: s0· += A(i, k)·B[k, j … j+7]; then rows i+1, i+2, i+3 the same way
          (local.set $x (v128.load32_splat (local.get $ak)))
          (local.set $s00 (f32x4.add (local.get $s00) (f32x4.mul (local.get $x) (local.get $y0))))
          (local.set $s01 (f32x4.add (local.get $s01) (f32x4.mul (local.get $x) (local.get $y1))))
          (local.set $x (v128.load32_splat (i32.add (local.get $ak) (local.get $sai))))
          (local.set $s10 (f32x4.add (local.get $s10) (f32x4.mul (local.get $x) (local.get $y0))))
          (local.set $s11 (f32x4.add (local.get $s11) (f32x4.mul (local.get $x) (local.get $y1))))
          (local.set $x (v128.load32_splat (i32.add (local.get $ak) (local.get $s2))))
          (local.set $s20 (f32x4.add (local.get $s20) (f32x4.mul (local.get $x) (local.get $y0))))
          (local.set $s21 (f32x4.add (local.get $s21) (f32x4.mul (local.get $x) (local.get $y1))))
          (local.set $x (v128.load32_splat (i32.add (local.get $ak) (local.get $s3))))
          (local.set $s30 (f32x4.add (local.get $s30) (f32x4.mul (local.get $x) (local.get $y0))))
          (local.set $s31 (f32x4.add (local.get $s31) (f32x4.mul (local.get $x) (local.get $y1))))
          (local.set $ak (i32.add (local.get $ak) (local.get $sak)))
          (local.set $bk (i32.add (local.get $bk) (local.get $ldb)))
          (br_if $dot (local.tee $k (i32.sub (local.get $k) (i32.const 1)))))
        (v128.store offset=0 (local.get $c0) (local.get $s00))
        (v128.store offset=16 (local.get $c0) (local.get $s01))
        (v128.store offset=0 (local.get $c1) (local.get $s10))
        (v128.store offset=16 (local.get $c1) (local.get $s11))
        (v128.store offset=0 (local.get $c2) (local.get $s20))
        (v128.store offset=16 (local.get $c2) (local.get $s21))
        (v128.store offset=0 (local.get $c3) (local.get $s30))
        (v128.store offset=16 (local.get $c3) (local.get $s31))
        (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 8))) (local.get $n))))
      (br_if $rows (i32.lt_u (local.tee $i (i32.add (local.get $i) (i32.const 4))) (local.get $m)))))

  ;; GELU (GPT-2's tanh form) over `count` floats (a multiple of 4): y[i] = ½·x·(1 + tanh(u)), u = √(2/π)·(x + 0.044715·x³),
  ;; from byte address x to byte address y (they may be the same).
  (func $gelu (export "gelu") (param $x i32) (param $y i32) (param $count i32)
    (local $end i32) (local $v v128)
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $count) (i32.const 4))))
    (loop $each
      (local.set $v (v128.load (local.get $x)))
      (v128.store (local.get $y)
        (f32x4.mul (f32x4.mul (f32x4.splat (f32.const 0.5)) (local.get $v))
                   (f32x4.add (f32x4.splat (f32.const 1)) (call $tanh4 (call $geluArg (local.get $v))))))
      (local.set $y (i32.add (local.get $y) (i32.const 16)))
      (br_if $each (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))))

  ;; GELU's backward over `count` floats: dx[i] = dy[i]·(½(1 + t) + ½·x·(1 − t²)·√(2/π)·(1 + 3·0.044715·x²)), t = tanh(u);
  ;; dx may be dy.
  (func $gelu_backward (export "gelu_backward") (param $x i32) (param $dy i32) (param $dx i32) (param $count i32)
    (local $end i32) (local $v v128) (local $t v128)
    (local.set $end (i32.add (local.get $x) (i32.mul (local.get $count) (i32.const 4))))
    (loop $each
      (local.set $v (v128.load (local.get $x)))
      (local.set $t (call $tanh4 (call $geluArg (local.get $v))))
      (v128.store (local.get $dx)
        (f32x4.mul
          (v128.load (local.get $dy))
          (f32x4.add
            (f32x4.mul (f32x4.splat (f32.const 0.5)) (f32x4.add (f32x4.splat (f32.const 1)) (local.get $t)))
            (f32x4.mul
              (f32x4.mul (f32x4.mul (f32x4.splat (f32.const 0.5)) (local.get $v))
                         (f32x4.sub (f32x4.splat (f32.const 1)) (f32x4.mul (local.get $t) (local.get $t))))
              (f32x4.mul (f32x4.splat (f32.const 0.7978845608028654))
                         (f32x4.add (f32x4.splat (f32.const 1))
                                    (f32x4.mul (f32x4.splat (f32.const 0.134145)) (f32x4.mul (local.get $v) (local.get $v)))))))))
      (local.set $dy (i32.add (local.get $dy) (i32.const 16)))
      (local.set $dx (i32.add (local.get $dx) (i32.const 16)))
      (br_if $each (i32.lt_u (local.tee $x (i32.add (local.get $x) (i32.const 16))) (local.get $end)))))

  ;; u = √(2/π)·(x + 0.044715·x³) for four floats.
  (func $geluArg (param $v v128) (result v128)
    (f32x4.mul (f32x4.splat (f32.const 0.7978845608028654))
               (f32x4.add (local.get $v)
                          (f32x4.mul (f32x4.splat (f32.const 0.044715))
                                     (f32x4.mul (local.get $v) (f32x4.mul (local.get $v) (local.get $v)))))))

  ;; dst[j] += Σ_r src[r, j] for j < n (a multiple of 4), r < rows (≥ 1), src rows of ld bytes — a linear layer's
  ;; bias gradient, the column sums of dY, read where the Aᵀ·B product left dY in memory.
  (func $colsum (export "colsum") (param $src i32) (param $dst i32) (param $rows i32) (param $n i32) (param $ld i32)
    (local $j i32) (local $r i32) (local $p i32) (local $s v128)
    (local.set $j (i32.const 0))
    (loop $cols
      (local.set $s (v128.load (i32.add (local.get $dst) (local.get $j))))
      (local.set $p (i32.add (local.get $src) (local.get $j)))
      (local.set $r (local.get $rows))
      (loop $down
        (local.set $s (f32x4.add (local.get $s) (v128.load (local.get $p))))
        (local.set $p (i32.add (local.get $p) (local.get $ld)))
        (br_if $down (local.tee $r (i32.sub (local.get $r) (i32.const 1)))))
      (v128.store (i32.add (local.get $dst) (local.get $j)) (local.get $s))
      (br_if $cols (i32.lt_u (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.mul (local.get $n) (i32.const 4))))))

  (export "memory" (memory 0)))
