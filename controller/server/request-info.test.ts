import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requestTarget, resolveRequest } from './request-info.js';

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

test('requestTarget reads a path as the URL parser does, with and without the parser', () => {
  const urls = [
    '/api/v1/namespaces/default/pods',
    '/apis/discovery.k8s.io/v1/endpointslices',
    '/api/v1/namespaces/default/pods/web/status',
    '/api/v1/namespaces/default/pods?watch=true&resourceVersion=5',
    '/api/v1/namespaces/a%2Fb/pods',
    '/api/v1/../v1/pods',
    '/api/./v1/pods',
    '/api/v1/pods/..',
    '//evil/api/v1/pods',
    '/api\\v1/pods',
    '/api/v1/pods#frag',
    '/api/v1/namespaces/x:y/pods/a@b',
    '/api/v1/pods/a b',
    '/',
  ];
  for (const raw of urls) {
    const t = requestTarget({ method: 'GET', url: raw });
    const u = new URL(raw, 'http://localhost');
    assert.equal(t.url.pathname, u.pathname, raw);
    assert.deepEqual([...t.url.searchParams], [...u.searchParams], raw);
  }
});
