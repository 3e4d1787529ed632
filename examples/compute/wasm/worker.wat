;; worker.wat: the compute example's worker module.
;; compute(a, b) returns a * b (wrapping i32 multiplication); compute(6, 7) = 42.
;; No imports, no memory.
(module
  (func (export "compute") (param $a i32) (param $b i32) (result i32)
    local.get $a
    local.get $b
    i32.mul))
