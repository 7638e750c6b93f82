/**
 * TCP the Twisted way, on the reactor: a `Protocol` says what to do with bytes, a `Transport`
 * carries them, a factory makes one protocol per connection, and a `Connector` (from `connectTCP`)
 * or a `Port` (from `listenTCP`) ties them to sockets.
 *
 * Each connection is a reactor descriptor. What libuv reads arrives as the socket's 'data' events;
 * the descriptor only queues the bytes and tells the poller, and they reach the protocol when the
 * reactor's loop calls `doRead`, at most `readLimit` bytes per turn. Once `readLimit` bytes wait
 * unread, the socket is paused and the kernel holds the rest — the back-pressure a `select` loop
 * gets by not reading. A connect in progress is watched for writability, as under `select`.
 * Every end of a connection — clean close, reset, abort, the reactor stopping — goes through one
 * `connectionLost`, called once, with a typed reason from errors.ts.
 */
import net from 'node:net';
import type { Address } from '../poetry/contract.ts';
import {
  ConnectError,
  ConnectionAborted,
  ConnectionDone,
  ConnectionLost,
  connectErrorFor,
  connectionDone,
  TimeoutError,
  UserError,
} from './errors.ts';
import type { DelayedCall } from './interfaces.ts';
import type { LibuvDescriptor, ReadinessWatch } from './poller.ts';
import type { Reactor } from './reactor.ts';

/** The most one `doRead` hands to a protocol, so one flooding connection cannot starve the others. */
export const readLimit = 64 * 1024;
/** The most connections a listening port accepts per turn, for the same reason. */
const acceptLimit = 256;

// Protocols and factories ------------------------------------------------------------------------

/** What a protocol can do with its connection. */
export interface Transport {
  write(data: Uint8Array | string): void;
  /** Closes once everything written so far has been sent. */
  loseConnection(): void;
  /** Half-close: sends FIN after the pending writes; reading goes on until the peer closes. */
  loseWriteConnection(): void;
  /** Closes now, with a reset, dropping unsent data. */
  abortConnection(): void;
  getPeer(): Address;
  getHost(): Address;
  /** Stops reading from the peer until `resumeProducing` (the reactor stops watching it for reads). */
  pauseProducing(): void;
  resumeProducing(): void;
}

/** One side of one connection. Override the callbacks you need. */
export class Protocol {
  transport: Transport | undefined;
  factory: Factory | undefined;

  makeConnection(transport: Transport): void {
    this.transport = transport;
    this.connectionMade();
  }

  connectionMade(): void {}
  dataReceived(_data: Buffer): void {}
  /** Called once when the connection ends; `reason` is `ConnectionDone` for a clean close. */
  connectionLost(_reason: Error): void {}
}

/**
 * A protocol that wants to hear about the peer's half-close (Twisted's `IHalfCloseableProtocol`).
 * Without `readConnectionLost`, the peer's FIN closes the whole connection.
 */
export interface HalfCloseableProtocol extends Protocol {
  readConnectionLost(): void;
}

function isHalfCloseable(protocol: Protocol): protocol is HalfCloseableProtocol {
  return typeof (protocol as Partial<HalfCloseableProtocol>).readConnectionLost === 'function';
}

export type ProtocolClass = new () => Protocol;

/**
 * Makes protocols. Say which with `static protocol = MyProtocol`, or override `buildProtocol`;
 * a factory with neither is refused when it is constructed, not when the first connection arrives.
 */
export class Factory {
  static protocol: ProtocolClass | undefined;

  constructor() {
    const kind = this.constructor as typeof Factory;
    if (this.buildProtocol === Factory.prototype.buildProtocol && typeof kind.protocol !== 'function') {
      throw new TypeError(`${kind.name}: no protocol to build (set static protocol or override buildProtocol)`);
    }
  }

  /** A protocol for a connection with `_peer`, or `undefined` to refuse it. */
  buildProtocol(_peer: Address): Protocol | undefined {
    const ProtocolKind = (this.constructor as typeof Factory).protocol as ProtocolClass;
    const protocol = new ProtocolKind();
    protocol.factory = this;
    return protocol;
  }
}

