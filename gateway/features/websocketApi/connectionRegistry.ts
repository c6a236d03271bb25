/**
 * Where the WebSocket API's connections are found, for the push API: in this process always, and,
 * with the gateway's shared Redis, across replicas: each connection's description lives under a
 * key with a TTL (refreshed as the client sends), naming the replica that holds the socket; a
 * command for a connection held elsewhere goes to that replica's own pub/sub channel. A key whose
 * replica no longer listens is stale (the replica died): it is deleted and the connection is gone.
 */
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Logger } from '../../../lib/logger.js';
import type { SharedRedis } from '../../redis.js';

/** What GET /@connections/{id} answers. */
export interface ConnectionInfo {
  connectionId: string;
  connectedAt: string;
  lastActiveAt: string;
  identity: { subject?: string; scopes: string[]; apiKeyId?: string };
  sourceIp: string;
}

/** A connection held by this replica. */
export interface LocalConnection {
  info(): ConnectionInfo;
  send(data: string): void;
  /** Closes with 1000 "closed by the service" (DELETE on the push API). */
  closeByService(): void;
}

export interface ConnectionRegistry {
  add(connection: LocalConnection): void;
  /** After a client's message: keeps the shared description's lastActiveAt and TTL current (at most once a second). */
  touched(connectionId: string): void;
  remove(connectionId: string): void;
  describe(connectionId: string): Promise<ConnectionInfo | undefined>;
  /** false: no such connection (any more). */
  send(connectionId: string, data: string): Promise<boolean>;
  closeConnection(connectionId: string): Promise<boolean>;
  close(): Promise<void>;
}

export interface ConnectionRegistryOptions {
  redis?: SharedRedis;
  /** Namespace of the keys and channels. @default 'gateway:ws' */
  keyPrefix?: string;
  /** How long a description outlives its last refresh; longer than the idle timeout. */
  ttlMs: number;
  logger: Logger;
}

interface Command {
  op: 'send' | 'close';
  connectionId: string;
  data?: string;
}

const TOUCH_INTERVAL_MS = 1_000;

export function createConnectionRegistry(options: ConnectionRegistryOptions): ConnectionRegistry {
  const local = new Map<string, LocalConnection>();
  const lastWritten = new Map<string, number>();
  const { redis, logger } = options;
  const prefix = options.keyPrefix ?? 'gateway:ws';
  const replicaId = randomBytes(9).toString('base64url');
  const keyOf = (id: string) => `${prefix}:connection:${id}`;
  const channelOf = (replica: string) => `${prefix}:replica:${replica}`;

  let subscriber: Redis | undefined;
  if (redis) {
    // A connection in subscriber mode runs nothing else; it queues the SUBSCRIBE until it is connected.
    subscriber = redis.client.duplicate({ enableOfflineQueue: true });
    subscriber.on('error', (err: Error) => logger.debug({ err: err.message }, 'websocket registry subscriber error'));
    subscriber.subscribe(channelOf(replicaId)).catch((err: Error) => logger.warn({ err: err.message }, 'websocket registry could not subscribe'));
    subscriber.on('message', (_channel: string, message: string) => {
      let command: Command;
      try {
        command = JSON.parse(message) as Command;
      } catch {
        return;
      }
      const connection = local.get(command.connectionId);
      if (!connection) return;
      if (command.op === 'send' && typeof command.data === 'string') connection.send(command.data);
      if (command.op === 'close') connection.closeByService();
    });
  }
  const shared = () => redis !== undefined && redis.isReady();

  const write = (connection: LocalConnection) => {
    if (!shared()) return;
    const info = connection.info();
    lastWritten.set(info.connectionId, Date.now());
    redis!.client
      .set(keyOf(info.connectionId), JSON.stringify({ replica: replicaId, info }), 'PX', options.ttlMs)
      .catch((err: Error) => logger.debug({ err: err.message }, 'websocket registry write failed'));
  };

  const owner = async (id: string): Promise<{ replica: string; info: ConnectionInfo } | undefined> => {
    if (!shared()) return undefined;
    try {
      const raw = await redis!.client.get(keyOf(id));
      return raw ? (JSON.parse(raw) as { replica: string; info: ConnectionInfo }) : undefined;
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'websocket registry read failed');
      return undefined;
    }
  };

  const command = async (command: Command): Promise<boolean> => {
    const found = await owner(command.connectionId);
    if (!found || found.replica === replicaId) return false;
    const receivers = await redis!.client.publish(channelOf(found.replica), JSON.stringify(command)).catch(() => 0);
    if (receivers === 0) {
      // The replica holding it is gone, and so is the connection.
      await redis!.client.del(keyOf(command.connectionId)).catch(() => 0);
      return false;
    }
    return true;
  };

  return {
    add(connection) {
      local.set(connection.info().connectionId, connection);
      write(connection);
    },
    touched(id) {
      const connection = local.get(id);
      if (connection && Date.now() - (lastWritten.get(id) ?? 0) >= TOUCH_INTERVAL_MS) write(connection);
    },
    remove(id) {
      local.delete(id);
      lastWritten.delete(id);
      if (shared()) redis!.client.del(keyOf(id)).catch(() => 0);
    },
    async describe(id) {
      return local.get(id)?.info() ?? (await owner(id))?.info;
    },
    async send(id, data) {
      const connection = local.get(id);
      if (connection) {
        connection.send(data);
        return true;
      }
      return command({ op: 'send', connectionId: id, data });
    },
    async closeConnection(id) {
      const connection = local.get(id);
      if (connection) {
        connection.closeByService();
        return true;
      }
      return command({ op: 'close', connectionId: id });
    },
    async close() {
      subscriber?.disconnect(false);
    },
  };
}
