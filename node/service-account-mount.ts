/**
 * Service-account tokens for pods, as the kubelet's projected token volume: the agent asks the
 * TokenRequest endpoint for a token bound to the pod (the node role may ask only for pods bound
 * to it), writes `token`, `ca.crt` and `namespace` into `/etc/netns/<pod-netns>/sextant-serviceaccount/`
 * and renews the token at 80 % of its lifetime (atomic rename inside the directory).
 *
 * How the pod sees it at the usual path: pods are host processes started by `ip netns exec`,
 * which gives each a private mount namespace and bind-mounts every `/etc/netns/<ns>/<entry>` over
 * `/etc/<entry>`. So the host carries, once, an empty mount point `/etc/sextant-serviceaccount`
 * and a symlink `/run/secrets/kubernetes.io/serviceaccount` → `/etc/sextant-serviceaccount`
 * (`/var/run` is `/run`). In a pod the symlink leads to that pod's own directory; on the host it
 * leads to the empty directory. The agent never replaces a `/run/secrets/...` path it did not
 * make (e.g. the host itself is a Kubernetes pod): it logs that pods will not get the usual path.
 * Both host paths are reference-counted machine-wide and removed when the last agent and the
 * last pod using them are gone: service-account-host-paths.ts.
 */
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { ApiClient, Pod } from '../controller/api/index.js';
import type { Logger } from '../daemon/logger.js';
import { NodeAgentError } from './errors.js';
import { SERVICE_ACCOUNT_HOST_PATHS } from './service-account-host-paths.js';

const TOKEN_SECONDS = 3600;

/** The pod's service-account directory on the host. */
export const podServiceAccountDir = (netns: string): string => join(SERVICE_ACCOUNT_HOST_PATHS.podFilesDir, netns, SERVICE_ACCOUNT_HOST_PATHS.podEntry);

const tokenRequestAnswer = z.object({ status: z.object({ token: z.string().min(1), expirationTimestamp: z.string() }) });

/** The service account a pod runs as, or undefined when it asks for no token. */
export function podServiceAccount(pod: Pod): string | undefined {
  if (pod.spec.automountServiceAccountToken === false) return undefined;
  return pod.spec.serviceAccountName || pod.spec.serviceAccount || 'default';
}

function writeAtomic(dir: string, name: string, text: string): void {
  const tmp = join(dir, `.${name}.tmp`);
  writeFileSync(tmp, text, { mode: 0o600 });
  renameSync(tmp, join(dir, name));
}

/**
 * Keeps each running pod's token directory filled and fresh. `caPem` is the cluster CA the agent
 * itself trusts (from its kubeconfig); without one no `ca.crt` is written.
 */
export class ServiceAccountMounts {
  private readonly timers = new Map<string, NodeJS.Timeout>();

  constructor(
    private readonly client: ApiClient,
    private readonly caPem: string | undefined,
    private readonly log: Logger,
    private readonly dirOf: (netns: string) => string = podServiceAccountDir,
  ) {}

  /** Requests a token for the pod and writes its directory; throws (the sandbox is retried) when the API refuses. */
  async ensure(pod: Pod, netns: string): Promise<void> {
    const dir = this.dirOf(netns);
    const sa = podServiceAccount(pod);
    if (sa === undefined) {
      this.forget(netns);
      rmSync(dir, { recursive: true, force: true });
      return;
    }
    const ns = pod.metadata.namespace ?? 'default';
    let answer: unknown;
    try {
      answer = await this.client.request('POST', `/api/v1/namespaces/${encodeURIComponent(ns)}/serviceaccounts/${encodeURIComponent(sa)}/token`, {
        body: {
          apiVersion: 'authentication.k8s.io/v1',
          kind: 'TokenRequest',
          spec: { expirationSeconds: TOKEN_SECONDS, boundObjectRef: { kind: 'Pod', apiVersion: 'v1', name: pod.metadata.name ?? '', ...(pod.metadata.uid ? { uid: pod.metadata.uid } : {}) } },
        },
      });
    } catch (err) {
      throw new NodeAgentError('NODE_SERVICE_ACCOUNT', `service-account token for pod ${ns}/${pod.metadata.name ?? ''}: ${(err as Error).message}`);
    }
    const parsed = tokenRequestAnswer.safeParse(answer);
    if (!parsed.success) throw new NodeAgentError('NODE_SERVICE_ACCOUNT', `service-account token for pod ${ns}/${pod.metadata.name ?? ''}: status.token: missing in the TokenRequest answer`);
    if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeAtomic(dir, 'namespace', ns);
    if (this.caPem) writeAtomic(dir, 'ca.crt', this.caPem);
    writeAtomic(dir, 'token', parsed.data.status.token);
    const lifetimeMs = Date.parse(parsed.data.status.expirationTimestamp) - Date.now();
    this.schedule(pod, netns, Number.isFinite(lifetimeMs) ? Math.max(lifetimeMs * 0.8, 10_000) : TOKEN_SECONDS * 800);
  }

  private schedule(pod: Pod, netns: string, ms: number): void {
    this.forget(netns);
    const t = setTimeout(() => {
      this.timers.delete(netns);
      this.ensure(pod, netns).catch((err: Error) => {
        this.log.warn('service-account token renewal failed; retrying', { pod: `${pod.metadata.namespace ?? 'default'}/${pod.metadata.name ?? ''}`, error: err.message });
        this.schedule(pod, netns, 10_000);
      });
    }, ms);
    t.unref();
    this.timers.set(netns, t);
  }

  /** Stops renewing a pod's token (the directory goes with the pod's /etc/netns files). */
  forget(netns: string): void {
    const t = this.timers.get(netns);
    if (t) clearTimeout(t);
    this.timers.delete(netns);
  }

  /** Stops every renewal (agent shutdown). */
  stop(): void {
    for (const t of this.timers.values()) clearTimeout(t);
    this.timers.clear();
  }
}
