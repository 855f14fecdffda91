/**
 * Project rules for the pods of rendered manifests. Each check returns a list of problems (empty
 * when the rule holds) so that a test can both assert a clean render and show that a broken one is
 * caught.
 */
import { ConfigError, loadConfig, type Config } from '../../src/config.js';
import type { IContainer } from 'kubernetes-models/v1/Container';
import type { IPodSpec } from 'kubernetes-models/v1/PodSpec';
import {
  dataOf,
  findObject,
  podSpecOf,
  workloadId,
  workloads,
  type K8sObject,
  type Workload,
} from './k8s.js';

export const STOA_IMAGE = 'ghcr.io/stoa-proxy/stoa';

function containersOf(spec: IPodSpec): IContainer[] {
  return [...(spec.initContainers ?? []), ...spec.containers];
}

/** Workloads running the stoa image, with their stoa container. */
export function stoaPods(objects: readonly K8sObject[]): { w: Workload; spec: IPodSpec; c: IContainer }[] {
  const out: { w: Workload; spec: IPodSpec; c: IContainer }[] = [];
  for (const w of workloads(objects)) {
    const spec = podSpecOf(w);
    const c = spec?.containers.find((x) => x.image?.startsWith(`${STOA_IMAGE}:`) ?? false);
    if (spec !== undefined && c !== undefined) out.push({ w, spec, c });
  }
  return out;
}

/** Volume types the Pod Security Standards' `restricted` profile allows. */
const RESTRICTED_VOLUME_TYPES = new Set([
  'configMap',
  'csi',
  'downwardAPI',
  'emptyDir',
  'ephemeral',
  'persistentVolumeClaim',
  'projected',
  'secret',
]);

/** Non-root, read-only root filesystem, no privilege escalation, no capabilities, RuntimeDefault seccomp. */
export function securityProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const id = workloadId(w);
    const spec = podSpecOf(w);
    if (spec === undefined) {
      problems.push(`${id}: no pod template`);
      continue;
    }
    const pod = spec.securityContext ?? {};
    if (spec.hostNetwork === true || spec.hostPID === true || spec.hostIPC === true) {
      problems.push(`${id}: uses host namespaces`);
    }
    for (const v of spec.volumes ?? []) {
      const types = Object.keys(v).filter((k) => k !== 'name');
      const bad = types.filter((t) => !RESTRICTED_VOLUME_TYPES.has(t));
      if (bad.length > 0) problems.push(`${id}: volume ${v.name} of type ${bad.join(', ')}`);
    }
    if (spec.automountServiceAccountToken !== false) problems.push(`${id}: service account token mounted`);
    if (pod.runAsUser === 0) problems.push(`${id}: runAsUser 0`);
    for (const c of containersOf(spec)) {
      const cid = `${id} container ${c.name}`;
      const sc = c.securityContext ?? {};
      if ((sc.runAsNonRoot ?? pod.runAsNonRoot) !== true) problems.push(`${cid}: runAsNonRoot is not true`);
      if (sc.runAsUser === 0) problems.push(`${cid}: runAsUser 0`);
      if (sc.readOnlyRootFilesystem !== true) problems.push(`${cid}: readOnlyRootFilesystem is not true`);
      if (sc.allowPrivilegeEscalation !== false)
        problems.push(`${cid}: allowPrivilegeEscalation is not false`);
      if (sc.privileged === true) problems.push(`${cid}: privileged`);
      if (!(sc.capabilities?.drop ?? []).includes('ALL'))
        problems.push(`${cid}: capabilities not dropped (ALL)`);
      if ((sc.capabilities?.add ?? []).length > 0) problems.push(`${cid}: adds capabilities`);
      if ((sc.seccompProfile?.type ?? pod.seccompProfile?.type) !== 'RuntimeDefault') {
        problems.push(`${cid}: seccompProfile is not RuntimeDefault`);
      }
    }
  }
  return problems;
}

