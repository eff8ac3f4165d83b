/**
 * Starting the control loops: `startControllers` runs the enabled controllers against any
 * Kubernetes API (through ApiClient and shared informers only), and `attachControllers` is what
 * `sextant server` calls — it also builds the ClusterIP/NodePort admission over the server's
 * store (rebuilt from stored Services before the server takes requests).
 */
import type { Logger } from 'winston';
import { ApiClient, type ApiClientOptions } from '../api/client.js';
import { createInformer } from '../api/informer.js';
import type { AdmissionHook } from '../server/admission.js';
import type { Store } from '../store/store.js';
import { createServiceAllocationAdmission, type ServiceAllocationAdmission } from './allocators/admission.js';
import type { RepairReport } from './allocators/service-allocator.js';
import { KINDS } from '../api/index.js';
import type { AllocationClaims } from './allocators/store-claims.js';
import { IpAllocator } from './allocators/ip-allocator.js';
import { startDeploymentController } from './deployment/controller.js';
import { startEndpointSliceController } from './endpointslice/controller.js';
import { enabledControllers, type ControllerName, type ControllerTransport } from './flags.js';
import { startGarbageCollector } from './gc/controller.js';
import { startNodeIpamController } from './ipam/controller.js';
import { parseAdvertised } from './kubernetes-service/desired.js';
import { startKubernetesServiceController } from './kubernetes-service/controller.js';
import { startNodeLifecycleController } from './nodelifecycle/controller.js';
import { startReplicaSetController } from './replicaset/controller.js';
import { realClock, type Clock } from './runtime/clock.js';
import type { ControllerContext, StartedController } from './runtime/context.js';
import { createEventRecorder } from './runtime/events.js';
import { SharedInformers } from './runtime/informers.js';
import { startScheduler } from './scheduler/controller.js';
import { startControllerWorker } from './worker-host.js';

export interface ControllersOptions {
  enabled?: ReadonlySet<ControllerName>;
  serviceCIDR?: string;
  clusterCIDR?: string;
  nodeCIDRMaskSize?: number;
  nodeGracePeriodMs?: number;
  /** `HOST:PORT` of the API server for `default/kubernetes`; that controller is off without it. */
  advertiseAddress?: string;
  log: Pick<Logger, 'info' | 'warn' | 'debug' | 'error'>;
  clock?: Clock;
  endpointSliceWorkers?: number;
}

