/**
 * docker-compose.yml and .env.example stay in step with the services: every service is there, every
 * variable a container is given is documented, and `docker-compose config` accepts the file where
 * docker-compose is installed.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { OUR_NODE_FLAGS } from '../bench/lib/gateways.js';

const compose = parse(readFileSync('docker-compose.yml', 'utf8'), { merge: true }) as {
  services: Record<string, { environment?: Record<string, string>; ports?: string[] }>;
};
const documented = new Set(
  readFileSync('.env.example', 'utf8')
    .split('\n')
    .map((line) => line.replace(/^#\s*/, '').match(/^([A-Z][A-Z0-9_]*)=/)?.[1])
    .filter((name): name is string => Boolean(name)),
);

describe('docker-compose.yml', () => {
  it('runs one container per service plus PostgreSQL, and publishes only the gateway', () => {
    // Every subgraph supergraph.yaml lists (npm run subgraph:new adds both).
    const subgraphs = Object.keys((parse(readFileSync('supergraph.yaml', 'utf8')) as { subgraphs: object }).subgraphs);
    expect(subgraphs).toEqual(expect.arrayContaining(['products', 'orders', 'search']));
    expect(Object.keys(compose.services).sort()).toEqual(['db-proxy', 'gateway', 'postgres', ...subgraphs].sort());
    const published = Object.entries(compose.services).filter(([, s]) => s.ports?.length).map(([name]) => name);
    expect(published).toEqual(['gateway']);
  });

  it('gives containers only variables that .env.example documents', () => {
    // Node's own NODE_OPTIONS is not ours to document in .env.example.
    const containerOnly = new Set(['SERVICE', 'HEALTH_PORT', 'POSTGRES_PASSWORD', 'NODE_OPTIONS']);
    for (const [name, service] of Object.entries(compose.services)) {
      if (name === 'postgres') continue;
      const undocumented = Object.keys(service.environment ?? {}).filter((v) => !containerOnly.has(v) && !documented.has(v));
      expect({ service: name, undocumented }).toEqual({ service: name, undocumented: [] });
    }
  });

  it('runs the gateway with the Node flags the benchmark measures it with', () => {
    expect(compose.services.gateway.environment?.NODE_OPTIONS?.split(' ')).toEqual(OUR_NODE_FLAGS);
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
