;; worker.wat: the supervision example's WASM worker (worker.wasm).
;;
;; steps(n) -> i32: how many Collatz steps take n to 1 (n -> n/2 if even, 3n+1 if odd).
;; It "crashes on some inputs": for n <= 0 or a multiple of 7 it executes `unreachable`,
;; a trap that ends the process with error kind `trap`.
(module
  (func (export "steps") (param $n i32) (result i32)
    (local $count i32)
    (if (i32.le_s (local.get $n) (i32.const 0)) (then unreachable))
    (if (i32.eqz (i32.rem_u (local.get $n) (i32.const 7))) (then unreachable))
    (block $done
      (loop $next
        (br_if $done (i32.eq (local.get $n) (i32.const 1)))
        (if (i32.and (local.get $n) (i32.const 1))
          (then (local.set $n (i32.add (i32.mul (local.get $n) (i32.const 3)) (i32.const 1))))
          (else (local.set $n (i32.shr_u (local.get $n) (i32.const 1)))))
        (local.set $count (i32.add (local.get $count) (i32.const 1)))
        (br $next)))
    (local.get $count)))
