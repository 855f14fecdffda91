/**
 * Renders the Kustomize overlays under deploy/kubernetes with `kubectl kustomize` (offline) and
 * validates each object against the Kubernetes schema of kubernetes-models.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { DaemonSet, type IDaemonSet } from 'kubernetes-models/apps/v1/DaemonSet';
import { Deployment, type IDeployment } from 'kubernetes-models/apps/v1/Deployment';
import { StatefulSet, type IStatefulSet } from 'kubernetes-models/apps/v1/StatefulSet';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { ServiceAccount } from 'kubernetes-models/v1/ServiceAccount';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';

export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const KUSTOMIZE_DIR = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));
export const OVERLAYS = ['single', 'ha', 'daemonset'] as const;
export type OverlayName = (typeof OVERLAYS)[number];

/** A rendered object: only what every Kubernetes object has is typed; the rest is checked per kind. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  [field: string]: unknown;
}

export function kubectlAvailable(): boolean {
  const r = spawnSync('kubectl', ['version', '--client'], { encoding: 'utf8' });
  return r.error === undefined && r.status === 0;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function asK8sObject(doc: unknown, where: string): K8sObject {
  if (!isRecord(doc)) throw new Error(`${where}: not a mapping`);
  const { apiVersion, kind, metadata } = doc;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string' || !isRecord(metadata)) {
    throw new Error(`${where}: apiVersion, kind and metadata are required`);
  }
  if (typeof metadata.name !== 'string' || metadata.name === '') {
    throw new Error(`${where}: metadata.name is required`);
  }
  return doc as K8sObject;
}

/** `kubectl kustomize <dir>` parsed into objects; throws with kubectl's stderr on failure. */
export function renderKustomization(dir: string): K8sObject[] {
  const r = spawnSync('kubectl', ['kustomize', dir], { encoding: 'utf8', maxBuffer: 16 * 1024 * 1024 });
  if (r.error !== undefined) throw r.error;
  if (r.status !== 0) throw new Error(`kubectl kustomize ${dir} failed:\n${r.stderr}`);
  return parseAllDocuments(r.stdout).map((doc, i) => {
    if (doc.errors.length > 0)
      throw new Error(`document ${i}: ${doc.errors.map((e) => e.message).join('; ')}`);
    return asK8sObject(doc.toJS(), `document ${i}`);
  });
}

export function renderOverlay(name: OverlayName): K8sObject[] {
  return renderKustomization(`${KUSTOMIZE_DIR}overlays/${name}`);
}

export function objectId(o: K8sObject): string {
  return `${o.kind}/${o.metadata.name}`;
}

type Validator = (o: K8sObject) => void;

/* Each validator builds the kubernetes-models class and runs its JSON-schema validation (types,
 * required fields and enums; like the API server's schema, it does not reject unknown fields). */
const VALIDATORS: Record<string, Validator> = {
  'v1/ConfigMap': (o) => new ConfigMap(o).validate(),
  'v1/Secret': (o) => new Secret(o).validate(),
  'v1/Service': (o) => new Service(o).validate(),
  'v1/ServiceAccount': (o) => new ServiceAccount(o).validate(),
  'apps/v1/Deployment': (o) => new Deployment(o).validate(),
  'apps/v1/StatefulSet': (o) => new StatefulSet(o).validate(),
  'apps/v1/DaemonSet': (o) => new DaemonSet(o).validate(),
  'autoscaling/v2/HorizontalPodAutoscaler': (o) => new HorizontalPodAutoscaler(o).validate(),
  'policy/v1/PodDisruptionBudget': (o) => new PodDisruptionBudget(o).validate(),
  'networking.k8s.io/v1/NetworkPolicy': (o) => new NetworkPolicy(o).validate(),
  // A CRD of the Prometheus operator: kubernetes-models has no schema for it, so its shape is
  // checked by hand (selector, endpoints with a port name and a path).
  'monitoring.coreos.com/v1/ServiceMonitor': (o) => {
    const spec = o.spec;
    if (!isRecord(spec)) throw new Error('spec is required');
    if (!isRecord(spec.selector) || !isRecord(spec.selector.matchLabels)) {
      throw new Error('spec.selector.matchLabels is required');
    }
    const endpoints = spec.endpoints;
    if (!Array.isArray(endpoints) || endpoints.length === 0) throw new Error('spec.endpoints is required');
    for (const [i, e] of endpoints.entries()) {
      if (!isRecord(e) || typeof e.port !== 'string' || typeof e.path !== 'string') {
        throw new Error(`spec.endpoints[${i}] needs a port name and a path`);
      }
    }
  },
};

/** Schema problems of one object ([] when valid); a kind without a validator is a problem too. */
export function schemaProblems(o: K8sObject): string[] {
  const validate = VALIDATORS[`${o.apiVersion}/${o.kind}`];
  if (validate === undefined) return [`${objectId(o)}: no schema validator for ${o.apiVersion} ${o.kind}`];
  try {
    validate(o);
    return [];
  } catch (err) {
    return [`${objectId(o)}: ${err instanceof Error ? err.message : String(err)}`];
  }
}

export type Workload =
  | { kind: 'Deployment'; obj: IDeployment }
  | { kind: 'StatefulSet'; obj: IStatefulSet }
  | { kind: 'DaemonSet'; obj: IDaemonSet };

/** Deployments, StatefulSets and DaemonSets (call after schema validation). */
export function workloads(objects: readonly K8sObject[]): Workload[] {
  const out: Workload[] = [];
  for (const o of objects) {
    if (o.apiVersion !== 'apps/v1') continue;
    if (o.kind === 'Deployment') out.push({ kind: 'Deployment', obj: o as unknown as IDeployment });
    if (o.kind === 'StatefulSet') out.push({ kind: 'StatefulSet', obj: o as unknown as IStatefulSet });
    if (o.kind === 'DaemonSet') out.push({ kind: 'DaemonSet', obj: o as unknown as IDaemonSet });
  }
  return out;
}

export function podSpecOf(w: Workload): IPodSpec | undefined {
  return w.obj.spec?.template.spec;
}

export function workloadId(w: Workload): string {
  return `${w.kind}/${w.obj.metadata?.name ?? '?'}`;
}

export function findObject(objects: readonly K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.find((o) => o.kind === kind && o.metadata.name === name);
}

/** Decoded string data of a ConfigMap or Secret (Secret `data` is base64). */
export function dataOf(o: K8sObject): Record<string, string> {
  const out: Record<string, string> = {};
  if (isRecord(o.data)) {
    for (const [k, v] of Object.entries(o.data)) {
      if (typeof v !== 'string') continue;
      out[k] = o.kind === 'Secret' ? Buffer.from(v, 'base64').toString('utf8') : v;
    }
  }
  if (isRecord(o.stringData)) {
    for (const [k, v] of Object.entries(o.stringData)) if (typeof v === 'string') out[k] = v;
  }
  return out;
}

export { isRecord };
