"""The Twisted peer in callbacks: a protocol, a factory and the reactor, as the series' client 3.1
is written. The factory is handed a callback and an errback; the protocol collects bytes and,
when the connection is lost, tells the factory how it ended. What the series' client leaves out,
the contract asks for: a timeout per download (a delayed call that aborts the connection), a
limit on downloads in flight (a queue the finished ones draw from), every failure with its code,
and an exit code that says whether every poem arrived.

Usage: /usr/bin/python3 bench/peers/twisted/callbacks.py [options] [host:]port ...  (--help)
"""

import sys

from twisted.internet import reactor
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import ClientFactory, Protocol

import peer_common


class PoetryProtocol(Protocol):
    def connectionMade(self):
        self.chunks = []
        self.factory.connected(self)

    def dataReceived(self, data):
        self.chunks.append(data)

    def connectionLost(self, reason):
        self.factory.poem_finished(b"".join(self.chunks), reason)


class PoetryClientFactory(ClientFactory):
    protocol = PoetryProtocol

    def __init__(self, callback, errback, timeout):
        self.callback = callback
        self.errback = errback
        self.timeout = timeout
        self.transport = None
        self.timer = None
        self.timed_out = False

    def startedConnecting(self, connector):
        # The timeout covers connect and receive alike, as the contract's does.
        if self.timeout is not None:
            self.timer = reactor.callLater(self.timeout, self.time_out, connector)

    def connected(self, protocol):
        self.transport = protocol.transport

    def time_out(self, connector):
        self.timed_out = True
        self.timer = None
        if self.transport is not None:
            self.transport.abortConnection()
        else:
            connector.stopConnecting()

    def poem_finished(self, poem, reason):
        self.cancel_timer()
        if self.timed_out:
            self.errback(("TIMEOUT", f"no complete poem within {self.timeout * 1000:g} ms"))
        elif not reason.check(ConnectionDone):
            self.errback(peer_common.classify(reason))
        else:
            try:
                self.callback(peer_common.decode(poem))
            except UnicodeDecodeError as error:
                self.errback(("BAD_ENCODING", f"not UTF-8 ({error.reason} at byte {error.start})"))

    def clientConnectionFailed(self, connector, reason):
        self.cancel_timer()
        if self.timed_out:
            self.errback(("TIMEOUT", f"no connection within {self.timeout * 1000:g} ms"))
        else:
            self.errback(peer_common.classify(reason))

    def cancel_timer(self):
        if self.timer is not None:
            self.timer.cancel()
            self.timer = None


def poetry_main():
    addresses, timeout, concurrency = peer_common.parse_args(
        sys.argv[1:], "twisted-callbacks", "Fetches poems with a Twisted protocol, factory and reactor, in callbacks."
    )
    outcomes = [None] * len(addresses)
    waiting = list(range(len(addresses)))
    waiting.reverse()
    remaining = [len(addresses)]
    clock = peer_common.Clock()

    def start_next():
        index = waiting.pop()
        host, port = addresses[index]

        def finished(outcome):
            outcomes[index] = outcome
            remaining[0] -= 1
            if waiting:
                start_next()
            elif remaining[0] == 0:
                clock.stop()
                reactor.stop()

        factory = PoetryClientFactory(finished, finished, timeout)
        reactor.connectTCP(host, port, factory, **({} if timeout is None else {"timeout": timeout}))

    def start_all():
        clock.start()
        for _ in range(min(concurrency or len(addresses), len(addresses))):
            start_next()

    peer_common.run_reactor(start_all, clock, addresses, outcomes)


if __name__ == "__main__":
    poetry_main()
