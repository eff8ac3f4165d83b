/**
 * The store's unary etcd calls (Range, Txn, Compact) over our own HTTP/2 client (etcd-grpc-member.ts), with
 * member choice and fail-over:
 *
 * - Calls go to one member at a time, by default the raft **leader** (found with Maintenance/Status
 *   on every member): a write sent to a follower is forwarded to the leader (one more hop, more
 *   etcd CPU per write) and a linearizable read on a follower asks the leader for a read index.
 *   The leader is looked up again when a response header shows a new raft term, when the member
 *   in use fails, and every `rediscoverMs`.
 * - When the member in use does not answer (connection refused or lost) or etcd answers
 *   UNAVAILABLE (no leader, leader changed), the call is made again on the next member, reads and
 *   writes alike (as etcd3's retry policy did), every attempt sharing the one request deadline.
 *   A write repeated after an attempt that may have reached a member is marked `ambiguous`: the
 *   first attempt may have been applied, so a failed compare can be this very write (the store
 *   checks that for creates). All of Sextant's writes are guarded transactions, so a repeat never
 *   applies twice what a compare forbids.
 */
import {
  decodeHeaderOnly,
  decodeRangeResponse,
  decodeStatusResponse,
  decodeTxnResponse,
  encodeCompactionRequest,
  encodeRangeRequest,
  encodeTxnRequest,
  type RangeRequest,
  type RangeResponse,
  type ResponseHeader,
  type TxnRequest,
  type TxnResponse,
} from './etcd-proto.js';
import { EtcdRpcError, GRPC_PREFIX, GrpcMember, type MemberTls } from './etcd-grpc-member.js';

export interface EtcdKvOptions {
  endpoints: string[];
  tls?: MemberTls;
  /** The member to use while it answers; undefined: the raft leader. */
  preferred?: string;
  rediscoverMs?: number;
  /** How long calls wait for a new leader after the leader's member stopped answering (default 3 s). */
  leaderWaitMs?: number;
}

