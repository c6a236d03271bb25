/**
 * The services of docker-compose.yml as OS processes, for the suites that run the production
 * topology without containers (topology, faults): the built dist/ laid out as in the image, each
 * service started with the command and environment compose gives its container (container names
 * mapped to 127.0.0.1, ports to free local ones), waited for as compose's `service_healthy` does,
 * stopped with a signal and started again on the same port.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { copyFileSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { createServer as createNetServer } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface ComposeService {
  command: string[];
  environment: Record<string, string>;
  expose: string[];
}

/** docker-compose.yml's services, with its `<<:` merges applied. */
export function composeServices(): Record<string, ComposeService> {
  const compose = parse(readFileSync(path.join(ROOT, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, ComposeService>;
  };
  return compose.services;
}

/**
 * A port nothing listens on right now, for a service that must be told its port before it starts
 * (its neighbours' URLs are written from it). Picked below the system's ephemeral range: a port the
 * kernel hands out for port 0 is handed out again for the next outgoing connection, and one such
 * connection made before the service binds took its port (EADDRINUSE). Random, so parallel suites
 * rarely pick the same one; a port that cannot be bound right now is skipped.
 */
export async function freePort(): Promise<number> {
  const low = 10_000;
  const high = Math.max(low + 1_000, ephemeralPortsStart());
  for (let attempt = 0; attempt < 50; attempt++) {
    const port = low + Math.floor(Math.random() * (high - low));
    if (await canBind(port)) return port;
  }
  throw new Error(`no free port found between ${low} and ${high}`);
}

function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createNetServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

/** Where the system's ephemeral port range starts (Linux's default where it cannot be read). */
function ephemeralPortsStart(): number {
  try {
    const low = Number(readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/)[0]);
    if (Number.isInteger(low) && low > 0) return low;
  } catch {
    // not Linux
  }
  return 32_768;
}

/** `${NAME:-default}` as docker-compose fills it from .env: `variables` play the part of .env. */
export const interpolate = (value: string, variables: Record<string, string>): string =>
  String(value).replace(/\$\{([A-Z0-9_]+)(?::-([^}]*))?\}/g, (_m, name: string, fallback = '') => variables[name] ?? fallback);

export interface Image {
  /** The working directory of every service, as /app in the image. */
  dir: string;
  dispose(): void;
}

/**
 * A temporary directory laid out as the image: `npm run build`'s dist/, package.json, the supergraph
 * and the schemas beside the production node_modules. Built from the working tree each time (about
 * 5 s), so a suite never runs a stale dist/.
 */
export async function prepareImage(prefix = 'image-'): Promise<Image> {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix));
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const build = spawn(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs'), path.join(dir, 'dist')], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    build.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const [code] = (await once(build, 'exit')) as [number | null];
    if (code !== 0) throw new Error(`build failed:\n${stderr}`);
    copyFileSync(path.join(ROOT, 'package.json'), path.join(dir, 'package.json'));
    copyFileSync(path.join(ROOT, 'supergraph.graphql'), path.join(dir, 'supergraph.graphql'));
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(dir, 'node_modules'));
    symlinkSync(path.join(ROOT, 'subgraphs'), path.join(dir, 'subgraphs'));
  } catch (err) {
    dispose();
    throw err;
  }
  return { dir, dispose };
}

export interface ServiceSpec {
  name: string;
  command: string[];
  env: Record<string, string>;
  port: number;
}

export interface ComposeEnvironmentOptions {
  /** The compose services to run here, each on its local port. */
  ports: ReadonlyMap<string, number>;
  /** What .env would hold: the compose file's `${NAME:-default}` read these. */
  variables: Record<string, string>;
  /**
   * Containers not run here, as the compose file addresses them (`postgres:5432`, `redis:6379`) ->
   * the local `host:port` that stands in for them.
   */
  external?: Record<string, string>;
  /**
   * Where `consumer` reaches the service `target` (a local `host:port`) when not at target's own
   * port, e.g. through a fault-injecting proxy. Undefined: target's own port.
   */
  route?: (consumer: string, target: string) => string | undefined;
  /** Per service: variables to set, or to remove (undefined), after compose's environment is filled in. */
  overrides?: Record<string, Record<string, string | undefined>>;
}

/**
 * Each service's command and environment as compose gives its container, with every container
 * address (`//products:4001`, `@postgres:5432`) replaced by the local one and the port the
 * container listens on by the free port picked for it.
 */
