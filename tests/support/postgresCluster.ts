/**
 * A PostgreSQL cluster of a suite's own: `initdb` into a temporary directory (trust authentication),
 * the server on a free port of 127.0.0.1 with its unix socket in that directory, so the machine's own
 * server is never touched and the suite may stop and start it at will. initdb and the server refuse to
 * run as root: as root, they run as the `postgres` OS user, in a directory owned by it.
 */
import { spawn, spawnSync, type SpawnOptions } from 'node:child_process';
import { once } from 'node:events';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort } from './serviceProcesses.js';

export interface PostgresInstallation {
  /** Where initdb, pg_ctl and postgres are. */
  bindir: string;
  /** The OS user the server runs as, when the suite runs as root. */
  runAs?: { uid: number; gid: number };
}

const hasServerBinaries = (dir: string) => ['initdb', 'pg_ctl', 'postgres'].every((bin) => existsSync(path.join(dir, bin)));

/** The PostgreSQL server binaries of this machine, or why there are none to use. */
export function findPostgres(): { installation: PostgresInstallation } | { reason: string } {
  const candidates: string[] = [];
  const pgConfig = spawnSync('pg_config', ['--bindir'], { encoding: 'utf8' });
  if (pgConfig.status === 0 && pgConfig.stdout.trim()) candidates.push(pgConfig.stdout.trim());
  const debian = '/usr/lib/postgresql';
  if (existsSync(debian)) {
    const versions = readdirSync(debian).filter((v) => /^\d+$/.test(v)).sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => path.join(debian, v, 'bin')));
  }
  const bindir = candidates.find(hasServerBinaries);
  if (!bindir) return { reason: 'no PostgreSQL server binaries (initdb, pg_ctl, postgres) via pg_config --bindir or in /usr/lib/postgresql/*/bin' };
  if (process.getuid?.() !== 0) return { installation: { bindir } };
  // initdb: "cannot be run as root"; the server runs as the unprivileged user of the package.
  const passwd = existsSync('/etc/passwd') ? readFileSync('/etc/passwd', 'utf8') : '';
  const entry = passwd.split('\n').find((line) => line.startsWith('postgres:'));
  if (!entry) return { reason: 'running as root, and there is no postgres OS user for initdb and the server to run as' };
  const [, , uid, gid] = entry.split(':');
  return { installation: { bindir, runAs: { uid: Number(uid), gid: Number(gid) } } };
}

export interface PostgresCluster {
  port: number;
  /** A connection URL over TCP for `database` (superuser postgres, trust). */
  url(database?: string): string;
  /** `pg_ctl stop`; `immediate` ends every server process at once, without a checkpoint, as a crash would. */
  stop(mode?: 'immediate' | 'fast'): Promise<void>;
  /** `pg_ctl start`, waiting until the server accepts connections (crash recovery included). */
  start(): Promise<void>;
  /** The server's log so far (last 20 KB). */
  log(): string;
  /** Stops the server (if it runs) and removes the directory. */
  dispose(): Promise<void>;
}

export async function startPostgresCluster(installation: PostgresInstallation): Promise<PostgresCluster> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'pg-cluster-'));
  const data = path.join(dir, 'data');
  const logFile = path.join(dir, 'server.log');
  if (installation.runAs) chownSync(dir, installation.runAs.uid, installation.runAs.gid);
  const port = await freePort();
  const bin = (name: string) => path.join(installation.bindir, name);
  const options: SpawnOptions = {
    cwd: dir,
    env: { PATH: process.env.PATH, LANG: 'C', LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(installation.runAs ?? {}),
  };

  const run = async (name: string, args: string[]): Promise<void> => {
    const child = spawn(bin(name), args, options);
    let output = '';
    child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
    const [code] = (await once(child, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`${name} ${args.join(' ')} exited with ${code}:\n${output}`);
  };
  const readLog = () => (existsSync(logFile) ? readFileSync(logFile, 'utf8').slice(-20_000) : '');

  // Server settings: its own port and socket directory; no fsync (a test's data need not survive the
  // machine, and an immediate stop still keeps whatever the server wrote).
  const serverOptions = [
    `-p ${port}`,
    `-k ${dir}`,
    '-c listen_addresses=127.0.0.1',
    '-c fsync=off',
    '-c full_page_writes=off',
    '-c max_connections=200',
    '-c shared_buffers=32MB',
  ].join(' ');
  let running = false;
  const start = async () => {
    await run('pg_ctl', ['-D', data, '-l', logFile, '-w', '-t', '60', '-o', serverOptions, 'start']);
    running = true;
  };
  const stop = async (mode: 'immediate' | 'fast' = 'fast') => {
    running = false;
    await run('pg_ctl', ['-D', data, '-m', mode, '-w', 'stop']);
  };
  // A server left behind by a test process that dies is stopped on its way out.
  const onExit = () => {
    if (running) spawnSync(bin('pg_ctl'), ['-D', data, '-m', 'immediate', 'stop'], { ...options, stdio: 'ignore' } as Parameters<typeof spawnSync>[2]);
  };
  process.once('exit', onExit);

  try {
    await run('initdb', ['-D', data, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync']);
    await start();
  } catch (err) {
    process.off('exit', onExit);
    if (running) await stop('immediate').catch(() => {});
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${readLog()}`);
  }

  return {
    port,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    stop,
    start,
    log: readLog,
    async dispose() {
      process.off('exit', onExit);
      if (running) await stop('immediate').catch(() => {});
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
