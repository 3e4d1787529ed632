%% The Erlang/OTP baselines of wippy's benchmark harness: a server that runs one measured round
%% at a time, so that benchmarks/erlang.py can interleave the Erlang column round by round with
%% wippy's and the other baselines'. Each scenario does the same process work as its wippy
%% counterpart.
%%
%% Protocol (lines on stdin and stdout): the server first prints "ready <OS pid>"; then each
%% request "<command> <arg>..." gets one reply, "ok <value>" or "error <reason>". Every round
%% runs in a fresh process of its own, so leftover messages cannot slow the next one. "quit" (or
%% the end of stdin) stops the node.
-module(wippy_bench).
-behaviour(supervisor).
-export([main/0, init/1, start_child/1, child/1]).

main() ->
    logger:set_primary_config(level, none),  % supervisor crash reports would flood the output
    io:format("ready ~s~n", [os:getpid()]),
    serve([]).

serve(Live) ->
    case io:get_line("") of
        eof -> halt(0);
        {error, _} -> halt(1);
        Line ->
            case string:tokens(Line, " \r\n") of
                ["quit"] -> halt(0);
                [Command | Args] ->
                    {Reply, Live1} = request(Command, [number(A) || A <- Args], Live),
                    io:format("~s~n", [Reply]),
                    serve(Live1);
                [] -> serve(Live)
            end
    end.

number(Text) ->
    try list_to_integer(Text) catch error:badarg -> list_to_float(Text) end.

%% live_spawn and live_stop keep the idle processes between requests; everything else is one
%% round in a fresh process.
request("live_spawn", [N], Live) ->
    Pids = [spawn(fun() -> receive stop -> ok end end) || _ <- lists:seq(1, N)],
    {ok(N), Pids ++ Live};
request("live_stop", [], Live) ->
    [P ! stop || P <- Live],
    {ok(0), []};
request("gc", [], Live) ->
    [erlang:garbage_collect(P) || P <- erlang:processes()],
    {ok(0), Live};
request(Command, Args, Live) ->
    {isolated(fun() -> run_round(Command, Args) end), Live}.

ok(Value) -> io_lib:format("ok ~.6f", [float(Value)]).

isolated(Fun) ->
    Self = self(),
    {Pid, Ref} = spawn_monitor(fun() -> Self ! {result, self(), Fun()} end),
    receive
        {result, Pid, Value} ->
            erlang:demonitor(Ref, [flush]),
            ok(Value);
        {'DOWN', Ref, process, Pid, Reason} ->
            io_lib:format("error ~0p", [Reason])
    end.

run_round("spawn_seq", [N]) -> spawn_seq(N);
run_round("spawn_conc8", [N]) -> spawn_conc(8, N);
run_round("exit_latency", [L]) -> exit_latency(L);
run_round("restart_latency", [L]) -> restart_latency(L);
run_round("msgs_1", [M]) -> messages(1, M);
run_round("msgs_100", [M]) -> messages(100, M);
run_round("calibrate", [Seconds]) -> calibrate(Seconds);
run_round("parallel_cpu", [Iterations]) -> parallel_cpu(Iterations);
run_round("blocking", [N, SleepMs]) -> blocking(N, SleepMs);
run_round(Command, Args) -> exit({unknown_request, Command, Args}).

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
%% calibrate returns the iterations of spin/1 that take about Seconds.
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