export interface RunningControllers {
  readonly controllers: StartedController[];
  readonly informers: SharedInformers;
  /** Resolves once every informer has listed and every queue is empty (tests, benchmarks). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

/** Starts the enabled controllers against the API `client` talks to. */
export async function startControllers(client: ApiClient, opts: ControllersOptions): Promise<RunningControllers> {
  const on = opts.enabled ?? enabledControllers('*');
  const clock = opts.clock ?? realClock;
  const informers = new SharedInformers((kind) => createInformer(client, kind, { onError: (err) => opts.log.debug(`informer ${kind.resource}: ${err.message}`) }));
  const ctx: ControllerContext = {
    client,
    informers,
    clock,
    log: opts.log,
    events: (component) => createEventRecorder(client, component, clock, (err) => opts.log.debug(`event not recorded: ${err.message}`)),
  };
  const started: StartedController[] = [];
  if (on.has('endpointslice')) started.push(startEndpointSliceController(ctx, opts.endpointSliceWorkers ? { workers: opts.endpointSliceWorkers } : {}));
  if (on.has('node-ipam')) started.push(startNodeIpamController(ctx, { ...(opts.clusterCIDR ? { clusterCIDR: opts.clusterCIDR } : {}), ...(opts.nodeCIDRMaskSize ? { nodeCIDRMaskSize: opts.nodeCIDRMaskSize } : {}) }));
  if (on.has('deployment')) started.push(startDeploymentController(ctx));
  if (on.has('replicaset')) started.push(startReplicaSetController(ctx));
  if (on.has('garbage-collector')) started.push(startGarbageCollector(ctx));
  if (on.has('scheduler')) started.push(startScheduler(ctx));
  if (on.has('node-lifecycle')) started.push(startNodeLifecycleController(ctx, opts.nodeGracePeriodMs ? { gracePeriodMs: opts.nodeGracePeriodMs } : {}));
  if (on.has('kubernetes-service') && opts.advertiseAddress) {
    const clusterIP = new IpAllocator(opts.serviceCIDR ?? '10.96.0.0/12').firstAddress();
    started.push(startKubernetesServiceController(ctx, { clusterIP, endpoint: parseAdvertised(opts.advertiseAddress) }));
  }
  informers.start();
  opts.log.info('controllers started', { controllers: started.map((c) => c.name) });
  return {
    controllers: started,
    informers,
    idle: async () => {
      await informers.synced();
      for (let i = 0; i < 3; i++) await Promise.all(started.map((c) => c.idle()));
    },
    stop: async () => {
      informers.stop();
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}

/** The flags of `controllerFlags`, parsed (camel-cased as daemon/flags does). */
export interface ControllerFlagValues {
  controllers: string;
  serviceClusterIpRange: string;
  serviceNodePortRange: string;
  clusterCidr: string;
  nodeCidrMaskSize: number;
  nodeMonitorGracePeriod: number;
  /** Services the EndpointSlice controller syncs at once (default DEFAULT_ENDPOINTSLICE_WORKERS). */
  concurrentServiceEndpointSyncs?: number;
  /** `worker`: the loops run in a worker thread, their requests answered through `client.transport`. */
  controllersTransport?: ControllerTransport;
}

export interface AttachedControllers {
  /** Admission hooks to hand to the API server (ClusterIP/NodePort allocation). */
  readonly admission: AdmissionHook[];
  /** Starts the control loops once the server listens at `url` (`client`: CA and credentials for it). */
  start(url: string, advertiseAddress: string, client?: Partial<ApiClientOptions>): Promise<void>;
  stop(): Promise<void>;
  /** Stops only the control loops (leadership lost); `start` may run them again. */
  stopLoops(): Promise<void>;
}

/**
 * Tells users (`kubectl describe svc`) about what the start-up repair found, as Kubernetes'
 * repair loops do: a value two services claim, or a value outside the configured range.
 */
function recordRepairEvents(client: ApiClient, report: RepairReport, log: Logger): void {
  const events = createEventRecorder(client, 'ipallocator-repair-controller', realClock, (err) => log.debug(`event not recorded: ${err.message}`));
  const isIp = (v: string) => v.includes('.') || v.includes(':');
  const on = (owner: string, reason: string, message: string) => {
    const [namespace, name] = owner.split('/');
    if (!namespace || !name) return;
    void client
      .get(KINDS.Service, namespace, name)
      .then((svc) => events.warning({ ...svc, kind: 'Service', apiVersion: 'v1' }, reason, message))
      .catch(() => undefined);
  };
  for (const d of report.duplicates) {
    on(d.duplicate, isIp(d.value) ? 'ClusterIPAlreadyAllocated' : 'PortAlreadyAllocated', `${isIp(d.value) ? 'Cluster IP' : 'Port'} ${d.value} was assigned to multiple services; please recreate service (also held by ${d.owner})`);
  }
  for (const o of report.outOfRange) {
    on(o.owner, isIp(o.value) ? 'ClusterIPOutOfRange' : 'PortOutOfRange', `${isIp(o.value) ? 'Cluster IP' : 'Port'} ${o.value} is not within the configured range; please recreate service`);
  }
}

/** For `sextant server`: call before starting the API server, then `start` once it listens. */
export async function attachControllers(store: Store, flags: ControllerFlagValues, log: Logger, claims?: AllocationClaims): Promise<AttachedControllers> {
  const on = enabledControllers(flags.controllers);
  let allocation: ServiceAllocationAdmission | undefined;
  let repair: RepairReport | undefined;
  if (on.has('service-allocation')) {
    allocation = createServiceAllocationAdmission({
      store,
      serviceCIDR: flags.serviceClusterIpRange,
      nodePortRange: flags.serviceNodePortRange,
      ...(claims ? { claims } : {}),
      onRepairProblem: (m) => log.warn(`service allocation repair: ${m}`),
    });
    const report = await allocation.start();
    repair = report;
    log.info('service allocations rebuilt', { ips: allocation.allocator.ips.allocated().size, nodePorts: allocation.allocator.ports.allocated().size, duplicates: report.duplicates.length });
  }
  let running: { stop(): Promise<void> } | undefined;
  let client: ApiClient | undefined;
  return {
    admission: allocation ? [allocation.hook] : [],
    async start(url, advertiseAddress, clientOptions = {}) {
      client = new ApiClient({ ...clientOptions, server: url, userAgent: 'sextant-controllers' });
      const options = {
        serviceCIDR: flags.serviceClusterIpRange,
        clusterCIDR: flags.clusterCidr,
        nodeCIDRMaskSize: flags.nodeCidrMaskSize,
        nodeGracePeriodMs: flags.nodeMonitorGracePeriod,
        advertiseAddress,
        ...(flags.concurrentServiceEndpointSyncs ? { endpointSliceWorkers: flags.concurrentServiceEndpointSyncs } : {}),
      };
      const loops = [...on].filter((n) => n !== 'service-allocation');
      if (loops.length === 0) {
        // only admission (service-allocation) is on: no control loop, so no worker thread to start
        running = undefined;
      } else if (flags.controllersTransport === 'worker') {
        if (!clientOptions.transport) throw new Error('controllers: the worker transport needs the server\'s in-process transport');
        running = await startControllerWorker(clientOptions.transport, { ...options, enabled: loops }, log);
      } else {
        running = await startControllers(client, { ...options, enabled: on, log });
      }
      if (repair) {
        recordRepairEvents(client, repair, log);
        repair = undefined;
      }
    },
    async stopLoops() {
      await running?.stop();
      running = undefined;
      client?.close();
    },
    async stop() {
      await running?.stop();
      allocation?.stop();
      client?.close();
    },
  };
}