const UNAVAILABLE = 14;
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export class EtcdKvClient {
  private readonly members: GrpcMember[];
  /** Index of the member calls go to. */
  private current = 0;
  /** The member given as `preferred` (calls return to it `retryAfterMs` after it failed). */
  private readonly preferredIndex: number | undefined;
  private failedAt = 0;
  private term = 0;
  /** The raft leader's member id as last reported by Status. */
  private leader: bigint | undefined;
  /** Member id of each member, learnt from its Status answers. */
  private readonly ids: (bigint | undefined)[];
  /** The leader whose member stopped answering, until another leads or it answers again. */
  private lostLeader: bigint | undefined;
  private lostLeaderAt = 0;
  private discovering: Promise<void> | undefined;
  private lastDiscovery = 0;
  private readonly rediscoverMs: number;
  private readonly leaderWaitMs: number;
  private readonly retryAfterMs = 5000;
  private closed = false;

  constructor(opts: EtcdKvOptions) {
    this.members = opts.endpoints.map((u) => new GrpcMember(u, opts.tls));
    this.ids = opts.endpoints.map(() => undefined);
    this.rediscoverMs = opts.rediscoverMs ?? 10_000;
    this.leaderWaitMs = opts.leaderWaitMs ?? 3000;
    if (opts.preferred !== undefined) {
      this.preferredIndex = Math.max(0, opts.endpoints.indexOf(opts.preferred));
      this.current = this.preferredIndex;
    }
    if (this.members.length > 1) this.rediscover();
  }

  /** The URL calls currently go to. */
  get memberInUse(): string {
    return this.members[this.current]!.url;
  }

  range(req: RangeRequest, timeoutMs: number): Promise<RangeResponse> {
    return this.call('/etcdserverpb.KV/Range', encodeRangeRequest(req, GRPC_PREFIX), timeoutMs, decodeRangeResponse);
  }

  /** The response; `ambiguous` when an earlier attempt of this write may have been applied. */
  async txn(req: TxnRequest, timeoutMs: number): Promise<TxnResponse & { ambiguous: boolean }> {
    const attempts = { maybeApplied: false };
    const res = await this.call('/etcdserverpb.KV/Txn', encodeTxnRequest(req, GRPC_PREFIX), timeoutMs, decodeTxnResponse, attempts);
    return Object.assign(res, { ambiguous: attempts.maybeApplied });
  }

  compact(revision: number, physical: boolean, timeoutMs: number): Promise<ResponseHeader> {
    return this.call('/etcdserverpb.KV/Compact', encodeCompactionRequest(revision, physical, GRPC_PREFIX), timeoutMs, decodeHeaderOnly);
  }

  close(): void {
    this.closed = true;
    for (const m of this.members) m.close();
  }

  /** `framed`: the request message after GRPC_PREFIX free bytes (sent again as is on a retry). */
  private async call<T extends { header: ResponseHeader } | ResponseHeader>(
    path: string,
    framed: Buffer,
    timeoutMs: number,
    decode: (b: Buffer) => T,
    attempts = { maybeApplied: false },
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let tried = 0;
    for (;;) {
      if (this.closed) throw new EtcdRpcError('etcd client closed', -1, false);
      if (this.lostLeader !== undefined) await this.waitForLeader(deadline);
      const index = this.current;
      const member = this.members[index]!;
      try {
        const res = decode(await member.call(path, framed, Math.max(1, deadline - Date.now())));
        this.noteTerm('header' in res ? res.header : res);
        return res;
      } catch (err) {
        if (!(err instanceof EtcdRpcError)) throw err;
        if (!err.unreachable && err.grpcCode !== UNAVAILABLE) throw err;
        this.failed(index, err.unreachable);
        if (err.sent) attempts.maybeApplied = true;
        tried++;
        if (Date.now() >= deadline - 1) throw err;
        // Every member tried once: wait a little (an election takes a few hundred ms).
        if (tried % this.members.length === 0) await sleep(Math.min(100, Math.max(0, deadline - Date.now() - 1)));
      }
    }
  }

  /**
   * The member at `index` failed: calls move on to the next one, and the leader is looked up.
   * When it was the leader's member and did not answer, calls wait (up to `leaderWaitMs` after
   * the failure) until the others report a new leader: until they notice, followers forward
   * proposals to the dead leader and etcd drops them only at its own request timeout (seconds).
   */
  private failed(index: number, unreachable: boolean): void {
    if (this.current === index && this.members.length > 1) {
      this.current = (index + 1) % this.members.length;
      this.failedAt = Date.now();
    }
    if (unreachable && this.leader !== undefined && this.ids[index] === this.leader && this.lostLeader === undefined) {
      this.lostLeader = this.leader;
      this.lostLeaderAt = Date.now();
    }
    this.rediscover(true);
  }

  private async waitForLeader(deadline: number): Promise<void> {
    const until = Math.min(deadline - 1, this.lostLeaderAt + this.leaderWaitMs);
    while (this.lostLeader !== undefined && !this.closed && Date.now() < until) {
      this.rediscover(true);
      await this.discovering;
      if (this.lostLeader === undefined) return;
      await sleep(Math.min(50, Math.max(0, until - Date.now())));
    }
    // Waited long enough: carry on with whatever member answers.
    if (Date.now() >= this.lostLeaderAt + this.leaderWaitMs) this.lostLeader = undefined;
  }

  private noteTerm(h: ResponseHeader): void {
    if (this.members.length === 1) return;
    if (h.raftTerm > this.term) {
      const first = this.term === 0;
      this.term = h.raftTerm;
      if (!first) this.rediscover(true);
    } else if (Date.now() - this.lastDiscovery > this.rediscoverMs) this.rediscover();
    if (this.preferredIndex !== undefined && this.current !== this.preferredIndex && Date.now() - this.failedAt > this.retryAfterMs) {
      this.current = this.preferredIndex;
    }
  }

  /** Asks every member for its status and moves to the leader's member (in the background). */
  private rediscover(force = false): void {
    if (this.discovering || this.closed) return;
    if (!force && Date.now() - this.lastDiscovery < this.rediscoverMs) return;
    this.lastDiscovery = Date.now();
    this.discovering = this.findLeader()
      .catch(() => undefined)
      .finally(() => {
        this.discovering = undefined;
      });
  }

  private async findLeader(): Promise<void> {
    const answers = await Promise.all(
      this.members.map((m) =>
        m.unary('/etcdserverpb.Maintenance/Status', Buffer.alloc(0), 1000).then(
          (b) => decodeStatusResponse(b),
          () => undefined,
        ),
      ),
    );
    if (this.closed) return;
    answers.forEach((a, i) => {
      if (a) this.ids[i] = a.header.memberId;
    });
    // Trust the newest term's view of who leads.
    let best: { leader: bigint; term: number } | undefined;
    for (const a of answers) if (a && a.leader !== 0n && (!best || a.header.raftTerm > best.term)) best = { leader: a.leader, term: a.header.raftTerm };
    if (!best) return;
    const at = answers.findIndex((a) => a?.header.memberId === best!.leader);
    // A new leader, or the lost one answering again (only our connection to it broke).
    if (this.lostLeader !== undefined && (best.leader !== this.lostLeader || at >= 0)) this.lostLeader = undefined;
    this.leader = best.leader;
    this.term = Math.max(this.term, best.term);
    if (at >= 0 && this.preferredIndex === undefined) this.current = at;
  }
}
