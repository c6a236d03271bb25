/**
 * docker-compose.yml, its load balancer and .env.example stay in step with the services: every
 * service is there once (the gateway twice), every variable a container is given is one its service's
 * configuration reads and .env.example documents, start order waits for health, and
 * `docker-compose config` accepts the file where docker-compose is installed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OUR_NODE_FLAGS } from '../bench/lib/gateways.js';
import { variablesRead, type ServiceName } from './support/serviceEnv.js';

interface ComposeService {
  image?: string;
  command?: string[];
  environment?: Record<string, string>;
  ports?: string[];
  expose?: string[];
  volumes?: string[];
  healthcheck?: { test: string[] };
  depends_on?: Record<string, { condition: string }>;
}
const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as { services: Record<string, ComposeService> };
const documented = new Set(
  readFileSync('.env.example', 'utf8')
    .split('\n')
    .map((line) => line.replace(/^#\s*/, '').match(/^([A-Z][A-Z0-9_]*)=/)?.[1])
    .filter((name): name is string => Boolean(name)),
);
const GATEWAYS = ['gateway-1', 'gateway-2'];
/** Which service's configuration a container's variables must belong to. */
const serviceOf = (container: string): ServiceName => (GATEWAYS.includes(container) ? 'gateway' : (container as ServiceName));
const ours = Object.entries(compose.services).filter(([, s]) => s.image === 'federated-api-platform:latest');

describe('docker-compose.yml', () => {
  it('runs each service once, two gateway replicas, PostgreSQL, Redis and the load balancer, which alone is published', () => {
    // Every subgraph supergraph.yaml lists (npm run subgraph:new adds both).
    const subgraphs = Object.keys((parse(readFileSync('supergraph.yaml', 'utf8')) as { subgraphs: object }).subgraphs);
    expect(subgraphs).toEqual(expect.arrayContaining(['products', 'orders', 'search']));
    expect(Object.keys(compose.services).sort()).toEqual(
      ['db-proxy', ...GATEWAYS, 'load-balancer', 'postgres', 'redis', ...subgraphs].sort(),
    );
    const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length).map(([name]) => name);
    expect(published).toEqual(['load-balancer']);
  });

  it('starts every service with its built entry point, as the image lays it out', () => {
    for (const [name, service] of ours) {
      const entry = `dist/${serviceOf(name) === 'gateway' || name === 'db-proxy' ? serviceOf(name) : `subgraphs/${name}`}/main.js`;
      expect({ name, command: service.command }).toEqual({ name, command: ['node', entry] });
    }
  });

  it('gives containers only variables their service reads and .env.example documents', () => {
    // Node's own NODE_OPTIONS is not ours to document; HEALTH_PORT is the health check's.
    const containerOnly = new Set(['HEALTH_PORT', 'NODE_OPTIONS']);
    for (const [name, service] of ours) {
      const read = variablesRead(serviceOf(name));
      const given = Object.keys(service.environment ?? {}).filter((v) => !containerOnly.has(v));
      const unread = given.filter((v) => !read.has(v));
      const undocumented = given.filter((v) => !documented.has(v));
      expect({ service: name, unread, undocumented }).toEqual({ service: name, unread: [], undocumented: [] });
    }
  });

  it('shares Redis between both gateway replicas and orders', () => {
    for (const name of [...GATEWAYS, 'orders']) {
      expect({ name, redis: compose.services[name].environment?.REDIS_URL }).toEqual({ name, redis: 'redis://redis:6379' });
      expect(compose.services[name].depends_on?.redis).toEqual({ condition: 'service_healthy' });
    }
  });

  it('health-checks every container and starts each only after what it needs is healthy', () => {
    for (const [name, service] of Object.entries(compose.services)) {
      expect({ name, healthcheck: Boolean(service.healthcheck?.test?.length) }).toEqual({ name, healthcheck: true });
      for (const [dependency, { condition }] of Object.entries(service.depends_on ?? {})) {
        expect({ name, dependency, condition }).toEqual({ name, dependency, condition: 'service_healthy' });
      }
    }
    // Each Node service's check reads /ready on the port it listens on.
    for (const [name, service] of ours) {
      const port = Object.entries(service.environment ?? {}).find(([key]) => /_PORT$/.test(key) && key !== 'HEALTH_PORT')?.[1];
      expect({ name, health: service.environment?.HEALTH_PORT, expose: service.expose }).toEqual({ name, health: port, expose: [port] });
      expect(service.healthcheck?.test.join(' ')).toContain('/ready');
    }
  });

  it('balances over both gateway replicas, checking /ready, so a draining replica leaves the rotation', () => {
    const mount = compose.services['load-balancer'].volumes?.[0] ?? '';
    const config = readFileSync(mount.split(':')[0], 'utf8');
    const servers = [...config.matchAll(/^\s*server\s+(\S+)\s+(\S+)\s+check\b/gm)].map((m) => [m[1], m[2]]);
    expect(servers).toEqual(GATEWAYS.map((name) => [name, `${name}:${compose.services[name].environment?.GATEWAY_PORT}`]));
    expect(config).toMatch(/^\s*option httpchk GET \/ready$/m);
    expect(config).toMatch(/^\s*bind :4000$/m);
    expect(compose.services['load-balancer'].ports?.[0]).toMatch(/:4000$/);
    // The replica keeps serving longer than the checks take to notice its 503.
    const interMs = Number(/inter (\d+)s/.exec(config)?.[1]) * 1000 * Number(/fall (\d+)/.exec(config)?.[1]);
    for (const name of GATEWAYS) expect(Number(compose.services[name].environment?.GATEWAY_SHUTDOWN_DELAY_MS)).toBeGreaterThan(interMs);
  });

  it('runs the gateways with the Node flags the benchmark measures them with', () => {
    for (const name of GATEWAYS) expect(compose.services[name].environment?.NODE_OPTIONS?.split(' ')).toEqual(OUR_NODE_FLAGS);
  });

  const dockerCompose = spawnSync('docker-compose', ['version'], { encoding: 'utf8' });
  const validate = dockerCompose.status === 0 ? it : it.skip;
  if (dockerCompose.status !== 0) console.log('skipped: docker-compose is not installed, the file is not validated');
  validate('is accepted by `docker-compose config`', () => {
    const result = spawnSync('docker-compose', ['-f', 'docker-compose.yml', 'config', '-q'], { encoding: 'utf8' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });
});

describe('Dockerfile', () => {
  const dockerfile = readFileSync('Dockerfile', 'utf8');
  it('builds in one stage and runs production dependencies only, as a non-root user', () => {
    expect(dockerfile.match(/^FROM /gm)?.length).toBeGreaterThanOrEqual(2);
    expect(dockerfile).toMatch(/npm ci --omit=dev/);
    const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '));
    expect(runStage).toMatch(/^USER node$/m);
    expect(runStage).not.toMatch(/npm (ci|install)/);
    expect(runStage).toMatch(/COPY --from=build \/app\/dist/);
  });
});
