"""What both Twisted peers share and is not Twisted: the command line, the contract's error codes,
the clock and the one JSON document a peer prints.

The bench reads that document in the shape of its own digests: per task the poem's length and
SHA-256, or an error code from the contract's list, in input order; plus the peer's own elapsed
time from just before the first connect to the last result, its CPU time over the same window
(user and system, from getrusage) and its peak resident memory. The interpreter's start-up is not
in the elapsed time: the wall-clock instant of the first connect (`startedAtMs`) lets the bench
report it apart. Hashing happens after the clock stops, as the bench's own model process does.
"""

import hashlib
import json
import resource
import sys
import time

USAGE = """Usage: {name} [--timeout <seconds>] [--concurrency <k>] [--addresses <file>] [host:]port ...

{what}

Options:
  --timeout <seconds>    a download (connect + receive) that takes longer fails with TIMEOUT
  --concurrency <k>      at most k downloads in flight at once (default: all at once)
  --addresses <file>     read more addresses from a file, one per line (for thousands)
  -h, --help             show this help

Prints one JSON document on stdout: one result per address in input order (bytes and SHA-256
of the poem, or an error code), the elapsed time from just before the first connect to the
last result, CPU time and peak memory.

Exit codes:
  0   every poem arrived
  1   some poem did not arrive (its result says why)
  2   usage error"""


class UsageError(Exception):
    pass


def parse_address(text):
    """`host:port` or a bare `port` (on 127.0.0.1), as the project's own client reads them."""
    host, _, port = text.rpartition(":")
    if not port.isdigit():
        raise UsageError(f"not an address: {text!r} (expected host:port or port)")
    return (host or "127.0.0.1", int(port))


def parse_args(argv, name, what):
    """(addresses, timeout in seconds or None, concurrency or None); exits 0 on --help, 2 on a mistake."""
    addresses, timeout, concurrency = [], None, None
    try:
        args = list(argv)
        while args:
            arg = args.pop(0)
            if arg in ("-h", "--help"):
                print(USAGE.format(name=name, what=what))
                sys.exit(0)
            if arg in ("--timeout", "--concurrency", "--addresses"):
                if not args:
                    raise UsageError(f"{arg} needs a value")
                value = args.pop(0)
                if arg == "--addresses":
                    try:
                        with open(value, encoding="utf-8") as lines:
                            addresses += [parse_address(line.strip()) for line in lines if line.strip()]
                    except OSError as error:
                        raise UsageError(f"{value}: {error.strerror}") from error
                elif arg == "--timeout":
                    timeout = positive(arg, value, float)
                else:
                    concurrency = positive(arg, value, int)
            elif arg.startswith("-"):
                raise UsageError(f"unknown option {arg}")
            else:
                addresses.append(parse_address(arg))
        if not addresses:
            raise UsageError("no addresses given")
    except UsageError as error:
        print(f"{name}: {error} (see --help)", file=sys.stderr)
        sys.exit(2)
    return addresses, timeout, concurrency


def positive(flag, text, kind):
    try:
        value = kind(text)
    except ValueError:
        value = 0
    if value <= 0:
        raise UsageError(f"{flag} must be a positive number, got {text}")
    return value


def format_address(address):
    return f"{address[0]}:{address[1]}"


class Clock:
    """The measured window: wall (monotonic) and CPU time from `start()` to `stop()`."""

    def start(self):
        self.started_at_ms = time.time() * 1000
        self.started = time.monotonic()
        self.cpu_before = resource.getrusage(resource.RUSAGE_SELF)

    def stop(self):
        self.elapsed = time.monotonic() - self.started
        self.cpu_after = resource.getrusage(resource.RUSAGE_SELF)


def decode(poem):
    """The poem's bytes if they are UTF-8 (a model hands back text; a peer proves it could)."""
    poem.decode("utf-8")
    return poem


def report(clock, tasks, runtime):
    """Prints the JSON document and returns the exit code: 0 when every poem arrived.

    `tasks` is, in input order, (address, poem bytes) or (address, (code, message)).
    """
    results = []
    for address, outcome in tasks:
        where = format_address(address)
        if isinstance(outcome, bytes):
            results.append({"ok": True, "address": where, "bytes": len(outcome),
                            "sha256": hashlib.sha256(outcome).hexdigest()})
        else:
            code, message = outcome
            results.append({"ok": False, "address": where, "code": code, "message": message})
    document = {
        "runtime": runtime,
        "startedAtMs": clock.started_at_ms,
        "elapsedMs": clock.elapsed * 1000,
        "userMs": (clock.cpu_after.ru_utime - clock.cpu_before.ru_utime) * 1000,
        "systemMs": (clock.cpu_after.ru_stime - clock.cpu_before.ru_stime) * 1000,
        # ru_maxrss is in KiB on Linux: the kernel's high-water mark of resident memory.
        "maxRssMB": clock.cpu_after.ru_maxrss / 1024,
        "results": results,
    }
    sys.stdout.write(json.dumps(document) + "\n")
    sys.stdout.flush()
    return 0 if all(r["ok"] for r in results) else 1


def run_reactor(start_all, clock, addresses, outcomes):
    """Runs the reactor from `start_all` until a peer stops it, then reports and exits with the code."""
    import twisted
    from twisted.internet import reactor

    reactor.callWhenRunning(start_all)
    reactor.run()
    runtime = (f"Python {sys.version.split()[0]} ({sys.executable}), Twisted {twisted.__version__}, "
               f"{type(reactor).__name__}")
    sys.exit(report(clock, list(zip(addresses, outcomes)), runtime))


def classify(reason):
    """The contract's code and a message for a Twisted Failure (connection failed or lost)."""
    from twisted.internet import error

    if reason.check(error.ConnectionRefusedError):
        return ("REFUSED", "connection refused")
    if reason.check(error.TimeoutError, error.TCPTimedOutError):
        return ("TIMEOUT", "connect timed out")
    if reason.check(error.ConnectionLost):
        return ("RESET", "connection reset mid-poem")
    if reason.check(UnicodeDecodeError):
        return ("BAD_ENCODING", f"not UTF-8 ({reason.getErrorMessage()})")
    return ("NETWORK", reason.getErrorMessage())

