#!/usr/bin/env escript
%% -*- erlang -*-
%%! -noinput
%%
%% The Erlang peer: one process per download, started with spawn_monitor, each with a passive
%% gen_tcp socket and a recv loop; main collects the poems as messages and the failures as the
%% 'DOWN' of the process that failed (its exit reason says why), as the series' Erlang client does.
%% What that client leaves out, the contract asks for: every failure with its code (it reports
%% nothing for a refused connection), a timeout per download, a limit on downloads in flight
%% (main starts the next one when a 'DOWN' arrives), results in input order, and exit code 1
%% unless every poem arrived.
%%
%% It prints one JSON document: per task the poem's length and SHA-256 or an error code, the
%% elapsed time from just before the first connect to the last result, CPU time (user and system,
%% from /proc/self/stat) over the same window, and the peak resident memory (VmHWM). The VM's
%% start-up is before that window; `startedAtMs` lets the bench report it apart.
%%
%% Usage: escript bench/peers/erlang/poetry.escript [options] [host:]port ...   (--help)
-mode(compile).

usage() ->
    "Usage: erlang-peer [--timeout <seconds>] [--concurrency <k>] [--addresses <file>] [host:]port ...\n\n"
    "Fetches poems with one Erlang process per download (spawn_monitor, passive gen_tcp).\n\n"
    "Options:\n"
    "  --timeout <seconds>    a download (connect + receive) that takes longer fails with TIMEOUT\n"
    "  --concurrency <k>      at most k downloads in flight at once (default: all at once)\n"
    "  --addresses <file>     read more addresses from a file, one per line (for thousands)\n"
    "  -h, --help             show this help\n\n"
    "Prints one JSON document on stdout: one result per address in input order (bytes and SHA-256\n"
    "of the poem, or an error code), the elapsed time from just before the first connect to the\n"
    "last result, CPU time and peak memory.\n\n"
    "Exit codes:\n"
    "  0   every poem arrived\n"
    "  1   some poem did not arrive (its result says why)\n"
    "  2   usage error\n".

