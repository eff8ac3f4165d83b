/**
 * errors: the chain's safety net. A plugin that throws (or rejects) turns into SERVFAIL for that
 * query and one error log line, instead of a dropped query or a crashed server.
 */
import type { Plugin, Reply } from '../../chain.js';
import { Rcode, replyTo } from '../../message.js';
import type { Logger } from '../../../daemon/logger.js';

export function errorsPlugin(log: Logger): Plugin {
  return {
    name: 'errors',
    handle(req, next) {
      const fail = (err: unknown): Reply => {
        log.error('plugin error', { qname: req.question.name, qtype: req.question.type, error: err instanceof Error ? err.message : String(err) });
        return { msg: replyTo(req.msg, Rcode.SERVFAIL) };
      };
      try {
        const r = next(req);
        return r instanceof Promise ? r.catch(fail) : r;
      } catch (err) {
        return fail(err);
      }
    },
  };
}
