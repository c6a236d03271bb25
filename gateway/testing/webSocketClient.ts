/**
 * A WebSocket client for tests (the `ws` package): messages are queued and awaited one by one, the
 * close arrives as a promise, and a refused handshake is read as the plain HTTP answer it is.
 */
import { WebSocket } from 'ws';

export interface TestSocket {
  ws: WebSocket;
  /** The next message not yet taken, as text. */
  next(): Promise<string>;
  /** The next message, parsed as JSON. */
  nextJson<T = any>(): Promise<T>;
  send(data: unknown): void;
  closed: Promise<{ code: number; reason: string }>;
}

export interface RefusedHandshake {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: any;
}

/** Opens a connection; rejects with a RefusedHandshake-carrying error when the upgrade is refused. */
export function openSocket(url: string, headers: Record<string, string> = {}, protocols: string[] = []): Promise<TestSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, protocols, { headers });
    const queued: string[] = [];
    const waiting: ((text: string) => void)[] = [];
    ws.on('message', (data) => {
      const text = data.toString();
      const waiter = waiting.shift();
      if (waiter) waiter(text);
      else queued.push(text);
    });
    const closed = new Promise<{ code: number; reason: string }>((resolveClose) =>
      ws.on('close', (code, reason) => resolveClose({ code, reason: reason.toString() })),
    );
    ws.on('unexpected-response', (_req, res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => {
        let parsed: unknown = body;
        try {
          parsed = JSON.parse(body);
        } catch {
          /* not JSON */
        }
        reject(Object.assign(new Error(`handshake refused with ${res.statusCode}`), {
          refused: { status: res.statusCode ?? 0, headers: res.headers, body: parsed } satisfies RefusedHandshake,
        }));
      });
    });
    ws.on('error', (err) => reject(err));
    ws.on('open', () => {
      const next = () =>
        new Promise<string>((resolveNext) => {
          const text = queued.shift();
          if (text !== undefined) resolveNext(text);
          else waiting.push(resolveNext);
        });
      resolve({
        ws,
        next,
        nextJson: async () => JSON.parse(await next()),
        send: (data) => ws.send(typeof data === 'string' || Buffer.isBuffer(data) ? data : JSON.stringify(data)),
        closed,
      });
    });
  });
}

/** The HTTP answer of a handshake that must be refused; fails when it is accepted. */
export async function refusedHandshake(url: string, headers: Record<string, string> = {}): Promise<RefusedHandshake> {
  try {
    const socket = await openSocket(url, headers);
    socket.ws.close();
  } catch (err) {
    const refused = (err as { refused?: RefusedHandshake }).refused;
    if (refused) return refused;
    throw err;
  }
  throw new Error(`the handshake to ${url} was accepted`);
}
