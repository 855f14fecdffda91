/**
 * Renders every Kustomize overlay under deploy/kubernetes with the real `kubectl kustomize`,
 * validates each object against the Kubernetes schema (kubernetes-models) and checks the project
 * rules; then shows that the rules catch a broken manifest.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { configEnvNames } from '../../src/config.js';
import {
  networkPolicyProblems,
  overlayProblems,
  serviceMonitorProblems,
  serviceProblems,
} from './cluster-rules.js';
import {
  KUSTOMIZE_DIR,
  kubectlAvailable,
  objectId,
  OVERLAYS,
  REPO_ROOT,
  renderKustomization,
  renderOverlay,
  schemaProblems,
  type K8sObject,
} from './k8s.js';
import {
  envProblems,
  imageProblems,
  imageTag,
  probeProblems,
  resourceProblems,
  runtimeProblems,
  securityProblems,
  stoaConfig,
  stoaPods,
} from './pod-rules.js';

const skip = kubectlAvailable() ? false : 'kubectl not installed';
const known = new Set(configEnvNames());
const packageVersion = (
  JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version: string }
).version;

function allProblems(objects: readonly K8sObject[]): string[] {
  return [
    ...objects.flatMap(schemaProblems),
    ...securityProblems(objects),
    ...probeProblems(objects),
    ...imageProblems(objects),
    ...resourceProblems(objects),
    ...envProblems(objects, known),
    ...runtimeProblems(objects),
    ...serviceProblems(objects),
    ...networkPolicyProblems(objects),
    ...serviceMonitorProblems(objects),
  ];
}

for (const overlay of OVERLAYS) {
  describe(`overlay ${overlay}`, { skip }, () => {
    let objects: K8sObject[] = [];
    before(() => {
      objects = renderOverlay(overlay);
    });

    it('renders the expected kinds', () => {
      const kinds = new Set(objects.map((o) => o.kind));
      for (const k of [
        'Service',
        'ConfigMap',
        'Secret',
        'ServiceAccount',
        'NetworkPolicy',
        'ServiceMonitor',
      ]) {
        assert.ok(kinds.has(k), `missing ${k} in ${[...kinds].join(', ')}`);
      }
      const ids = objects.map(objectId);
      assert.equal(new Set(ids).size, ids.length, 'duplicate objects');
    });

    it('every object validates against the Kubernetes schema', () => {
      assert.deepEqual(objects.flatMap(schemaProblems), []);
    });

    it('pods are non-root, read-only, without privilege escalation or capabilities', () => {
      assert.deepEqual(securityProblems(objects), []);
    });

    it('probes: liveness /healthz, readiness /readyz', () => {
      assert.deepEqual(probeProblems(objects), []);
    });

    it('images are pinned (a tag, not latest)', () => {
      assert.deepEqual(imageProblems(objects), []);
      // The pinned release is the one package.json describes: bump both together.
      for (const { c } of stoaPods(objects)) assert.equal(imageTag(c.image ?? ''), packageVersion);
    });

    it('every container sets resource requests and limits', () => {
      assert.deepEqual(resourceProblems(objects), []);
    });

    it('every env var is a setting config.ts reads, and the settings load', () => {
      assert.deepEqual(envProblems(objects, known), []);
      assert.deepEqual(runtimeProblems(objects), []);
    });

    it('Service stoa on port 3000 (http), NetworkPolicy, ServiceMonitor', () => {
      assert.deepEqual(serviceProblems(objects), []);
      assert.deepEqual(networkPolicyProblems(objects), []);
      assert.deepEqual(serviceMonitorProblems(objects), []);
    });

    it(`has what the ${overlay} overlay promises`, () => {
      assert.deepEqual(overlayProblems(overlay, objects), []);
    });
  });
}

describe('the example of a user overlay (examples/custom)', { skip }, () => {
  it('renders, keeps every rule, and carries its settings and namespace', () => {
    const objects = renderKustomization(`${KUSTOMIZE_DIR}examples/custom`);
    assert.deepEqual(allProblems(objects), []);
    assert.deepEqual(overlayProblems('ha', objects), []);
    assert.deepEqual(
      objects.filter((o) => o.metadata.namespace !== 'stoa').map(objectId),
      [],
      'every object in the namespace',
    );
    const pod = stoaPods(objects)[0];
    assert.ok(pod);
    const config = stoaConfig(objects, pod.c);
    assert.equal(config.s3Bucket, 'example-go-modules');
    assert.equal(config.storageType, 's3', 'merged into the ha settings, not replacing them');
    assert.equal(config.logLevel, 'warn');
  });
});

describe('the rules catch broken manifests', { skip }, () => {
  let pristine: K8sObject[] = [];
  before(() => {
    pristine = renderOverlay('single');
    assert.deepEqual(allProblems(pristine), [], 'the pristine render must be clean');
  });

  /** A deep copy of the render with `mutate` applied to the stoa container and its pod spec. */
  function broken(mutate: (p: ReturnType<typeof stoaPods>[number]) => void): K8sObject[] {
    const copy = structuredClone(pristine);
    const pod = stoaPods(copy)[0];
    assert.ok(pod);
    mutate(pod);
    return copy;
  }

  it('flags root, writable root filesystem, privilege escalation and kept capabilities', () => {
    const objects = broken(({ spec, c }) => {
      delete spec.securityContext?.runAsNonRoot;
      c.securityContext = { readOnlyRootFilesystem: false, allowPrivilegeEscalation: true };
      spec.volumes?.push({ name: 'host', hostPath: { path: '/var/run/docker.sock' } });
    });
    const problems = securityProblems(objects).join('\n');
    for (const want of [
      'runAsNonRoot is not true',
      'readOnlyRootFilesystem is not true',
      'allowPrivilegeEscalation is not false',
      'capabilities not dropped',
      'volume host of type hostPath',
    ]) {
      assert.ok(problems.includes(want), `want "${want}" in:\n${problems}`);
    }
  });

  it('flags a latest or missing tag, missing limits and wrong probe paths', () => {
    const latest = broken(({ c }) => {
      c.image = 'ghcr.io/stoa-proxy/stoa:latest';
      delete c.resources?.limits;
      if (c.readinessProbe?.httpGet) c.readinessProbe.httpGet.path = '/healthz';
    });
    assert.ok(imageProblems(latest).some((p) => p.includes('uses latest')));
    assert.ok(resourceProblems(latest).some((p) => p.includes('no limits.memory')));
    assert.ok(probeProblems(latest).some((p) => p.includes('readinessProbe is not GET /readyz')));
    const untagged = broken(({ spec }) => {
      spec.containers.push({ name: 'sidecar', image: 'docker.io/library/busybox' });
    });
    assert.ok(imageProblems(untagged).some((p) => p.includes('busybox has no tag')));
  });

  it('flags unknown env names, unloadable settings, a short grace period and a missing data mount', () => {
    const objects = broken(({ spec, c }) => {
      c.env = [
        { name: 'NODE_OPTIONS', value: '--max-old-space-size=768' },
        { name: 'STOA_SHUTDOWN_TIMEOUT', value: '5m' },
      ];
      c.volumeMounts = (c.volumeMounts ?? []).filter((m) => m.mountPath !== '/data');
      spec.enableServiceLinks = true;
    });
    assert.ok(envProblems(objects, known).some((p) => p.includes('env NODE_OPTIONS is not a stoa setting')));
    const runtime = runtimeProblems(objects).join('\n');
    assert.match(runtime, /terminationGracePeriodSeconds 75s <= drain 305s/);
    assert.match(runtime, /data dir \/data is not a writable volume/);
    assert.match(runtime, /enableServiceLinks is not false/);
    const badValue = broken(({ c }) => {
      c.env = [{ name: 'STOA_LOG_LEVEL', value: 'verbose' }];
    });
    assert.match(runtimeProblems(badValue).join('\n'), /settings do not load: STOA_LOG_LEVEL="verbose"/);
  });

  it('flags a Service on another port and a schema violation', () => {
    const objects = structuredClone(pristine);
    const svc = objects.find((o) => o.kind === 'Service');
    assert.ok(svc);
    svc.spec = { ports: [{ name: 'web', port: 'eighty' }] };
    assert.ok(schemaProblems(svc).some((p) => p.includes('must be integer')));
    svc.spec = { ports: [{ name: 'web', port: 8080 }], selector: { app: 'other' } };
    assert.deepEqual(serviceProblems(objects), [
      'Service/stoa: no port 3000',
      'Service/stoa: selector does not match the stoa pods',
    ]);
  });

  it('flags an ha overlay whose Redis URL names no Service of the overlay', () => {
    const ha = renderOverlay('ha');
    assert.deepEqual(overlayProblems('ha', ha), []);
    const config = ha.find((o) => o.kind === 'ConfigMap' && o.metadata.name.startsWith('stoa-config'));
    assert.ok(config && typeof config.data === 'object' && config.data !== null);
    Object.assign(config.data, { STOA_REDIS_URL: 'redis://redis-elsewhere:6379' });
    assert.deepEqual(overlayProblems('ha', ha), [
      'ha: STOA_REDIS_URL host redis-elsewhere is not a Service of the overlay',
    ]);
  });

  it('reads the store settings that the ha overlay ships', () => {
    const ha = renderOverlay('ha');
    const pod = stoaPods(ha)[0];
    assert.ok(pod);
    const config = stoaConfig(ha, pod.c);
    assert.equal(config.storageType, 's3');
    assert.equal(config.githubToken, undefined, 'the placeholder token must mean "unset"');
    assert.equal(config.s3AccessKeyId, undefined, 'placeholder keys must mean "unset"');
  });
});