main(Args) ->
    {Addresses, Timeout, Limit} =
        try parse(Args, [], infinity, infinity)
        catch throw:{usage, Why} ->
            io:format(standard_error, "erlang-peer: ~ts (see --help)~n", [Why]),
            halt(2)
        end,
    StartedAtMs = os:system_time(microsecond) / 1000,
    Start = erlang:monotonic_time(microsecond),
    CpuBefore = cpu_ms(),
    Tasks = lists:zip(lists:seq(1, length(Addresses)), Addresses),
    {First, Waiting} = lists:split(min(Limit, length(Tasks)), Tasks),
    Running = maps:from_list([start(Task, Timeout) || Task <- First]),
    Results = collect(Running, Waiting, Timeout, #{}),
    ElapsedMs = (erlang:monotonic_time(microsecond) - Start) / 1000,
    {User, System} = cpu_ms(),
    {UserBefore, SystemBefore} = CpuBefore,
    Digests = [digest(Address, maps:get(Index, Results)) || {Index, Address} <- Tasks],
    io:put_chars(json(#{
        runtime => runtime(),
        startedAtMs => StartedAtMs,
        elapsedMs => ElapsedMs,
        userMs => User - UserBefore,
        systemMs => System - SystemBefore,
        maxRssMB => peak_rss_mb(),
        results => Digests
    })),
    io:nl(),
    halt(case lists:all(fun(#{ok := Ok}) -> Ok end, Digests) of true -> 0; false -> 1 end).

%% Main's loop: a poem is a message; a failure is the 'DOWN' of its process. When a process is
%% down, the next waiting download starts, so at most `Limit` are ever in flight.
collect(Running, Waiting, _Timeout, Results) when map_size(Running) =:= 0, Waiting =:= [] ->
    Results;
collect(Running, Waiting, Timeout, Results) ->
    receive
        {poem, Index, Poem} ->
            collect(Running, Waiting, Timeout, Results#{Index => {ok, Poem}});
        {'DOWN', Ref, process, _Pid, Reason} ->
            {Index, Still} = maps:take(Ref, Running),
            Failed = case Reason of
                normal -> Results;
                {poetry_error, Code, Message} -> Results#{Index => {error, Code, Message}};
                Other -> Results#{Index => {error, 'NETWORK', io_lib:format("~p", [Other])}}
            end,
            case Waiting of
                [Next | Rest] ->
                    {NewRef, NewIndex} = start(Next, Timeout),
                    collect(Still#{NewRef => NewIndex}, Rest, Timeout, Failed);
                [] ->
                    collect(Still, [], Timeout, Failed)
            end
    end.

start({Index, Address}, Timeout) ->
    Main = self(),
    {_Pid, Ref} = spawn_monitor(fun() -> get_poetry(Main, Index, Address, Timeout) end),
    {Ref, Index}.

%% One download: connect, then recv until the server closes; a failure ends the process with a reason.
get_poetry(Main, Index, {Host, Port}, Timeout) ->
    Deadline = deadline(Timeout),
    Options = [binary, {active, false}, {packet, raw}, {show_econnreset, true}],
    case gen_tcp:connect(Host, Port, Options, remaining(Deadline)) of
        {ok, Socket} ->
            Poem = recv_loop(Socket, Deadline, Timeout, []),
            case unicode:characters_to_binary(Poem, utf8, utf8) of
                Poem -> Main ! {poem, Index, Poem};
                _ -> exit({poetry_error, 'BAD_ENCODING', "the poem's bytes are not UTF-8"})
            end;
        {error, Why} ->
            fail(Why, Timeout)
    end.

recv_loop(Socket, Deadline, Timeout, Chunks) ->
    case gen_tcp:recv(Socket, 0, remaining(Deadline)) of
        {ok, Data} -> recv_loop(Socket, Deadline, Timeout, [Chunks | Data]);
        {error, closed} -> gen_tcp:close(Socket), iolist_to_binary(Chunks);
        {error, Why} -> gen_tcp:close(Socket), fail(Why, Timeout)
    end.

fail(timeout, Timeout) ->
    exit({poetry_error, 'TIMEOUT', io_lib:format("no complete poem within ~p ms", [round(Timeout * 1000)])});
fail(econnrefused, _) -> exit({poetry_error, 'REFUSED', "connection refused"});
fail(econnreset, _) -> exit({poetry_error, 'RESET', "connection reset mid-poem"});
fail(Why, _) -> exit({poetry_error, 'NETWORK', io_lib:format("~p", [Why])}).

deadline(infinity) -> infinity;
deadline(Seconds) -> erlang:monotonic_time(millisecond) + round(Seconds * 1000).

remaining(infinity) -> infinity;
remaining(Deadline) -> max(0, Deadline - erlang:monotonic_time(millisecond)).

digest({Host, Port}, Outcome) ->
    Where = list_to_binary(io_lib:format("~s:~b", [Host, Port])),
    case Outcome of
        {ok, Poem} ->
            Hash = string:lowercase(binary:encode_hex(crypto:hash(sha256, Poem))),
            #{ok => true, address => Where, bytes => byte_size(Poem), sha256 => Hash};
        {error, Code, Message} ->
            #{ok => false, address => Where, code => atom_to_binary(Code), message => iolist_to_binary(Message)}
    end.

%% The command line: addresses, the timeout in seconds and the limit (infinity when not given).
parse([], [], _, _) -> throw({usage, "no addresses given"});
parse([], Addresses, Timeout, Limit) -> {lists:reverse(Addresses), Timeout, Limit};
parse([Help | _], _, _, _) when Help =:= "-h"; Help =:= "--help" -> io:put_chars(usage()), halt(0);
parse(["--timeout", Value | Rest], Addresses, _, Limit) -> parse(Rest, Addresses, positive("--timeout", Value), Limit);
parse(["--concurrency", Value | Rest], Addresses, Timeout, _) ->
    case positive("--concurrency", Value) of
        K when is_integer(K) -> parse(Rest, Addresses, Timeout, K);
        _ -> throw({usage, "--concurrency must be a positive whole number, got " ++ Value})
    end;
parse(["--addresses", File | Rest], Addresses, Timeout, Limit) ->
    case file:read_file(File) of
        {ok, Text} ->
            Lines = [L || L <- string:split(binary_to_list(Text), "\n", all), string:trim(L) =/= ""],
            parse(Rest, lists:reverse([address(string:trim(L)) || L <- Lines], Addresses), Timeout, Limit);
        {error, Why} ->
            throw({usage, File ++ ": " ++ file:format_error(Why)})
    end;
parse([Flag], _, _, _) when Flag =:= "--timeout"; Flag =:= "--concurrency"; Flag =:= "--addresses" ->
    throw({usage, Flag ++ " needs a value"});
parse(["-" ++ _ = Flag | _], _, _, _) -> throw({usage, "unknown option " ++ Flag});
parse([Text | Rest], Addresses, Timeout, Limit) -> parse(Rest, [address(Text) | Addresses], Timeout, Limit).

address(Text) ->
    {Host, Port} = case string:split(Text, ":", trailing) of
        [P] -> {"127.0.0.1", P};
        [H, P] -> {H, P}
    end,
    case string:to_integer(Port) of
        {N, []} when N >= 0 -> {Host, N};
        _ -> throw({usage, "not an address: " ++ Text ++ " (expected host:port or port)"})
    end.

positive(Flag, Text) ->
    Number = case string:to_integer(Text) of
        {N, []} -> N;
        _ -> case string:to_float(Text) of {F, []} -> F; _ -> 0 end
    end,
    case Number > 0 of
        true -> Number;
        false -> throw({usage, Flag ++ " must be a positive number, got " ++ Text})
    end.

%% CPU time of the whole VM, user and system, in ms: fields 14 and 15 of /proc/self/stat, in clock
%% ticks (100 a second on Linux), after the command name in parentheses.
cpu_ms() ->
    {ok, Stat} = file:read_file("/proc/self/stat"),
    [_, AfterName] = binary:split(Stat, <<") ">>),
    Fields = binary:split(AfterName, <<" ">>, [global]),
    Tick = fun(N) -> binary_to_integer(lists:nth(N, Fields)) * 10 end,
    {Tick(12), Tick(13)}.

%% The kernel's high-water mark of resident memory (VmHWM), in MB.
peak_rss_mb() ->
    {ok, Status} = file:read_file("/proc/self/status"),
    {match, [Kb]} = re:run(Status, "VmHWM:\\s+(\\d+) kB", [{capture, all_but_first, binary}]),
    binary_to_integer(Kb) / 1024.

runtime() ->
    list_to_binary(io_lib:format("Erlang/OTP ~s, ERTS ~s, escript, ~b scheduler(s)",
        [erlang:system_info(otp_release), erlang:system_info(version), erlang:system_info(schedulers_online)])).

%% A JSON document from maps, lists, binaries (strings), numbers and booleans: OTP 25 has no json module.
json(Map) when is_map(Map) ->
    ["{", lists:join(",", [[json(atom_to_binary(K)), ":", json(V)] || {K, V} <- maps:to_list(Map)]), "}"];
json(List) when is_list(List) -> ["[", lists:join(",", [json(V) || V <- List]), "]"];
json(true) -> "true";
json(false) -> "false";
json(N) when is_integer(N) -> integer_to_list(N);
json(F) when is_float(F) -> float_to_list(F, [short]);
json(Bin) when is_binary(Bin) -> [$", [escape(C) || C <- unicode:characters_to_list(Bin)], $"].

escape($") -> "\\\"";
escape($\\) -> "\\\\";
escape(C) when C < 32 -> io_lib:format("\\u~4.16.0b", [C]);
escape(C) -> unicode:characters_to_binary([C]).
