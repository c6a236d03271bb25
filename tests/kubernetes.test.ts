/**
 * deploy/k8s stays consistent with the services: each Deployment runs its built entry point on the
 * port its configuration listens on, probes /ready and /health there, its Service targets that port,
 * every variable given is one the service's configuration reads, secrets come from the Secret and
 * every referenced key exists; the gateway scales with a HorizontalPodAutoscaler.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';
import { isSecretVariable, variablesRead, type ServiceName } from './support/serviceEnv.js';

const DIR = path.join('deploy', 'k8s');
interface Manifest {
  kind: string;
  metadata: { name: string };
  data?: Record<string, string>;
  stringData?: Record<string, string>;
  // Kubernetes specs are deep; the assertions say what is expected of them.
  spec?: any;
}
const manifests: Manifest[] = readdirSync(DIR)
  .filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml')
  .flatMap((f) => parseAllDocuments(readFileSync(path.join(DIR, f), 'utf8')).map((d) => d.toJSON() as Manifest));
const ofKind = (kind: string) => manifests.filter((m) => m.kind === kind);
const one = (kind: string, name: string) => {
  const found = ofKind(kind).filter((m) => m.metadata.name === name);
  expect({ kind, name, count: found.length }).toEqual({ kind, name, count: 1 });
  return found[0];
};

const SERVICES: Record<ServiceName, { port: number; portVariable: string; entry: string }> = {
  gateway: { port: 4000, portVariable: 'GATEWAY_PORT', entry: 'dist/gateway/main.js' },
  'db-proxy': { port: 4010, portVariable: 'DB_PROXY_PORT', entry: 'dist/db-proxy/main.js' },
  products: { port: 4001, portVariable: 'PRODUCTS_PORT', entry: 'dist/subgraphs/products/main.js' },
  orders: { port: 4002, portVariable: 'ORDERS_PORT', entry: 'dist/subgraphs/orders/main.js' },
  search: { port: 4003, portVariable: 'SEARCH_PORT', entry: 'dist/subgraphs/search/main.js' },
};

interface EnvVar {
  name: string;
  value?: string;
  valueFrom?: { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } };
}
const containerOf = (name: string) => one('Deployment', name).spec.template.spec.containers[0];

describe('deploy/k8s', () => {
  it('has a Deployment and a Service for every service and for Redis, and a kustomization listing every file', () => {
    const names = [...Object.keys(SERVICES), 'redis'].sort();
    expect(ofKind('Deployment').map((m) => m.metadata.name).sort()).toEqual(names);
    expect(ofKind('Service').map((m) => m.metadata.name).sort()).toEqual(names);
    const listed = (parseAllDocuments(readFileSync(path.join(DIR, 'kustomization.yaml'), 'utf8'))[0].toJSON() as { resources: string[] }).resources;
    expect(listed.sort()).toEqual(readdirSync(DIR).filter((f) => f.endsWith('.yaml') && f !== 'kustomization.yaml').sort());
  });

  it.each(Object.entries(SERVICES))('%s runs its entry point on its port, probes /ready and /health there, and its Service targets it', (name, expected) => {
    const container = containerOf(name);
    expect(container.command.at(-1)).toBe(expected.entry);
    expect(container.ports).toEqual([{ name: 'http', containerPort: expected.port }]);
    const env = container.env as EnvVar[];
    expect(env.find((v) => v.name === expected.portVariable)?.value).toBe(String(expected.port));
    expect(container.readinessProbe.httpGet).toEqual({ path: '/ready', port: 'http' });
    expect(container.livenessProbe.httpGet).toEqual({ path: '/health', port: 'http' });
    const service = one('Service', name);
    expect(service.spec.selector).toEqual({ 'app.kubernetes.io/name': name });
    expect(one('Deployment', name).spec.template.metadata.labels).toMatchObject(service.spec.selector);
    expect(service.spec.ports).toEqual([{ name: 'http', port: expected.port, targetPort: 'http' }]);
  });

  it.each(Object.keys(SERVICES))('%s is given only variables its configuration reads, secrets from the Secret, keys that exist', (name) => {
    const read = variablesRead(name as ServiceName);
    const configMap = one('ConfigMap', 'platform-config').data ?? {};
    const secret = one('Secret', 'platform-secrets').stringData ?? {};
    const problems: string[] = [];
    for (const variable of containerOf(name).env as EnvVar[]) {
      if (!read.has(variable.name)) problems.push(`${variable.name} is not read by ${name}`);
      const fromSecret = variable.valueFrom?.secretKeyRef;
      const fromConfig = variable.valueFrom?.configMapKeyRef;
      if (isSecretVariable(variable.name) && fromSecret?.name !== 'platform-secrets') problems.push(`${variable.name} is not from the Secret`);
      if (fromSecret && !(fromSecret.key in secret)) problems.push(`${variable.name}: the Secret has no key ${fromSecret.key}`);
      if (fromConfig && (fromConfig.name !== 'platform-config' || !(fromConfig.key in configMap))) problems.push(`${variable.name}: no ConfigMap key ${fromConfig.key}`);
    }
    expect(problems).toEqual([]);
    // Nothing secret sits in the ConfigMap.
    expect(Object.keys(configMap).filter(isSecretVariable)).toEqual([]);
  });

  it('points the services at each other through the Services, and gives REDIS_URL to the gateway and orders', () => {
    const configMap = one('ConfigMap', 'platform-config').data ?? {};
    expect(configMap.DB_PROXY_URL).toBe(`http://db-proxy:${SERVICES['db-proxy'].port}`);
    expect(configMap.PRODUCTS_URL).toBe(`http://products:${SERVICES.products.port}`);
    expect(configMap.SUBGRAPH_URLS.split(',').sort()).toEqual(
      ['products', 'orders', 'search'].map((s) => `${s}=http://${s}:${SERVICES[s as ServiceName].port}/graphql`).sort(),
    );
    const redisPort = one('Service', 'redis').spec.ports[0].port;
    expect(configMap.REDIS_URL).toBe(`redis://redis:${redisPort}`);
    for (const name of ['gateway', 'orders']) {
      expect((containerOf(name).env as EnvVar[]).find((v) => v.name === 'REDIS_URL')?.valueFrom?.configMapKeyRef?.key).toBe('REDIS_URL');
    }
    // Every subgraph's credential is one the proxy accepts for it.
    const secret = one('Secret', 'platform-secrets').stringData ?? {};
    for (const s of ['products', 'orders', 'search']) {
      expect(secret.DB_PROXY_CREDENTIALS.split(',')).toContain(`${s}=${secret[`${s.toUpperCase()}_DB_CREDENTIAL`]}`);
    }
  });

  it('scales the gateway from two replicas on CPU, and lets it drain longer than its shutdown delay', () => {
    const hpa = one('HorizontalPodAutoscaler', 'gateway');
    expect(hpa.spec.scaleTargetRef).toEqual({ apiVersion: 'apps/v1', kind: 'Deployment', name: 'gateway' });
    expect(hpa.spec.minReplicas).toBeGreaterThanOrEqual(2);
    expect(hpa.spec.maxReplicas).toBeGreaterThan(hpa.spec.minReplicas);
    expect(hpa.spec.metrics[0].resource.name).toBe('cpu');
    const delayMs = Number(one('ConfigMap', 'platform-config').data?.GATEWAY_SHUTDOWN_DELAY_MS);
    expect(one('Deployment', 'gateway').spec.template.spec.terminationGracePeriodSeconds * 1000).toBeGreaterThan(delayMs + 5_000);
  });
});
