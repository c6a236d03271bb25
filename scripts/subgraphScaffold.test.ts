/**
 * The pieces of `npm run subgraph:new` on the repository's own files: names, ports, templates, and
 * edits that change nothing but what they add.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import {
  addStartScript,
  addToDockerCompose,
  addToEnvExample,
  addToSupergraphYaml,
  composeServiceNames,
  graphCollisions,
  nameFormProblem,
  namesOf,
  nextFreePort,
  outputFileName,
  renderTemplate,
  roundTrip,
  supergraphEntries,
} from './subgraphScaffold.js';

const read = (file: string) => readFileSync(file, 'utf8');
const reviews = namesOf('reviews', 4004);

/** The lines of `after` that `before` does not have. */
function addedLines(before: string, after: string): string[] {
  const old = new Set(before.split('\n'));
  return after.split('\n').filter((line) => !old.has(line));
}

describe('names', () => {
  it('accepts lower-case letters and digits starting with a letter, and nothing reserved', () => {
    expect(nameFormProblem('reviews')).toBeUndefined();
    expect(nameFormProblem('ratings2')).toBeUndefined();
    for (const bad of ['Reviews', '2reviews', 're-views', 're_views', '', 'a'.repeat(24)]) {
      expect(nameFormProblem(bad)).toMatch(/not a valid subgraph name|too long/);
    }
    for (const reserved of ['gateway', 'kit', 'query', 'class', 'product']) {
      expect(nameFormProblem(reserved)).toMatch(/reserved/);
    }
  });

  it('derives the type, variable and port names', () => {
    expect(reviews).toEqual({ name: 'reviews', Name: 'Reviews', NAME: 'REVIEWS', port: 4004 });
  });

  it('reports names the graph already has', () => {
    const supergraph = read('supergraph.graphql');
    expect(graphCollisions(supergraph, reviews)).toEqual([]);
    expect(graphCollisions(supergraph, namesOf('stock', 4004))).toEqual(['Product already has a field stock']);
  });
});

describe('ports', () => {
  it('takes the first port from 4001 no subgraph routes to, skipping the gateway and proxy ports', () => {
    expect(nextFreePort([4001, 4002, 4003])).toBe(4004);
    expect(nextFreePort([4001, 4003])).toBe(4002);
    expect(nextFreePort([4001, 4002, 4003, 4004, 4005, 4006, 4007, 4008, 4009])).toBe(4011);
  });

  it('reads the routing URLs of supergraph.yaml', () => {
    expect(supergraphEntries(read('supergraph.yaml')).map((e) => e.name)).toEqual(['products', 'orders', 'search']);
  });
});

describe('templates', () => {
  it('fills in the placeholders in names and contents, leaving other double underscores alone', () => {
    expect(outputFileName('__name__.int.test.ts.tmpl', reviews)).toBe('reviews.int.test.ts');
    expect(renderTemplate('start__Name__ __NAME___PORT=__port__ __name__Count __resolveReference __typename', reviews)).toBe(
      'startReviews REVIEWS_PORT=4004 reviewsCount __resolveReference __typename',
    );
  });
});

