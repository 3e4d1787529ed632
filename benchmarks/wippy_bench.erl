%% The Erlang/OTP baselines of wippy's benchmark harness (benchmarks/erlang.py compiles and runs
%% this with erlc/erl). Each scenario does the same process work as its wippy counterpart and
%% prints one line: "key sample1 sample2 ...", samples in the unit of the wippy scenario.
-module(wippy_bench).
-behaviour(supervisor).
-export([main/1, init/1, start_child/1, child/1]).

main([Rounds, Spawns, Latencies, Messages, CpuSeconds, Sleepers, SleepMs, Live]) ->
    R = list_to_integer(Rounds),
    N = list_to_integer(Spawns),
    L = list_to_integer(Latencies),
    M = list_to_integer(Messages),
    Cpu = list_to_float(CpuSeconds),
    logger:set_primary_config(level, none),  % supervisor crash reports would flood the output
    report(spawn_seq, rounds(R, fun() -> spawn_seq(N) end)),
    report(spawn_conc8, rounds(R, fun() -> spawn_conc(8, N) end)),
    report(exit_latency, rounds(R, fun() -> exit_latency(L) end)),
    report(restart_latency, rounds(R, fun() -> restart_latency(L) end)),
    report(msgs_1, rounds(R, fun() -> messages(1, M) end)),
    report(msgs_100, rounds(R, fun() -> messages(100, M) end)),
    Iterations = calibrate(Cpu),
    report(parallel_cpu, rounds(R, fun() -> parallel_cpu(Iterations) end)),
    [report(list_to_atom("live_" ++ C), rounds(1, fun() -> live(list_to_integer(C)) end))
     || C <- string:tokens(Live, ",")],
    report(blocking, rounds(1, fun() ->
        blocking(list_to_integer(Sleepers), list_to_integer(SleepMs)) end)),
    halt(0).

report(Key, Samples) ->
    io:format("~s~s~n", [Key, [io_lib:format(" ~.6f", [float(S)]) || S <- Samples]]).

%% One warm-up round, then R measured rounds.
rounds(R, Fun) ->
    _ = Fun(),
    [Fun() || _ <- lists:seq(1, R)].

now_us() -> erlang:monotonic_time(nanosecond) / 1000.

compute(A, B) -> A * B.

%% spawn-run-exit: spawn a process computing 6*7 and wait for its 'DOWN'; µs per process.
spawn_seq(N) ->
    T0 = now_us(),
    spawn_loop(N),
    (now_us() - T0) / N.

spawn_loop(0) -> ok;
spawn_loop(K) ->
    {Pid, Ref} = spawn_monitor(fun() -> exit({result, compute(6, 7)}) end),
    receive {'DOWN', Ref, process, Pid, {result, 42}} -> ok end,
    spawn_loop(K - 1).

spawn_conc(Ways, N) ->
    Self = self(),
    T0 = now_us(),
    Pids = [spawn(fun() -> spawn_loop(N div Ways), Self ! {done, self()} end)
            || _ <- lists:seq(1, Ways)],
    [receive {done, P} -> ok end || P <- Pids],
    (now_us() - T0) / ((N div Ways) * Ways).

%% exit latency: the moment a monitored process crashes to its 'DOWN' received; median µs.
exit_latency(L) ->
    median([exit_once() || _ <- lists:seq(1, L)]).

exit_once() ->
    {Pid, Ref} = spawn_monitor(fun() -> receive go -> exit({crash, now_us()}) end end),
    Pid ! go,
    receive {'DOWN', Ref, process, Pid, {crash, T0}} -> now_us() - T0 end.

%% restart latency: crash of a supervised child to its replacement running; median µs.
restart_latency(L) ->
    process_flag(trap_exit, true),
    {ok, Sup} = supervisor:start_link(?MODULE, self()),
    First = receive {running, P0, _} -> P0 end,
    {Samples, Last} = restart_loop(L, First, []),
    unlink(Sup),
    Last ! stop,
    exit(Sup, shutdown),
    process_flag(trap_exit, false),
    median(Samples).

restart_loop(0, Child, Acc) -> {Acc, Child};
restart_loop(K, Child, Acc) ->
    Child ! crash,
    receive {crashed, T0} -> ok end,
    receive {running, Next, T1} -> restart_loop(K - 1, Next, [T1 - T0 | Acc]) end.

init(Parent) ->
    {ok, {#{strategy => one_for_one, intensity => 1000000, period => 1},
          [#{id => child, start => {?MODULE, start_child, [Parent]}, restart => transient}]}}.

start_child(Parent) -> {ok, spawn_link(?MODULE, child, [Parent])}.

child(Parent) ->
    Parent ! {running, self(), now_us()},
    receive
        crash -> Parent ! {crashed, now_us()}, exit(crash);
        stop -> ok
    end.

%% messages: N messages to one receiver from S senders; messages per second.
messages(S, N) ->
    Self = self(),
    PerSender = N div S,
    Total = PerSender * S,
    Receiver = spawn(fun() -> receive_n(Total), Self ! received end),
    Senders = [spawn(fun() -> receive go -> send_n(Receiver, PerSender) end end)
               || _ <- lists:seq(1, S)],
    T0 = now_us(),
    [P ! go || P <- Senders],
    receive received -> ok end,
    Total / ((now_us() - T0) / 1.0e6).

receive_n(0) -> ok;
receive_n(K) -> receive {msg, _} -> receive_n(K - 1) end.

send_n(_, 0) -> ok;
send_n(To, K) -> To ! {msg, K}, send_n(To, K - 1).

%% parallel CPU: two CPU-bound processes against one; speedup (2 x one's time / both's time).
calibrate(Seconds) ->
    T0 = now_us(),
    spin(2000000),
    PerIteration = (now_us() - T0) / 2000000,
    max(1, round(Seconds * 1.0e6 / PerIteration)).

spin(0) -> ok;
spin(K) -> spin(K - 1).

timed_spins(Ways, Iterations) ->
    Self = self(),
    T0 = now_us(),
    Pids = [spawn(fun() -> spin(Iterations), Self ! {spun, self()} end)
            || _ <- lists:seq(1, Ways)],
    [receive {spun, P} -> ok end || P <- Pids],
    now_us() - T0.

parallel_cpu(Iterations) ->
    One = timed_spins(1, Iterations),
    Two = timed_spins(2, Iterations),
    2 * One / Two.

%% live processes: memory per idle process (blocked in receive), KiB.
live(N) ->
    erlang:garbage_collect(),
    Before = erlang:memory(total),
    Pids = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
    After = erlang:memory(total),
    [P ! stop || P <- Pids],
    (After - Before) / N / 1024.

%% blocking: N processes sleeping SleepMs each; seconds until all are done.
blocking(N, SleepMs) ->
    Self = self(),
    T0 = now_us(),
    Pids = [spawn(fun() -> timer:sleep(SleepMs), Self ! {slept, self()} end)
            || _ <- lists:seq(1, N)],
    [receive {slept, P} -> ok end || P <- Pids],
    (now_us() - T0) / 1.0e6.

median(Samples) ->
    Sorted = lists:sort(Samples),
    Len = length(Sorted),
    case Len rem 2 of
        1 -> lists:nth(Len div 2 + 1, Sorted);
        0 -> (lists:nth(Len div 2, Sorted) + lists:nth(Len div 2 + 1, Sorted)) / 2
    end.
