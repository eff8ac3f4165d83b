/**
 * Keeps `default/kubernetes` (Service, EndpointSlice, Endpoints) present and pointing at the
 * API server; re-checks every 10 s and whenever one of them changes.
 */
import type { EndpointSlice, Endpoints, Service } from '../../api/index.js';
import { KINDS, isApiError } from '../../api/index.js';
import { runController } from '../runtime/controller.js';
import type { ControllerContext, StartedController } from '../runtime/context.js';
import { kubernetesEndpointSlice, kubernetesEndpoints, kubernetesService, type ApiEndpoint } from './desired.js';

const KEY = 'default/kubernetes';

export function startKubernetesServiceController(ctx: ControllerContext, opts: { clusterIP: string; endpoint: ApiEndpoint }): StartedController {
  const services = ctx.informers.for(KINDS.Service);
  const slices = ctx.informers.for(KINDS.EndpointSlice);
  const endpoints = ctx.informers.for(KINDS.Endpoints);
  const ignoreExists = (err: unknown) => {
    if (!isApiError(err, 'AlreadyExists')) throw err;
  };
  const runner = runController({
    name: 'kubernetes-service',
    logger: ctx.log,
    clock: ctx.clock,
    sync: async () => {
      await services.synced();
      if (!services.get('default', 'kubernetes')) await ctx.client.create(KINDS.Service, kubernetesService(opts.clusterIP)).catch(ignoreExists);
      const wantSlice = kubernetesEndpointSlice(opts.endpoint);
      const slice = slices.get('default', 'kubernetes');
      if (!slice) await ctx.client.create(KINDS.EndpointSlice, wantSlice).catch(ignoreExists);
      else if (JSON.stringify([slice.endpoints, slice.ports]) !== JSON.stringify([wantSlice.endpoints, wantSlice.ports])) {
        await ctx.client.update<EndpointSlice>(KINDS.EndpointSlice, { ...slice, endpoints: wantSlice.endpoints, ports: wantSlice.ports });
      }
      const wantEp = kubernetesEndpoints(opts.endpoint);
      const ep = endpoints.get('default', 'kubernetes');
      if (!ep) await ctx.client.create(KINDS.Endpoints, wantEp).catch(ignoreExists);
      else if (JSON.stringify(ep.subsets) !== JSON.stringify(wantEp.subsets)) await ctx.client.update<Endpoints>(KINDS.Endpoints, { ...ep, subsets: wantEp.subsets });
      return { requeueAfterMs: 10_000 };
    },
  });
  const poke = (o: { metadata: { namespace?: string; name?: string } }) => {
    if (o.metadata.namespace === 'default' && o.metadata.name === 'kubernetes') runner.queue.add(KEY);
  };
  services.addHandlers({ onDelete: poke, onUpdate: (_o, n: Service) => poke(n) });
  slices.addHandlers({ onDelete: poke, onUpdate: (_o, n) => poke(n) });
  endpoints.addHandlers({ onDelete: poke, onUpdate: (_o, n) => poke(n) });
  runner.queue.add(KEY);
  return { name: runner.name, idle: () => runner.idle(), stop: () => runner.stop() };
}
