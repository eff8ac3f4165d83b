/**
 * What every controller gets: the API client, shared informers, a clock, a logger and an event
 * recorder. Controllers use nothing else, so each could run against a real kube-apiserver.
 */
import type { Logger } from 'winston';
import type { ApiClient } from '../../api/client.js';
import type { Clock } from './clock.js';
import type { EventRecorder } from './events.js';
import type { SharedInformers } from './informers.js';

export interface ControllerContext {
  client: ApiClient;
  informers: SharedInformers;
  clock: Clock;
  log: Pick<Logger, 'info' | 'warn' | 'debug' | 'error'>;
  events(component: string): EventRecorder;
}

/** A started controller: its name, a way to wait until its queue drains, and stop. */
export interface StartedController {
  readonly name: string;
  idle(): Promise<void>;
  stop(): Promise<void>;
}
