import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resolveRequest } from './request-info.js';

const cases: { name: string; method: string; url: string; want: unknown }[] = [
  { name: 'api root', method: 'GET', url: '/api', want: { kind: 'discovery-root', root: 'api' } },
  { name: 'apis group', method: 'GET', url: '/apis/apps', want: { kind: 'discovery-group', group: 'apps' } },
  { name: 'core version', method: 'GET', url: '/api/v1', want: { kind: 'discovery-version', group: '', version: 'v1' } },
  { name: 'all-namespace list', method: 'GET', url: '/api/v1/pods?limit=500', want: { kind: 'resource', verb: 'list', group: '', version: 'v1', resource: 'pods' } },
  { name: 'namespaced watch', method: 'GET', url: '/api/v1/namespaces/default/pods?watch=true', want: { kind: 'resource', verb: 'watch', group: '', version: 'v1', resource: 'pods', namespace: 'default' } },
  { name: 'legacy watch prefix', method: 'GET', url: '/api/v1/watch/namespaces/default/pods/p', want: { kind: 'resource', verb: 'watch', group: '', version: 'v1', resource: 'pods', namespace: 'default', name: 'p' } },
  { name: 'namespace object', method: 'GET', url: '/api/v1/namespaces/kube-system', want: { kind: 'resource', verb: 'get', group: '', version: 'v1', resource: 'namespaces', name: 'kube-system' } },
  { name: 'namespace status', method: 'PUT', url: '/api/v1/namespaces/x/status', want: { kind: 'resource', verb: 'update', group: '', version: 'v1', resource: 'namespaces', name: 'x', subresource: 'status' } },
  { name: 'namespaced collection in ns', method: 'POST', url: '/api/v1/namespaces/x/services', want: { kind: 'resource', verb: 'create', group: '', version: 'v1', resource: 'services', namespace: 'x' } },
  { name: 'scale subresource', method: 'PATCH', url: '/apis/apps/v1/namespaces/default/deployments/d/scale', want: { kind: 'resource', verb: 'patch', group: 'apps', version: 'v1', resource: 'deployments', namespace: 'default', name: 'd', subresource: 'scale' } },
  { name: 'delete collection', method: 'DELETE', url: '/api/v1/namespaces/default/pods', want: { kind: 'resource', verb: 'deletecollection', group: '', version: 'v1', resource: 'pods', namespace: 'default' } },
  { name: 'not an api path', method: 'GET', url: '/healthz', want: { kind: 'other', path: '/healthz' } },
  { name: 'too deep', method: 'GET', url: '/api/v1/namespaces/a/pods/b/log/extra', want: { kind: 'other', path: '/api/v1/namespaces/a/pods/b/log/extra' } },
];

for (const c of cases) {
  test(`resolveRequest: ${c.name}`, () => {
    const u = new URL(c.url, 'http://x');
    assert.deepEqual(resolveRequest(c.method, u.pathname, u.searchParams), c.want);
  });
}
