/**
 * Project rules for the objects around the pods: Service, NetworkPolicy, ServiceMonitor, and what
 * each overlay promises (replicas, PDB, HPA, volume claims, node-local traffic).
 */
import type { IHorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import type { INetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1/NetworkPolicy';
import type { IPodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import type { IService } from 'kubernetes-models/v1/Service';
import { findObject, isRecord, workloadId, type K8sObject, type OverlayName } from './k8s.js';
import { stoaConfig, stoaPods } from './pod-rules.js';

/** Does a matchLabels selector select these labels? An empty selector selects everything. */
function selects(matchLabels: Record<string, string> | undefined, labels: Record<string, string>): boolean {
  return Object.entries(matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

function podLabels(objects: readonly K8sObject[]): Record<string, string> {
  const first = stoaPods(objects)[0];
  return first?.w.obj.spec?.template.metadata?.labels ?? {};
}

function byKind<T>(objects: readonly K8sObject[], kind: string): T[] {
  return objects.filter((o) => o.kind === kind) as unknown as T[];
}

/** Service `stoa`: port 3000 named http, to the container port `http` (3000) of stoa's pods. */
export function serviceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  const svc = findObject(objects, 'Service', 'stoa') as unknown as IService | undefined;
  if (svc === undefined) return ['no Service named stoa'];
  const port = svc.spec?.ports?.find((p) => p.port === 3000);
  if (port === undefined) problems.push('Service/stoa: no port 3000');
  else {
    if (port.name !== 'http') problems.push('Service/stoa: port 3000 is not named http');
    if (port.targetPort !== 'http' && port.targetPort !== 3000)
      problems.push('Service/stoa: targetPort is not http');
  }
  const labels = podLabels(objects);
  if (svc.spec?.selector === undefined || !selects(svc.spec.selector, labels)) {
    problems.push('Service/stoa: selector does not match the stoa pods');
  }
  for (const { w, c } of stoaPods(objects)) {
    const cp = c.ports?.find((p) => p.name === 'http');
    if (cp?.containerPort !== 3000) problems.push(`${workloadId(w)}: container port http is not 3000`);
  }
  return problems;
}

/** Ingress on 3000 from the cluster; egress to DNS (53 UDP/TCP) and HTTP(S) (443/80). */
export function networkPolicyProblems(objects: readonly K8sObject[]): string[] {
  const labels = podLabels(objects);
  const policies = byKind<INetworkPolicy>(objects, 'NetworkPolicy').filter((p) =>
    selects(p.spec?.podSelector.matchLabels, labels),
  );
  if (policies.length === 0) return ['no NetworkPolicy selects the stoa pods'];
  const problems: string[] = [];
  const types = new Set<string>(policies.flatMap((p) => p.spec?.policyTypes ?? []));
  for (const t of ['Ingress', 'Egress'])
    if (!types.has(t)) problems.push(`NetworkPolicy: policyTypes lacks ${t}`);
  const ingress = policies.flatMap((p) => p.spec?.ingress ?? []);
  const admits3000 = ingress.some(
    (r) =>
      (r.ports ?? []).some((p) => p.port === 3000 || p.port === 'http') &&
      (r.from === undefined ||
        r.from.some((f) => f.namespaceSelector !== undefined && f.ipBlock === undefined)),
  );
  if (!admits3000) problems.push('NetworkPolicy: no ingress rule admits in-cluster clients on 3000');
  const egress = policies.flatMap((p) => p.spec?.egress ?? []);
  for (const [protocol, port] of [
    ['UDP', 53],
    ['TCP', 53],
    ['TCP', 443],
    ['TCP', 80],
  ] as const) {
    const allowed = egress.some((r) =>
      (r.ports ?? []).some((p) => p.port === port && (p.protocol ?? 'TCP') === protocol),
    );
    if (!allowed) problems.push(`NetworkPolicy: no egress to ${protocol} ${port}`);
  }
  return problems;
}

/** A ServiceMonitor that scrapes /metrics on port `http` of Service `stoa`. */
export function serviceMonitorProblems(objects: readonly K8sObject[]): string[] {
  const sm = objects.find((o) => o.kind === 'ServiceMonitor');
  if (sm === undefined) return ['no ServiceMonitor'];
  const svc = findObject(objects, 'Service', 'stoa');
  const spec = isRecord(sm.spec) ? sm.spec : {};
  const selector =
    isRecord(spec.selector) && isRecord(spec.selector.matchLabels) ? spec.selector.matchLabels : {};
  const problems: string[] = [];
  if (!selects(selector as Record<string, string>, svc?.metadata.labels ?? {})) {
    problems.push('ServiceMonitor: selector does not match Service/stoa');
  }
  const endpoints = Array.isArray(spec.endpoints) ? (spec.endpoints as unknown[]) : [];
  if (!endpoints.some((e) => isRecord(e) && e.port === 'http' && e.path === '/metrics')) {
    problems.push('ServiceMonitor: no endpoint for /metrics on port http');
  }
  return problems;
}

/** Cross-replica coalescing: the Redis URL names a Service of the overlay, on a port it exposes. */
function redisProblems(objects: readonly K8sObject[], redisUrl: string | undefined): string[] {
  if (redisUrl === undefined) return ['ha: no STOA_REDIS_URL (cross-replica coalescing)'];
  const url = new URL(redisUrl);
  const [name, namespace] = url.hostname.split('.');
  const svc = findObject(objects, 'Service', name ?? '') as unknown as IService | undefined;
  if (svc === undefined) return [`ha: STOA_REDIS_URL host ${url.hostname} is not a Service of the overlay`];
  if (namespace !== undefined && namespace !== svc.metadata?.namespace) {
    return [`ha: STOA_REDIS_URL host ${url.hostname} is in another namespace`];
  }
  const port = Number(url.port === '' ? 6379 : url.port);
  if (!(svc.spec?.ports ?? []).some((p) => p.port === port)) {
    return [`ha: Service ${name ?? ''} has no port ${port}`];
  }
  return [];
}

/** What each overlay is for. */
export function overlayProblems(name: OverlayName, objects: readonly K8sObject[]): string[] {
  const pods = stoaPods(objects);
  const problems: string[] = [];
  if (pods.length !== 1) return [`${name}: expected one stoa workload, found ${pods.length}`];
  const { w, c } = pods[0] as (typeof pods)[number];
  const config = stoaConfig(objects, c);
  switch (name) {
    case 'single': {
      if (w.kind !== 'StatefulSet') return [`single: workload is a ${w.kind}, not a StatefulSet`];
      if (w.obj.spec?.replicas !== 1) problems.push('single: replicas is not 1');
      const claims = w.obj.spec?.volumeClaimTemplates ?? [];
      const data = claims.find((t) =>
        c.volumeMounts?.some((m) => m.name === t.metadata?.name && m.mountPath === config.storageRoot),
      );
      if (data === undefined) problems.push('single: no volumeClaimTemplate mounted at the data dir');
      if (config.storageType !== 'disk') problems.push('single: store is not disk');
      break;
    }
    case 'ha': {
      if (w.kind !== 'Deployment') return [`ha: workload is a ${w.kind}, not a Deployment`];
      const spec = w.obj.spec;
      if ((spec?.replicas ?? 1) < 2) problems.push('ha: replicas < 2');
      if (spec?.strategy?.type !== 'RollingUpdate') problems.push('ha: strategy is not RollingUpdate');
      if ((spec?.template.spec?.topologySpreadConstraints ?? []).length === 0) {
        problems.push('ha: no topologySpreadConstraints');
      }
      if (config.storageType !== 's3' && config.storageType !== 'gcs')
        problems.push('ha: store is not shared (s3/gcs)');
      const labels = spec?.template.metadata?.labels ?? {};
      const pdb = byKind<IPodDisruptionBudget>(objects, 'PodDisruptionBudget').find((p) =>
        selects(p.spec?.selector?.matchLabels, labels),
      );
      if (pdb === undefined) problems.push('ha: no PodDisruptionBudget selects the pods');
      const hpa = byKind<IHorizontalPodAutoscaler>(objects, 'HorizontalPodAutoscaler').find(
        (h) =>
          h.spec?.scaleTargetRef.kind === 'Deployment' && h.spec.scaleTargetRef.name === w.obj.metadata?.name,
      );
      if (hpa === undefined) problems.push('ha: no HorizontalPodAutoscaler for the Deployment');
      else if ((hpa.spec?.minReplicas ?? 1) < 2) problems.push('ha: HPA minReplicas < 2');
      problems.push(...redisProblems(objects, config.redisUrl));
      break;
    }
    case 'daemonset': {
      if (w.kind !== 'DaemonSet') return [`daemonset: workload is a ${w.kind}, not a DaemonSet`];
      const svc = findObject(objects, 'Service', 'stoa') as unknown as IService | undefined;
      if (svc?.spec?.internalTrafficPolicy !== 'Local')
        problems.push('daemonset: Service internalTrafficPolicy is not Local');
      break;
    }
  }
  return problems;
}