/** A factory for outgoing connections, told how each attempt went. */
export class ClientFactory extends Factory {
  startedConnecting(_connector: Connector): void {}
  /** The connect failed: `ConnectionRefusedError`, `DNSLookupError`, `TimeoutError`, `UserError`… */
  clientConnectionFailed(_connector: Connector, _reason: Error): void {}
  /** An established connection ended (after its protocol's `connectionLost`). */
  clientConnectionLost(_connector: Connector, _reason: Error): void {}
}

// Connections -------------------------------------------------------------------------------------

type Phase = 'connecting' | 'connected' | 'lost';

/** The connection a Node socket belongs to, kept on the socket for the shared listeners below. */
const CONNECTION = Symbol('connection');
type ConnectionSocket = net.Socket & { [CONNECTION]: TCPConnection };

/**
 * One TCP connection: a descriptor for the reactor, a transport for its protocol. Its socket
 * listeners are shared by every connection and the socket carries its connection, so no closure
 * is made per connection.
 */
class TCPConnection implements LibuvDescriptor, Transport {
  watch: ReadinessWatch | undefined;
  readonly #reactor: Reactor;
  readonly #socket: ConnectionSocket;
  readonly #connector: Connector | undefined;
  #protocol: Protocol | undefined;
  #phase: Phase;
  /**
   * Bytes libuv delivered that the protocol has not had yet. The socket flows only while this is
   * under `readLimit` and the protocol wants data; otherwise it is paused and the kernel buffers.
   */
  #received: Buffer[] = [];
  #receivedBytes = 0;
  #wantsData = true;
  /** We paused the socket (and it stays paused until we resume it): resuming a flowing one is wasted work. */
  #paused = false;
  #connected = false;
  #ended = false;
  #closed = false;
  #error: Error | undefined;
  /** Why it is closing, when we closed it ourselves; otherwise the socket's state decides. */
  #closeReason: Error | undefined;
  #disconnecting = false;
  #timeout: DelayedCall | undefined;
  #peer: Address | undefined;
  #host: Address | undefined;

  constructor(reactor: Reactor, socket: net.Socket, phase: Phase, connector?: Connector) {
    this.#reactor = reactor;
    this.#socket = socket as ConnectionSocket;
    this.#socket[CONNECTION] = this;
    this.#phase = phase;
    this.#connector = connector;
    const listeners = TCPConnection.#listeners;
    // Listening for data from the start, as a plain client does: bytes that come before the
    // protocol is attached wait in `#received`. (A 'data' listener added after the connect finds
    // them buffered in the stream instead, and the stream replays them on a tick of its own.)
    socket.on('data', listeners.data);
    socket.on('end', listeners.end);
    socket.on('error', listeners.error);
    socket.on('close', listeners.close);
    if (phase === 'connecting') socket.on('connect', listeners.connect);
  }

