// Writes the audit benchmark's inputs: a `kubectl get pods -A -o json` of 10,000 running pods over
// 2,000 distinct images in 50 namespaces, as JSON and as YAML (each pod shaped as kubectl prints one, with its
// status and imageID), and a 1,000-digest allowlist that allows half of the images.
// Usage: node bench/audit-fixtures.mjs DIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { stringify } from 'yaml';

const dir = process.argv[2];
if (!dir) throw new Error('usage: node bench/audit-fixtures.mjs DIR');
mkdirSync(dir, { recursive: true });
const PODS = 10_000;
const IMAGES = 2_000;
const hex = (n) => n.toString(16).padStart(64, '0');
const pods = [];
for (let i = 0; i < PODS; i++) {
  const n = i % IMAGES;
  const image = `registry.example.com/team${n % 20}/app${n}:v1`;
  pods.push({
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      name: `app${n}-7d9c6b5f4-${i.toString(36)}`,
      namespace: `ns${n % 50}`,
      labels: { app: `app${n}`, 'pod-template-hash': '7d9c6b5f4' },
      ownerReferences: [
        {
          apiVersion: 'apps/v1',
          kind: 'ReplicaSet',
          name: `app${n}-7d9c6b5f4`,
          controller: true,
          uid: `uid-${n}`,
        },
      ],
    },
    spec: {
      containers: [
        {
          name: 'main',
          image,
          imagePullPolicy: 'IfNotPresent',
          resources: {},
          terminationMessagePath: '/dev/termination-log',
          volumeMounts: [
            {
              mountPath: '/var/run/secrets/kubernetes.io/serviceaccount',
              name: 'kube-api-access',
              readOnly: true,
            },
          ],
        },
      ],
      nodeName: `ip-10-0-${i % 250}-17.us-west-2.compute.internal`,
      serviceAccountName: 'default',
    },
    status: {
      phase: 'Running',
      containerStatuses: [
        {
          name: 'main',
          image,
          imageID: `registry.example.com/team${n % 20}/app${n}@sha256:${hex(n)}`,
          ready: true,
          restartCount: 0,
          started: true,
          state: { running: { startedAt: '2026-12-01T00:00:00Z' } },
        },
      ],
    },
  });
}
const list = { apiVersion: 'v1', kind: 'List', items: pods, metadata: { resourceVersion: '' } };
writeFileSync(join(dir, 'pods-10000.json'), JSON.stringify(list, null, 4));
// The same pods as `kubectl get pods -A -o yaml` prints them.
writeFileSync(join(dir, 'pods-10000.yaml'), stringify(list));
writeFileSync(
  join(dir, 'allow-1000.json'),
  JSON.stringify({
    version: '1.0',
    trustedDigests: Array.from({ length: IMAGES / 2 }, (_, n) => `sha256:${hex(n)}`),
  }),
);
