// `vouch admission manifests`: the Kubernetes objects that run the webhook in a namespace: the TLS
// Secret, the policy ConfigMap, a Deployment of stateless replicas, a Service, a
// PodDisruptionBudget, and both webhook configurations with the CA bundle that verifies the
// webhook's certificate (admissionregistration.k8s.io/v1, as kubernetes/website
// content/en/docs/reference/access-authn-authz/extensible-admission-controllers.md describes).
import { X509Certificate } from 'node:crypto';
import { stringify } from 'yaml';
import { VouchError } from '../core/index.js';
import { DEFAULT_WEBHOOK_TIMEOUT_MS, type FailurePolicy } from './webhook.js';

export interface ManifestOptions {
  namespace: string;
  /** PEM of the webhook's serving certificate (with its chain) and key */
  cert: string;
  key: string;
  /** PEM of the CA the API server trusts the certificate through (default: the certificate itself, self-signed) */
  ca?: string;
  image: string;
  /** the policy file's text, put in a ConfigMap (absent: the built-in policy) */
  policy?: string;
  name?: string;
  replicas?: number;
  failurePolicy?: FailurePolicy;
  timeoutSeconds?: number;
  audit?: boolean;
}

export const DEFAULT_NAME = 'vouch-admission';
const PORT = 8443;
/** RFC 1123 DNS label: namespaces and service names. */
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** The resources the webhook looks at, per API group (workload.ts knows their pod specs). */
const RULES = [
  { apiGroups: [''], apiVersions: ['v1'], resources: ['pods', 'pods/ephemeralcontainers', 'replicationcontrollers', 'podtemplates'] },
  { apiGroups: ['apps'], apiVersions: ['v1'], resources: ['deployments', 'replicasets', 'statefulsets', 'daemonsets'] },
  { apiGroups: ['batch'], apiVersions: ['v1'], resources: ['jobs', 'cronjobs'] },
];

function firstCertificate(pem: string, what: string): X509Certificate {
  const m = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (m === null) throw new VouchError('INVALID_CERTIFICATE', `${what} holds no PEM certificate`);
  try {
    return new X509Certificate(m[0]);
  } catch (err) {
    throw new VouchError('INVALID_CERTIFICATE', `${what} is not a certificate: ${(err as Error).message}`);
  }
}