describe('edits', () => {
  it('writes the YAML files back byte for byte when nothing is added', () => {
    for (const file of ['supergraph.yaml', 'docker-compose.yml']) expect(roundTrip(read(file), file)).toBe(read(file));
  });

  it('appends the subgraph to supergraph.yaml, keeping everything else', () => {
    const before = read('supergraph.yaml');
    const after = addToSupergraphYaml(before, reviews);
    expect(after.startsWith(before.trimEnd())).toBe(true);
    expect(parse(after).subgraphs.reviews).toEqual({
      routing_url: 'http://localhost:4004/graphql',
      schema: { file: './subgraphs/reviews/schema.graphql' },
    });
  });

  it('adds a container shaped like the other subgraphs to docker-compose.yml, and wires it to the proxy and gateway', () => {
    const before = read('docker-compose.yml');
    const { text, changes } = addToDockerCompose(before, reviews);
    expect(changes).toEqual([
      'service reviews',
      "db-proxy's DB_PROXY_CREDENTIALS",
      "x-gateway's SUBGRAPH_URLS",
      "x-gateway's depends_on",
    ]);
    // Comments and the other services stay as they were.
    expect(text.split('\n').slice(0, 3)).toEqual(before.split('\n').slice(0, 3));
    expect(addedLines(before, text).filter((line) => !/reviews|REVIEWS|4004/.test(line))).toEqual([]);
    // Lines in file order: the x-gateway block comes before the services.
    expect(addedLines(text, before).map((line) => line.trim().split(':')[0])).toEqual(['SUBGRAPH_URLS', 'DB_PROXY_CREDENTIALS']);

    const compose = parse(text, { merge: true }) as { services: Record<string, any> };
    expect(composeServiceNames(text)).toEqual([
      'postgres', 'redis', 'db-proxy', 'products', 'orders', 'search', 'reviews', 'gateway-1', 'gateway-2', 'load-balancer',
    ]);
    expect(compose.services.reviews).toMatchObject({
      image: compose.services.products.image,
      environment: {
        NODE_ENV: 'production',
        DB_PROXY_URL: 'http://db-proxy:4010',
        HEALTH_PORT: '4004',
        REVIEWS_PORT: '4004',
        REVIEWS_DB_CREDENTIAL: '${REVIEWS_DB_CREDENTIAL:-compose-reviews-credential}',
      },
      command: ['node', 'dist/subgraphs/reviews/main.js'],
      depends_on: { 'db-proxy': { condition: 'service_healthy' } },
      healthcheck: compose.services.products.healthcheck,
      expose: ['4004'],
    });
    expect(compose.services.reviews.environment.PRODUCTS_PORT).toBeUndefined();
    expect(compose.services['db-proxy'].environment.DB_PROXY_CREDENTIALS).toMatch(
      /,search=[^,]+,reviews=\$\{REVIEWS_DB_CREDENTIAL:-compose-reviews-credential\}$/,
    );
    // Both replicas merge the one x-gateway block.
    for (const replica of ['gateway-1', 'gateway-2']) {
      expect(compose.services[replica].environment.SUBGRAPH_URLS).toMatch(/,reviews=http:\/\/reviews:4004\/graphql$/);
      expect(compose.services[replica].depends_on.reviews).toEqual({ condition: 'service_healthy' });
    }
  });

  it('documents the variables in .env.example at the end of the subgraphs section', () => {
    const before = read('.env.example');
    const after = addToEnvExample(before, reviews);
    const lines = after.split('\n');
    const block = lines.indexOf('REVIEWS_PORT=4004');
    expect(lines.slice(block - 1, block + 3)).toEqual([
      '# reviews subgraph (subgraphs/reviews/config.ts)',
      'REVIEWS_PORT=4004',
      'REVIEWS_HOST=0.0.0.0',
      'REVIEWS_DB_CREDENTIAL=dev-only-reviews-db-secret-change-me',
    ]);
    expect(lines[block + 3]).toBe('');
    expect(lines[block + 4]).toMatch(/^# -+ connection proxy/);
    expect(after).toMatch(/^# DB_PROXY_CREDENTIALS=.*,reviews=\.\.\.$/m);
    expect(lines.length).toBe(before.split('\n').length + 4);
  });

  it('adds start:<name> after the other start scripts, keeping package.json as npm writes it', () => {
    const before = read('package.json');
    expect(`${JSON.stringify(JSON.parse(before), null, 2)}\n`).toBe(before);
    const scripts = Object.entries(JSON.parse(addStartScript(before, reviews)).scripts as Record<string, string>);
    const at = scripts.findIndex(([key]) => key === 'start:reviews');
    expect(scripts[at]).toEqual(['start:reviews', 'tsx subgraphs/reviews/main.ts']);
    expect(scripts[at - 1][0]).toBe('start:search');
    expect(scripts).toHaveLength(Object.keys(JSON.parse(before).scripts).length + 1);
  });
});