function httpPath(probe: IContainer['livenessProbe']): string | undefined {
  return probe?.httpGet?.path;
}

/** stoa: liveness on /healthz, readiness on /readyz (port `http`); other containers: both probes. */
export function probeProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { w, c } of stoaPods(objects)) {
    const id = `${workloadId(w)} container ${c.name}`;
    if (httpPath(c.livenessProbe) !== '/healthz') problems.push(`${id}: livenessProbe is not GET /healthz`);
    if (httpPath(c.readinessProbe) !== '/readyz') problems.push(`${id}: readinessProbe is not GET /readyz`);
    for (const p of [c.livenessProbe, c.readinessProbe, c.startupProbe]) {
      const port = p?.httpGet?.port;
      if (port !== undefined && port !== 'http' && port !== 3000)
        problems.push(`${id}: probe on port ${port}`);
    }
  }
  for (const w of workloads(objects)) {
    for (const c of podSpecOf(w)?.containers ?? []) {
      if (c.livenessProbe === undefined || c.readinessProbe === undefined) {
        problems.push(`${workloadId(w)} container ${c.name}: liveness and readiness probes required`);
      }
    }
  }
  return problems;
}

/** The tag of an image reference, or undefined when it has none (a digest counts as pinned). */
export function imageTag(image: string): string | undefined {
  if (image.includes('@sha256:')) return image.slice(image.indexOf('@') + 1);
  const last = image.slice(image.lastIndexOf('/') + 1);
  const i = last.indexOf(':');
  return i < 0 ? undefined : last.slice(i + 1);
}

export function imageProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const spec = podSpecOf(w);
    for (const c of spec === undefined ? [] : containersOf(spec)) {
      const id = `${workloadId(w)} container ${c.name}`;
      const tag = c.image === undefined ? undefined : imageTag(c.image);
      if (tag === undefined || tag === '') problems.push(`${id}: image ${c.image ?? '(none)'} has no tag`);
      else if (tag === 'latest') problems.push(`${id}: image ${c.image ?? ''} uses latest`);
    }
  }
  if (stoaPods(objects).length === 0) problems.push(`no workload runs ${STOA_IMAGE}:<version>`);
  return problems;
}

export function resourceProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const w of workloads(objects)) {
    const spec = podSpecOf(w);
    for (const c of spec === undefined ? [] : containersOf(spec)) {
      const r = c.resources;
      for (const kind of ['requests', 'limits'] as const) {
        for (const res of ['cpu', 'memory']) {
          if (r?.[kind]?.[res] === undefined)
            problems.push(`${workloadId(w)} container ${c.name}: no ${kind}.${res}`);
        }
      }
    }
  }
  return problems;
}

/**
 * The environment a container sees from `env` and `envFrom` (ConfigMaps and Secrets resolved in the
 * rendered objects); unresolvable references are reported as problems.
 */
export function containerEnv(
  objects: readonly K8sObject[],
  c: IContainer,
): { env: Record<string, string>; names: string[]; problems: string[] } {
  const env: Record<string, string> = {};
  const names: string[] = [];
  const problems: string[] = [];
  for (const from of c.envFrom ?? []) {
    const ref = from.configMapRef ?? from.secretRef;
    const kind = from.configMapRef !== undefined ? 'ConfigMap' : 'Secret';
    const target = ref?.name === undefined ? undefined : findObject(objects, kind, ref.name);
    if (target === undefined) {
      if (ref?.optional !== true)
        problems.push(`container ${c.name}: envFrom ${kind} ${ref?.name ?? '?'} is missing`);
      continue;
    }
    for (const [k, v] of Object.entries(dataOf(target))) {
      const name = `${from.prefix ?? ''}${k}`;
      names.push(name);
      env[name] = v;
    }
  }
  for (const e of c.env ?? []) {
    names.push(e.name);
    const ref = e.valueFrom?.configMapKeyRef ?? e.valueFrom?.secretKeyRef;
    if (ref !== undefined) {
      const kind = e.valueFrom?.configMapKeyRef !== undefined ? 'ConfigMap' : 'Secret';
      const target = findObject(objects, kind, ref.name ?? '');
      const value = target === undefined ? undefined : dataOf(target)[ref.key];
      if (value === undefined) {
        if (ref.optional !== true)
          problems.push(`container ${c.name}: env ${e.name} refers to a missing ${kind} key`);
      } else {
        env[e.name] = value;
      }
    } else if (e.value !== undefined) {
      env[e.name] = e.value;
    }
  }
  return { env, names, problems };
}