export function composeEnvironments(options: ComposeEnvironmentOptions): Map<string, ServiceSpec> {
  const services = composeServices();
  const names = [...options.ports.keys()];
  const specs = new Map<string, ServiceSpec>();
  for (const name of names) {
    const service = services[name];
    if (!service) throw new Error(`docker-compose.yml has no service "${name}"`);
    const addresses: [RegExp, string][] = [
      ...names.map((target): [RegExp, string] => [
        new RegExp(`(?<=//|@)${target}:${services[target].expose[0]}\\b`, 'g'),
        options.route?.(name, target) ?? `127.0.0.1:${options.ports.get(target)}`,
      ]),
      ...Object.entries(options.external ?? {}).map(([container, local]): [RegExp, string] => [
        new RegExp(`(?<=//|@)${container.replace(/[.]/g, '\\.')}\\b`, 'g'),
        local,
      ]),
    ];
    const env: Record<string, string> = {};
    for (const [key, raw] of Object.entries(service.environment)) {
      let value = interpolate(raw, options.variables);
      for (const [pattern, local] of addresses) value = value.replace(pattern, local);
      // The port the container listens on, here the free one picked for it.
      env[key] = /_PORT$/.test(key) && value === service.expose[0] ? String(options.ports.get(name)) : value;
    }
    for (const [key, value] of Object.entries(options.overrides?.[name] ?? {})) {
      if (value === undefined) delete env[key];
      else env[key] = value;
    }
    specs.set(name, { name, command: service.command, env, port: options.ports.get(name)! });
  }
  return specs;
}

/** An unexpected end of a service: it exited without the suite stopping it. */
export interface UnexpectedExit {
  name: string;
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/**
 * One service's OS process, started from its spec in the image directory. Only what the container
 * gets (plus PATH) is in its environment: nothing of the test's own leaks in.
 */
export class ServiceProcess {
  private child?: ChildProcess;
  private log = '';
  private stopping = false;
  /** Exits nobody asked for (a crash), with the output before them. */
  readonly unexpectedExits: UnexpectedExit[] = [];

  constructor(
    readonly spec: ServiceSpec,
    private readonly cwd: string,
  ) {}

  get name(): string {
    return this.spec.name;
  }

  get url(): string {
    return `http://127.0.0.1:${this.spec.port}`;
  }

  /** The OS process id while it runs (benchmarks read its memory and pin it). */
  get pid(): number | undefined {
    return this.running ? this.child?.pid : undefined;
  }

  get running(): boolean {
    return !!this.child && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** The last 20 KB the process wrote to stdout and stderr. */
  output(): string {
    return this.log;
  }

  start(): void {
    if (this.running) throw new Error(`${this.name} is already running`);
    const [command, ...args] = this.spec.command;
    const child = spawn(command === 'node' ? process.execPath : command, args, {
      cwd: this.cwd,
      env: { PATH: process.env.PATH, ...this.spec.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const keep = (chunk: Buffer) => (this.log = (this.log + chunk.toString()).slice(-20_000));
    child.stdout!.on('data', keep);
    child.stderr!.on('data', keep);
    this.stopping = false;
    child.once('exit', (code, signal) => {
      if (!this.stopping) this.unexpectedExits.push({ name: this.name, code, signal, output: this.log });
    });
    this.child = child;
  }

  /** Waits as compose's `condition: service_healthy` does: /ready answers 200. */
  async healthy(timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const child = this.child;
    if (!child) throw new Error(`${this.name} was never started`);
    while (Date.now() < deadline) {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`${this.name} exited with ${child.exitCode ?? child.signalCode}:\n${this.log}`);
      }
      const ok = await fetch(`${this.url}/ready`, { signal: AbortSignal.timeout(2_000) }).then(
        async (r) => (await r.arrayBuffer(), r.ok),
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`${this.name} did not become ready within ${timeoutMs} ms:\n${this.log}`);
  }

  /** Sends `signal` and waits for the exit; the exit code (null when a signal ended it). */
  async stop(signal: NodeJS.Signals): Promise<number | null> {
    const child = this.child;
    if (!child) return null;
    if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
    this.stopping = true;
    const exited = once(child, 'exit');
    child.kill(signal);
    const [code] = (await exited) as [number | null];
    return code;
  }

  /** Starts it again with the same environment, on the same port, and waits until it is ready. */
  async restart(timeoutMs?: number): Promise<void> {
    this.start();
    await this.healthy(timeoutMs);
  }
}

/** The processes of one suite's services, by compose name. */
export class ServiceProcesses {
  readonly processes = new Map<string, ServiceProcess>();

  constructor(specs: Map<string, ServiceSpec>, cwd: string) {
    for (const [name, spec] of specs) this.processes.set(name, new ServiceProcess(spec, cwd));
  }

  get(name: string): ServiceProcess {
    const service = this.processes.get(name);
    if (!service) throw new Error(`no service "${name}"`);
    return service;
  }

  url(name: string): string {
    return this.get(name).url;
  }

  /** Starts the services one after the other, each once the previous is ready (compose's depends_on). */
  async startInOrder(names: readonly string[] = [...this.processes.keys()], timeoutMs?: number): Promise<void> {
    for (const name of names) {
      const service = this.get(name);
      service.start();
      await service.healthy(timeoutMs);
    }
  }

  /** Stops every running service at once. */
  async stopAll(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    await Promise.all([...this.processes.values()].filter((s) => s.running).map((s) => s.stop(signal)));
  }

  unexpectedExits(): UnexpectedExit[] {
    return [...this.processes.values()].flatMap((s) => s.unexpectedExits);
  }
}
