"""The Twisted peer in `inlineCallbacks`: each download is one generator that yields the connect
and then the poem, as the series' later clients are written; a `DeferredSemaphore` holds the
downloads in flight to the limit, `addTimeout` bounds each one (cancelling the Deferred it waits
on, which aborts the connection), and a `DeferredList` stops the reactor after the last.

Usage: /usr/bin/python3 bench/peers/twisted/inline.py [options] [host:]port ...  (--help)
"""

import sys

from twisted.internet import defer, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.internet.error import ConnectionDone
from twisted.internet.protocol import Protocol

import peer_common


class PoetryProtocol(Protocol):
    """Collects the poem; `finished` fires with its bytes when the server closes, or with the failure."""

    def __init__(self):
        self.chunks = []
        # Cancelling the wait (the timeout) aborts the connection: nothing is left open.
        self.finished = defer.Deferred(lambda _: self.transport.abortConnection())

    def dataReceived(self, data):
        self.chunks.append(data)

    def connectionLost(self, reason):
        if self.finished.called:  # cancelled: the canceller already failed it
            return
        if reason.check(ConnectionDone):
            self.finished.callback(b"".join(self.chunks))
        else:
            self.finished.errback(reason)


@defer.inlineCallbacks
def get_poetry(host, port):
    protocol = yield connectProtocol(TCP4ClientEndpoint(reactor, host, port), PoetryProtocol())
    poem = yield protocol.finished
    return peer_common.decode(poem)


def poetry_main():
    addresses, timeout, concurrency = peer_common.parse_args(
        sys.argv[1:], "twisted-inline", "Fetches poems with Twisted's inlineCallbacks, one generator per download."
    )
    outcomes = [None] * len(addresses)
    clock = peer_common.Clock()
    # Without a limit every download starts at once, as the series' client starts them.
    semaphore = defer.DeferredSemaphore(concurrency) if concurrency else None

    def fetch(index):
        host, port = addresses[index]
        d = get_poetry(host, port)
        if timeout is not None:
            d.addTimeout(timeout, reactor)
        return d

    def succeeded(poem, index):
        outcomes[index] = poem

    def failed(reason, index):
        if reason.check(defer.TimeoutError):
            outcomes[index] = ("TIMEOUT", f"no complete poem within {timeout * 1000:g} ms")
        else:
            outcomes[index] = peer_common.classify(reason)

    def start_all():
        clock.start()
        downloads = [
            (semaphore.run(fetch, index) if semaphore else fetch(index)).addCallbacks(succeeded, failed, (index,), None, (index,))
            for index in range(len(addresses))
        ]
        defer.DeferredList(downloads).addBoth(lambda _: (clock.stop(), reactor.stop()))

    peer_common.run_reactor(start_all, clock, addresses, outcomes)


if __name__ == "__main__":
    poetry_main()