/** Every variable stoa's container gets must be one that config.ts reads, and the set must load. */
export function envProblems(objects: readonly K8sObject[], known: ReadonlySet<string>): string[] {
  const problems: string[] = [];
  for (const { w, c } of stoaPods(objects)) {
    const id = `${workloadId(w)} container ${c.name}`;
    const { names, problems: refs } = containerEnv(objects, c);
    problems.push(...refs.map((p) => `${workloadId(w)} ${p}`));
    for (const n of names) if (!known.has(n)) problems.push(`${id}: env ${n} is not a stoa setting`);
  }
  for (const o of objects) {
    if (o.kind !== 'ConfigMap' || !o.metadata.name.startsWith('stoa-config')) continue;
    for (const k of Object.keys(dataOf(o))) {
      if (!known.has(k)) problems.push(`ConfigMap/${o.metadata.name}: key ${k} is not a stoa setting`);
    }
  }
  return problems;
}

/** The settings a stoa container starts with, parsed by config.ts itself. */
export function stoaConfig(objects: readonly K8sObject[], c: IContainer): Config {
  return loadConfig(containerEnv(objects, c).env);
}

function preStopSeconds(c: IContainer): number {
  const cmd = c.lifecycle?.preStop?.exec?.command ?? [];
  return cmd[0] === 'sleep' && cmd[1] !== undefined ? Number(cmd[1]) : 0;
}

/**
 * Settings load; the grace period exceeds the drain timeout plus the preStop pause; /tmp (the temp
 * dir) and, for the disk store, the data dir are writable mounts; no service links.
 */
export function runtimeProblems(objects: readonly K8sObject[]): string[] {
  const problems: string[] = [];
  for (const { w, spec, c } of stoaPods(objects)) {
    const id = workloadId(w);
    let config: Config;
    try {
      config = stoaConfig(objects, c);
    } catch (err) {
      problems.push(
        `${id}: settings do not load: ${err instanceof ConfigError ? err.problems.join('; ') : String(err)}`,
      );
      continue;
    }
    const grace = (spec.terminationGracePeriodSeconds ?? 30) * 1000;
    const needed = config.shutdownTimeout + preStopSeconds(c) * 1000;
    if (grace <= needed)
      problems.push(`${id}: terminationGracePeriodSeconds ${grace / 1000}s <= drain ${needed / 1000}s`);
    if (spec.enableServiceLinks !== false) problems.push(`${id}: enableServiceLinks is not false`);
    const claims = w.kind === 'StatefulSet' ? (w.obj.spec?.volumeClaimTemplates ?? []) : [];
    const volumes = new Set([
      ...(spec.volumes ?? []).map((v) => v.name),
      ...claims.map((t) => t.metadata?.name ?? ''),
    ]);
    const writable = (path: string): boolean =>
      (c.volumeMounts ?? []).some((m) => m.mountPath === path && m.readOnly !== true && volumes.has(m.name));
    if (!writable(config.tempDir))
      problems.push(`${id}: temp dir ${config.tempDir} is not a writable volume`);
    if (config.storageType === 'disk' && !writable(config.storageRoot)) {
      problems.push(`${id}: data dir ${config.storageRoot} is not a writable volume`);
    }
  }
  return problems;
}
