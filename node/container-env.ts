import type { Container, Pod } from '../controller/api/index.js';

/** Expands `$(VAR)` from `vars` as the kubelet does; `$$(VAR)` escapes; unknown references stay as written. */
export function expandVars(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name: string | undefined) => (m === '$$' ? '$' : name !== undefined && name in vars ? vars[name]! : m));
}

/**
 * A container's environment: service variables first, then the container's `env` in order
 * (each may refer to earlier ones with `$(VAR)`), with `fieldRef`s resolved from the pod.
 * Config map and secret references are not supported (there are no such kinds here): they
 * resolve to an empty value, or are left out when `optional`.
 */
export function containerEnv(pod: Pod, c: Container, serviceVars: Record<string, string>, ctx: { podIp: string; hostIp: string; nodeName: string }): Record<string, string> {
  const env: Record<string, string> = {
    PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
    HOSTNAME: pod.spec.hostname ?? pod.metadata.name ?? '',
    ...serviceVars,
  };
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata.name,
    'metadata.namespace': pod.metadata.namespace,
    'metadata.uid': pod.metadata.uid,
    'spec.nodeName': ctx.nodeName,
    'spec.serviceAccountName': pod.spec.serviceAccountName,
    'status.podIP': ctx.podIp,
    'status.podIPs': ctx.podIp,
    'status.hostIP': ctx.hostIp,
    'status.hostIPs': ctx.hostIp,
  };
  for (const e of c.env ?? []) {
    if (e.value !== undefined) env[e.name] = expandVars(e.value, env);
    else if (e.valueFrom?.fieldRef) {
      const path = e.valueFrom.fieldRef.fieldPath;
      const m = /^metadata\.(labels|annotations)\['(.+)'\]$/.exec(path);
      env[e.name] = m ? (pod.metadata[m[1] as 'labels' | 'annotations']?.[m[2]!] ?? '') : (fields[path] ?? '');
    } else if (!(e.valueFrom?.configMapKeyRef?.optional || e.valueFrom?.secretKeyRef?.optional)) env[e.name] = '';
  }
  return env;
}

/** The argv of a container: `command` + `args` with `$(VAR)` expanded; undefined when there is no command (images are not pulled, so there is no entrypoint to fall back on). */
export function containerArgv(c: Container, env: Record<string, string>): string[] | undefined {
  const argv = [...(c.command ?? []), ...(c.args ?? [])].map((a) => expandVars(a, env));
  return c.command?.length ? argv : undefined;
}
