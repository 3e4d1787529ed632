;; worker.wat: a long-running WASI preview 1 worker for the cluster example.
;; run(id, ms, beats) -> beats: writes "worker <id> alive" to stdout every ms milliseconds,
;; beats times (0: until it is stopped). It waits in poll_oneoff, holding no thread.
(module
  (import "wasi_snapshot_preview1" "poll_oneoff"
    (func $poll_oneoff (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  ;; the line at 256: "worker ? alive\n" (15 bytes), the digit written at 263
  (data (i32.const 256) "worker ? alive\n")

  ;; One relative monotonic clock subscription of ms milliseconds: subscription at 0 (48
  ;; bytes), event at 64 (32 bytes), nevents at 128.
  (func $sleep (param $ms i32)
    (i64.store (i32.const 0) (i64.const 1))              ;; userdata
    (i32.store8 (i32.const 8) (i32.const 0))             ;; tag: clock
    (i32.store (i32.const 16) (i32.const 1))             ;; clock id: monotonic
    (i64.store (i32.const 24)                            ;; timeout in ns
      (i64.mul (i64.extend_i32_u (local.get $ms)) (i64.const 1000000)))
    (i64.store (i32.const 32) (i64.const 0))             ;; precision
    (i32.store16 (i32.const 40) (i32.const 0))           ;; flags: relative
    (drop (call $poll_oneoff (i32.const 0) (i32.const 64) (i32.const 1) (i32.const 128))))

  ;; Writes the line for worker id (its last decimal digit): one iovec at 512, nwritten at 520.
  (func $say (param $id i32)
    (i32.store8 (i32.const 263)
      (i32.add (i32.const 48) (i32.rem_u (local.get $id) (i32.const 10))))
    (i32.store (i32.const 512) (i32.const 256))
    (i32.store (i32.const 516) (i32.const 15))
    (drop (call $fd_write (i32.const 1) (i32.const 512) (i32.const 1) (i32.const 520))))

  (func (export "run") (param $id i32) (param $ms i32) (param $beats i32) (result i32)
    (local $i i32)
    (block $done
      (loop $again
        (br_if $done (i32.and (i32.ne (local.get $beats) (i32.const 0))
                              (i32.ge_u (local.get $i) (local.get $beats))))
        (call $sleep (local.get $ms))
        (call $say (local.get $id))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $again)))
    (local.get $i)))
