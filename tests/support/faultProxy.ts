/**
 * A TCP proxy that injects network faults between a service and one it calls (node:net, on a free
 * port, forwarding to `target`). Its mode can change at any moment:
 *
 * - `pass`: bytes go through as they come.
 * - `delay`: every chunk, in either direction, `ms` later than it came (order kept); or, `per:
 *   'connection'`, a new connection reaches the target only `ms` after it was accepted.
 * - `drop`: a blackhole. New connections are accepted and never answered; on an open connection the
 *   next chunk either way is swallowed, and from then on everything on it (the stream lost bytes and
 *   cannot go on), until the peer gives up. Ending the mode does not revive such connections.
 * - `reset`: every open connection is reset (RST, `socket.resetAndDestroy()`); a new one forwards the
 *   request and is reset as the answer starts, so the target did the work and its answer is lost.
 */
import { once } from 'node:events';
import net, { type AddressInfo, type Socket } from 'node:net';

export type FaultMode =
  | { kind: 'pass' }
  | { kind: 'delay'; ms: number; per?: 'chunk' | 'connection' }
  | { kind: 'drop' }
  | { kind: 'reset' };

export interface FaultProxyStats {
  accepted: number;
  /** Connections reset by the proxy. */
  reset: number;
  /** Connections that lost bytes to a drop. */
  blackholed: number;
  /** Chunks held back by a delay. */
  delayedChunks: number;
}

export interface FaultProxy {
  port: number;
  /** host:port, as a service's address */
  address: string;
  readonly mode: FaultMode;
  setMode(mode: FaultMode): void;
  /** Connections open right now. */
  openConnections(): number;
  stats(): FaultProxyStats;
  close(): Promise<void>;
}

/** One direction of a connection: chunks written in order, each no earlier than its due time. */
class Lane {
  private queue: { due: number; chunk: Buffer | null }[] = [];
  private timer?: NodeJS.Timeout;

  constructor(private readonly write: (chunk: Buffer | null) => void) {}

  push(chunk: Buffer | null, delayMs: number): void {
    this.queue.push({ due: Date.now() + delayMs, chunk });
    if (!this.timer) this.pump();
  }

  private pump = (): void => {
    this.timer = undefined;
    while (this.queue.length && this.queue[0].due <= Date.now()) this.write(this.queue.shift()!.chunk);
    if (this.queue.length) this.timer = setTimeout(this.pump, this.queue[0].due - Date.now());
  };

  clear(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    this.queue = [];
  }
}

interface Pair {
  client: Socket;
  upstream?: Socket;
  /** Bytes before the upstream socket exists (a per-connection delay). */
  early: (Buffer | null)[];
  blackholed: boolean;
  toUpstream: Lane;
  toClient: Lane;
  closed: boolean;
}

function reset(socket: Socket | undefined): void {
  if (!socket || socket.destroyed) return;
  try {
    socket.resetAndDestroy();
  } catch {
    socket.destroy();
  }
}

export async function startFaultProxy(target: { host: string; port: number }): Promise<FaultProxy> {
  let mode: FaultMode = { kind: 'pass' };
  const pairs = new Set<Pair>();
  const counts: FaultProxyStats = { accepted: 0, reset: 0, blackholed: 0, delayedChunks: 0 };

  const chunkDelay = () => (mode.kind === 'delay' && (mode.per ?? 'chunk') === 'chunk' ? mode.ms : 0);

  const close = (pair: Pair) => {
    if (pair.closed) return;
    pair.closed = true;
    pairs.delete(pair);
    pair.toUpstream.clear();
    pair.toClient.clear();
    pair.client.destroy();
    pair.upstream?.destroy();
  };

  const resetPair = (pair: Pair) => {
    if (pair.closed) return;
    counts.reset++;
    pair.closed = true;
    pairs.delete(pair);
    pair.toUpstream.clear();
    pair.toClient.clear();
    reset(pair.client);
    reset(pair.upstream);
  };

  const blackhole = (pair: Pair) => {
    if (!pair.blackholed) counts.blackholed++;
    pair.blackholed = true;
    pair.toUpstream.clear();
    pair.toClient.clear();
  };

  /** Whether a chunk that just came in on `pair` goes on, given the mode now. */
  const admit = (pair: Pair, fromUpstream: boolean): boolean => {
    if (pair.closed || pair.blackholed) return false;
    if (mode.kind === 'drop') {
      blackhole(pair);
      return false;
    }
    // Connections open when the reset began were reset then; the ones accepted since forward their
    // request, and are reset as the answer comes.
    if (mode.kind === 'reset' && fromUpstream) {
      resetPair(pair);
      return false;
    }
    return true;
  };

  const connectUpstream = (pair: Pair) => {
    if (pair.closed || pair.blackholed) return;
    const upstream = net.connect(target.port, target.host);
    pair.upstream = upstream;
    upstream.setNoDelay(true);
    upstream.on('data', (chunk: Buffer) => {
      if (!admit(pair, true)) return;
      const delay = chunkDelay();
      if (delay) counts.delayedChunks++;
      pair.toClient.push(chunk, delay);
    });
    upstream.on('end', () => pair.toClient.push(null, chunkDelay()));
    upstream.on('error', () => close(pair));
    upstream.on('close', () => {
      // The client still gets what was queued for it; a blackholed one waits for its own timeout.
      if (!pair.blackholed) setTimeout(() => close(pair), chunkDelay() + 10).unref();
    });
    for (const chunk of pair.early.splice(0)) {
      if (chunk === null) upstream.end();
      else upstream.write(chunk);
    }
  };

  const server = net.createServer((client) => {
    counts.accepted++;
    client.setNoDelay(true);
    const pair: Pair = {
      client,
      early: [],
      blackholed: false,
      closed: false,
      toUpstream: new Lane((chunk) => {
        if (!pair.upstream) pair.early.push(chunk);
        else if (chunk === null) pair.upstream.end();
        else pair.upstream.write(chunk);
      }),
      toClient: new Lane((chunk) => {
        if (chunk === null) client.end();
        else client.write(chunk);
      }),
    };
    pairs.add(pair);
    client.on('error', () => close(pair));
    client.on('close', () => close(pair));
    client.on('end', () => {
      if (!pair.blackholed) pair.toUpstream.push(null, chunkDelay());
    });
    client.on('data', (chunk: Buffer) => {
      if (!admit(pair, false)) return;
      const delay = chunkDelay();
      if (delay) counts.delayedChunks++;
      pair.toUpstream.push(chunk, delay);
    });

    if (mode.kind === 'drop') {
      // Accepted, never answered: the target is not even asked.
      blackhole(pair);
      return;
    }
    if (mode.kind === 'delay' && mode.per === 'connection') {
      setTimeout(() => connectUpstream(pair), mode.ms).unref();
      return;
    }
    connectUpstream(pair);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    port,
    address: `127.0.0.1:${port}`,
    get mode() {
      return mode;
    },
    setMode(next) {
      mode = next;
      if (next.kind === 'reset') for (const pair of [...pairs]) resetPair(pair);
    },
    openConnections: () => pairs.size,
    stats: () => ({ ...counts }),
    async close() {
      for (const pair of [...pairs]) close(pair);
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