  /**
   * What libuv reports, through the socket's events: noted here, acted on when the loop calls us.
   * One set of listeners for every connection; Node calls them with the socket as `this`.
   */
  static readonly #listeners = {
    data(this: ConnectionSocket, chunk: Buffer): void {
      const connection = this[CONNECTION];
      connection.#received.push(chunk);
      connection.#receivedBytes += chunk.length;
      if (connection.#receivedBytes >= readLimit) connection.#pause();
      connection.watch?.changed();
    },
    end(this: ConnectionSocket): void {
      const connection = this[CONNECTION];
      connection.#ended = true;
      connection.watch?.changed();
    },
    error(this: ConnectionSocket, error: Error): void {
      const connection = this[CONNECTION];
      connection.#error ??= error;
      connection.watch?.changed();
    },
    close(this: ConnectionSocket): void {
      const connection = this[CONNECTION];
      connection.#closed = true;
      // A paused connection is not watched for reads; its end must still reach the protocol.
      if (connection.#phase === 'connected') connection.#reactor.addReader(connection);
      connection.watch?.changed();
    },
    connect(this: ConnectionSocket): void {
      const connection = this[CONNECTION];
      connection.#connected = true;
      connection.watch?.changed();
    },
  };

  static #timedOut(connection: TCPConnection, host: string, port: number, timeout: number): void {
    connection.#timeout = undefined;
    connection.#reactor.disconnect(
      connection,
      new TimeoutError(`connect to ${host}:${port} took longer than ${timeout} s`),
    );
  }

  /** Starts a client connect; failures to even begin (a bad port) are reported on the next turn. */
  startConnecting(host: string, port: number, timeout: number): void {
    this.#reactor.addWriter(this);
    this.#timeout = this.#reactor.callLater(timeout, TCPConnection.#timedOut, this, host, port, timeout);
    try {
      this.#socket.connect(port, host);
    } catch (error) {
      this.#error = error as Error;
      this.watch?.changed();
    }
  }

  /** Gives a connected socket its protocol and starts reading. */
  attach(protocol: Protocol): void {
    this.#protocol = protocol;
    // An accepted socket starts paused (pauseOnConnect) and a 'data' listener alone does not resume it.
    if (this.#socket.isPaused()) this.#socket.resume();
    this.#reactor.addReader(this);
    protocol.makeConnection(this);
  }

  #pause(): void {
    if (this.#paused) return;
    this.#paused = true;
    this.#socket.pause();
  }

  /** Lets the socket flow again if the protocol wants data and there is room for it. */
  #resumeIfWanted(): void {
    if (this.#paused && this.#wantsData && this.#receivedBytes < readLimit) {
      this.#paused = false;
      this.#socket.resume();
    }
  }

  // The descriptor ----------------------------------------------------------------------------

  isReadable(): boolean {
    return this.#phase === 'connected' && (this.#receivedBytes > 0 || this.#ended || this.#closed || !!this.#error);
  }

  isWritable(): boolean {
    return this.#phase === 'connecting' && (this.#connected || this.#closed || !!this.#error);
  }

  doRead(): void {
    if (this.#receivedBytes > 0) {
      const chunk = this.#takeReceived();
      this.#resumeIfWanted();
      this.#protocol?.dataReceived(chunk);
    } else if (this.#error) {
      this.#reactor.disconnect(this, new ConnectionLost(this.#error.message, { cause: this.#error }));
    } else if (this.#closeReason || this.#closed) {
      this.#reactor.disconnect(this, this.#closeReason ?? connectionDone);
    } else if (this.#ended) {
      this.#peerHalfClosed();
    }
  }

  /** At most `readLimit` bytes of what arrived, in order; usually exactly one chunk, uncopied. */
  #takeReceived(): Buffer {
    const first = this.#received[0] as Buffer;
    if (first.length >= readLimit || this.#received.length === 1) {
      const chunk = first.length > readLimit ? first.subarray(0, readLimit) : first;
      if (chunk === first) this.#received.shift();
      else this.#received[0] = first.subarray(readLimit);
      this.#receivedBytes -= chunk.length;
      return chunk;
    }
    const pieces: Buffer[] = [];
    let size = 0;
    while (this.#received.length > 0 && size < readLimit) {
      const next = this.#received[0] as Buffer;
      const take = Math.min(next.length, readLimit - size);
      pieces.push(take === next.length ? next : next.subarray(0, take));
      if (take === next.length) this.#received.shift();
      else this.#received[0] = next.subarray(take);
      size += take;
    }
    this.#receivedBytes -= size;
    return Buffer.concat(pieces, size);
  }

  doWrite(): void {
    if (this.#phase !== 'connecting') return;
    if (this.#error || !this.#connected) {
      const error = this.#error ?? new Error('the socket closed while connecting');
      this.#reactor.disconnect(this, connectErrorFor(error));
      return;
    }
    this.#timeout?.cancel();
    this.#timeout = undefined;
    this.#reactor.removeWriter(this);
    this.#phase = 'connected';
    this.#connector?.connected(this);
    // The destination is the peer; asking the socket would cost a getpeername call per connection.
    const protocol = this.#connector?.factory.buildProtocol(this.#connector.getDestination());
    if (!protocol) {
      this.#reactor.disconnect(this, new ConnectionDone('the factory refused the connection'));
      return;
    }
    this.attach(protocol);
  }

  connectionLost(reason: Error): void {
    if (this.#phase === 'lost') return;
    const phase = this.#phase;
    this.#phase = 'lost';
    this.#timeout?.cancel();
    this.#timeout = undefined;
    if (this.#socket.destroyed) {
      // Closed already.
    } else if (this.#ended && reason === connectionDone) {
      // The peer has sent its FIN: answering with ours (the socket then closes itself) costs the
      // kernel far less than close() on a half-open socket, as the bench's Cost figures show.
      this.#socket.end();
    } else {
      this.#socket.destroy();
    }
    if (phase === 'connecting') {
      this.#connector?.failed(
        reason instanceof ConnectError ? reason : new ConnectError(reason.message, { cause: reason }),
      );
      return;
    }
    try {
      this.#protocol?.connectionLost(reason);
    } finally {
      this.#connector?.lost(reason);
    }
  }

  logPrefix(): string {
    return `${this.#protocol?.constructor.name ?? 'TCPConnection'},${this.#connector ? 'client' : 'server'}`;
  }

  /** The peer sent FIN: a half-closeable protocol hears it and may keep writing; others are closed. */
  #peerHalfClosed(): void {
    const protocol = this.#protocol;
    if (protocol && isHalfCloseable(protocol)) {
      this.#reactor.removeReader(this);
      protocol.readConnectionLost();
    } else {
      this.#closeReason ??= connectionDone;
      this.#reactor.disconnect(this, this.#closeReason);
    }
  }

  // The transport -----------------------------------------------------------------------------

  write(data: Uint8Array | string): void {
    if (this.#disconnecting || this.#phase !== 'connected') return;
    this.#socket.write(data);
  }

  loseConnection(): void {
    if (this.#disconnecting || this.#phase !== 'connected') return;
    this.#disconnecting = true;
    this.#closeReason ??= connectionDone;
    // Twisted closes the whole socket once the pending writes are out; `close` then reaches doRead.
    this.#socket.end(() => this.#socket.destroy());
  }

  loseWriteConnection(): void {
    if (this.#disconnecting || this.#phase !== 'connected') return;
    this.#socket.end();
  }

  abortConnection(): void {
    if (this.#phase !== 'connected' || this.#closed) return;
    this.#disconnecting = true;
    this.#closeReason = new ConnectionAborted('connection aborted');
    this.#socket.resetAndDestroy();
  }

  getPeer(): Address {
    this.#peer ??= { host: this.#socket.remoteAddress ?? '', port: this.#socket.remotePort ?? 0 };
    return this.#peer;
  }

  getHost(): Address {
    this.#host ??= { host: this.#socket.localAddress ?? '', port: this.#socket.localPort ?? 0 };
    return this.#host;
  }

  pauseProducing(): void {
    if (this.#phase !== 'connected' || this.#closed) return;
    this.#wantsData = false;
    this.#pause();
    this.#reactor.removeReader(this);
  }

  resumeProducing(): void {
    if (this.#phase !== 'connected') return;
    this.#wantsData = true;
    this.#resumeIfWanted();
    this.#reactor.addReader(this);
  }

  /** For `Connector.stopConnecting`. */
  stopConnecting(): void {
    if (this.#phase === 'connecting') this.#reactor.disconnect(this, new UserError('connecting was stopped'));
  }
}

// connectTCP --------------------------------------------------------------------------------------

export interface ConnectOptions {
  /** Seconds the connect may take before it fails with `TimeoutError`. Default 30, as in Twisted. */
  readonly timeout?: number;
}

/** One outgoing connection, as a factory sees it; `connect()` again after a failure retries it. */
export class Connector {
  readonly factory: ClientFactory;
  readonly #reactor: Reactor;
  readonly #destination: Address;
  readonly #timeout: number;
  state: 'disconnected' | 'connecting' | 'connected' = 'disconnected';
  transport: Transport | undefined;
  #attempt: TCPConnection | undefined;

  constructor(reactor: Reactor, destination: Address, factory: ClientFactory, options?: ConnectOptions) {
    if (!(factory instanceof ClientFactory)) throw new TypeError('connectTCP needs a ClientFactory');
    this.#reactor = reactor;
    this.#destination = destination;
    this.factory = factory;
    this.#timeout = options?.timeout ?? 30;
  }

  getDestination(): Address {
    return this.#destination;
  }

  connect(): void {
    if (this.state !== 'disconnected') throw new Error(`can't connect in state ${this.state}`);
    this.state = 'connecting';
    this.factory.startedConnecting(this);
    const socket = new net.Socket();
    // Half-open allowed, so the peer's FIN reaches the protocol and our side closes when it says.
    // Set on the socket, not as a constructor option: the option doubles the socket's construction
    // time (Node 20), and the property is read only when the peer's end arrives.
    socket.allowHalfOpen = true;
    this.#attempt = new TCPConnection(this.#reactor, socket, 'connecting', this);
    this.#attempt.startConnecting(this.#destination.host, this.#destination.port, this.#timeout);
  }

  /** Gives up on the connect in progress; the factory hears `UserError`. */
  stopConnecting(): void {
    if (this.state !== 'connecting') throw new Error('not connecting');
    this.#attempt?.stopConnecting();
  }

  /** Stops connecting, or closes the connection. */
  disconnect(): void {
    if (this.state === 'connecting') this.stopConnecting();
    else if (this.state === 'connected') this.transport?.loseConnection();
  }

  /** @internal the connection's reports. */
  connected(connection: TCPConnection): void {
    this.state = 'connected';
    this.transport = connection;
  }

  failed(reason: ConnectError): void {
    this.state = 'disconnected';
    this.#attempt = undefined;
    this.factory.clientConnectionFailed(this, reason);
  }

  lost(reason: Error): void {
    this.state = 'disconnected';
    this.#attempt = undefined;
    this.transport = undefined;
    this.factory.clientConnectionLost(this, reason);
  }
}

/** Starts connecting to `host:port`; the factory hears how it went. */
export function connectTCP(
  reactor: Reactor,
  host: string,
  port: number,
  factory: ClientFactory,
  options?: ConnectOptions,
): Connector {
  const connector = new Connector(reactor, { host, port }, factory, options);
  connector.connect();
  return connector;
}

// listenTCP ---------------------------------------------------------------------------------------

export interface ListenOptions {
  /** The interface to listen on. Default `127.0.0.1`. */
  readonly iface?: string;
  /** Called once the port is bound (Node binds asynchronously), e.g. to read `getHost().port`. */
  readonly onListening?: (port: Port) => void;
  /** Called if binding fails (EADDRINUSE…). Default: the reactor's log. */
  readonly onListenFailed?: (error: Error) => void;
}

/** A listening socket: a descriptor that is readable when connections are waiting to be accepted. */
export class Port implements LibuvDescriptor {
  watch: ReadinessWatch | undefined;
  readonly factory: Factory;
  readonly #reactor: Reactor;
  readonly #server: net.Server;
  readonly #waiting: net.Socket[] = [];
  #listening = false;
  #closed = false;

  constructor(reactor: Reactor, port: number, factory: Factory, options: ListenOptions = {}) {
    if (!(factory instanceof Factory)) throw new TypeError('listenTCP needs a Factory');
    this.#reactor = reactor;
    this.factory = factory;
    // Accepted sockets stay paused until their connection registers for reads.
    this.#server = net.createServer({ pauseOnConnect: true, allowHalfOpen: true });
    this.#server.on('connection', (socket: net.Socket) => {
      this.#waiting.push(socket);
      this.watch?.changed();
    });
    this.#server.on('error', (error) => {
      (options.onListenFailed ?? ((e: Error) => reactor.log(e, this.logPrefix())))(error);
      this.stopListening();
    });
    this.#server.listen({ port, host: options.iface ?? '127.0.0.1' }, () => {
      this.#listening = true;
      options.onListening?.(this);
    });
    reactor.addReader(this);
  }

  getHost(): Address {
    const address = this.#server.address();
    if (!this.#listening || address === null || typeof address === 'string') {
      throw new Error(`${this.logPrefix()}: not listening yet`);
    }
    return { host: address.address, port: address.port };
  }

  /** Stops accepting; connections already made go on. */
  stopListening(): void {
    this.#reactor.disconnect(this, new ConnectionDone('stopped listening'));
  }

  isReadable(): boolean {
    return this.#waiting.length > 0;
  }

  isWritable(): boolean {
    return false;
  }

  doRead(): void {
    for (const socket of this.#waiting.splice(0, acceptLimit)) {
      const connection = new TCPConnection(this.#reactor, socket, 'connected');
      const protocol = this.factory.buildProtocol(connection.getPeer());
      if (protocol) connection.attach(protocol);
      else socket.destroy();
    }
  }

  doWrite(): void {}

  connectionLost(): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#waiting.splice(0)) socket.destroy();
    this.#server.close();
  }

  logPrefix(): string {
    return `${this.factory.constructor.name},port`;
  }
}

/** Listens on `port` (0: any free port) and builds a protocol from `factory` for each connection. */
export function listenTCP(reactor: Reactor, port: number, factory: Factory, options: ListenOptions = {}): Port {
  return new Port(reactor, port, factory, options);
}