/** The objects, in the order `kubectl apply -f` should create them. */
export function admissionManifests(o: ManifestOptions): Record<string, unknown>[] {
  const name = o.name ?? DEFAULT_NAME;
  const ns = o.namespace;
  if (!DNS_LABEL.test(ns)) throw new VouchError('INVALID_ARGUMENT', `--namespace ${JSON.stringify(ns)} is not a namespace name (RFC 1123 label)`);
  if (!DNS_LABEL.test(name)) throw new VouchError('INVALID_ARGUMENT', `--name ${JSON.stringify(name)} is not a service name (RFC 1123 label)`);
  const host = `${name}.${ns}.svc`;
  const leaf = firstCertificate(o.cert, '--cert');
  // The API server calls https://NAME.NAMESPACE.svc: a certificate without that name fails every review.
  if (leaf.checkHost(host) === undefined) {
    throw new VouchError('INVALID_CERTIFICATE', `the certificate (${leaf.subject.replace(/\n/g, ', ')}) is not valid for ${host}, the name the API server calls`, {
      hint: `issue it with subjectAltName DNS:${host}`,
    });
  }
  const ca = o.ca ?? o.cert;
  firstCertificate(ca, o.ca !== undefined ? '--ca' : '--cert');
  if (!/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(o.key)) throw new VouchError('INVALID_KEY', '--key holds no PEM private key');
  const labels = { 'app.kubernetes.io/name': name, 'app.kubernetes.io/component': 'admission-webhook' };
  const b64 = (s: string): string => Buffer.from(s).toString('base64');
  const args = ['admission', '--addr', `:${PORT}`, '--tls-cert', '/etc/vouch/tls/tls.crt', '--tls-key', '/etc/vouch/tls/tls.key'];
  if (o.policy !== undefined) args.push('--policy', '/etc/vouch/policy/policy.yaml');
  if (o.failurePolicy === 'ignore') args.push('--failure-policy', 'ignore');
  if (o.audit === true) args.push('--audit');
  const probe = (path: string) => ({ httpGet: { path, port: PORT, scheme: 'HTTPS' }, periodSeconds: 10, timeoutSeconds: 2 });
  const volumes: Record<string, unknown>[] = [
    { name: 'tls', secret: { secretName: `${name}-tls` } },
    // The trust data cache (the updater's copies of the trust servers' metadata): per replica, rebuilt on start.
    { name: 'trust', emptyDir: {} },
  ];
  const mounts: Record<string, unknown>[] = [
    { name: 'tls', mountPath: '/etc/vouch/tls', readOnly: true },
    { name: 'trust', mountPath: '/var/lib/vouch' },
  ];
  if (o.policy !== undefined) {
    volumes.push({ name: 'policy', configMap: { name: `${name}-policy` } });
    mounts.push({ name: 'policy', mountPath: '/etc/vouch/policy', readOnly: true });
  }
  const timeoutSeconds = o.timeoutSeconds ?? DEFAULT_WEBHOOK_TIMEOUT_MS / 1000;
  if (!Number.isInteger(timeoutSeconds) || timeoutSeconds < 1 || timeoutSeconds > 30) {
    throw new VouchError('INVALID_ARGUMENT', `--timeout-seconds must be a whole number from 1 to 30 (the API server's limit), got ${timeoutSeconds}`);
  }
  const webhook = (path: '/validate' | '/mutate', hookName: string) => ({
    name: hookName,
    clientConfig: { service: { name, namespace: ns, path, port: 443 }, caBundle: b64(ca) },
    rules: RULES.map((r) => ({ ...r, operations: ['CREATE', 'UPDATE'], scope: 'Namespaced' })),
    // The webhook's own namespace is never sent to it: its pods must start even when it is down.
    namespaceSelector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'NotIn', values: [...new Set([ns, 'kube-system'])] }] },
    failurePolicy: o.failurePolicy === 'ignore' ? 'Ignore' : 'Fail',
    matchPolicy: 'Equivalent',
    sideEffects: 'None',
    timeoutSeconds,
    admissionReviewVersions: ['v1'],
    ...(path === '/mutate' ? { reinvocationPolicy: 'IfNeeded' } : {}),
  });
  const objects: Record<string, unknown>[] = [
    {
      apiVersion: 'v1', kind: 'Secret', metadata: { name: `${name}-tls`, namespace: ns, labels }, type: 'kubernetes.io/tls',
      data: { 'tls.crt': b64(o.cert), 'tls.key': b64(o.key) },
    },
  ];
  if (o.policy !== undefined) {
    objects.push({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: `${name}-policy`, namespace: ns, labels }, data: { 'policy.yaml': o.policy } });
  }
  objects.push(
    {
      apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: ns, labels },
      spec: {
        replicas: o.replicas ?? 2,
        selector: { matchLabels: labels },
        template: {
          metadata: { labels },
          spec: {
            securityContext: { runAsNonRoot: true, runAsUser: 65532, runAsGroup: 65532, seccompProfile: { type: 'RuntimeDefault' } },
            // Replicas on different nodes, so one node going away leaves the webhook up.
            topologySpreadConstraints: [{ maxSkew: 1, topologyKey: 'kubernetes.io/hostname', whenUnsatisfiable: 'ScheduleAnyway', labelSelector: { matchLabels: labels } }],
            containers: [{
              name: 'vouch', image: o.image, args,
              env: [{ name: 'HOME', value: '/var/lib/vouch' }, { name: 'DOCKER_CONFIG', value: '/var/lib/vouch/docker' }],
              ports: [{ name: 'https', containerPort: PORT }],
              readinessProbe: probe('/readyz'), livenessProbe: probe('/healthz'),
              resources: { requests: { cpu: '100m', memory: '128Mi' }, limits: { memory: '512Mi' } },
              securityContext: { allowPrivilegeEscalation: false, readOnlyRootFilesystem: true, capabilities: { drop: ['ALL'] } },
              volumeMounts: mounts,
            }],
            volumes,
          },
        },
      },
    },
    {
      apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns, labels },
      spec: { selector: labels, ports: [{ name: 'https', port: 443, targetPort: PORT }] },
    },
    {
      apiVersion: 'policy/v1', kind: 'PodDisruptionBudget', metadata: { name, namespace: ns, labels },
      spec: { minAvailable: 1, selector: { matchLabels: labels } },
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'MutatingWebhookConfiguration', metadata: { name, labels },
      webhooks: [webhook('/mutate', `pin.${name}.vouch.dev`)],
    },
    {
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: { name, labels },
      webhooks: [webhook('/validate', `verify.${name}.vouch.dev`)],
    },
  );
  return objects;
}

/** The objects as one YAML stream. */
export function manifestsYaml(objects: readonly Record<string, unknown>[]): string {
  return objects.map((o) => `---\n${stringify(o, { lineWidth: 0, aliasDuplicateObjects: false })}`).join('');
}
