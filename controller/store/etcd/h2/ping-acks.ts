/**
 * PING acknowledgements, held for a few milliseconds and then written together.
 *
 * RFC 9113 §6.7 requires an ACK carrying the same payload for every PING. It only recommends
 * ("SHOULD") answering ahead of other frames. etcd's gRPC server (grpc-go) sends a
 * bandwidth-estimation PING, together with a connection WINDOW_UPDATE, for the first DATA frame it
 * receives after its previous PING was acknowledged. With immediate acks, about every second unary
 * call therefore cost one more write on each side and one more wake-up of each process: 0.43-0.45
 * PINGs per Txn in bench ha's store-only storm.
 *
 * When acks wait `delayMs`, such PINGs come at most about once per `delayMs`: 0.05 per Txn at
 * 10 ms. In the store-only storm (old and new alternated) the client's CPU per create fell by
 * about 0.02 ms; the members' change stayed within noise. The cost is that grpc-go measures a
 * longer round trip and keeps its receive windows at their defaults. That matters only for large
 * requests, and the store sends small ones. etcd's keepalive PINGs wait 20 s for an answer, so
 * 10 ms does not matter to them.
 */
import { FLAG_ACK, PING, frame } from './frames.js';

export class PingAcks {
  private pending: Buffer[] = [];
  private timer: NodeJS.Timeout | undefined;
  private closed = false;

  constructor(
    /** Writes the ACK frames (one buffer for all acks that were waiting). */
    private readonly write: (frames: Buffer) => void,
    private readonly delayMs: number,
  ) {}

  /** A PING arrived: its ACK (same payload) is written within `delayMs`. */
  add(payload: Buffer): void {
    if (this.closed) return;
    const ack = frame(PING, FLAG_ACK, 0, payload);
    if (this.delayMs <= 0) {
      this.write(ack);
      return;
    }
    this.pending.push(ack);
    if (this.timer === undefined) {
      this.timer = setTimeout(() => this.flush(), this.delayMs);
      // A connection's pending ack never keeps the process alive on its own.
      this.timer.unref();
    }
  }

  /** Writes every ACK that is waiting. */
  flush(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    const acks = this.pending;
    if (acks.length === 0 || this.closed) return;
    this.pending = [];
    this.write(acks.length === 1 ? acks[0]! : Buffer.concat(acks));
  }

  /** The connection is gone: nothing more is written. */
  close(): void {
    this.closed = true;
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
  }
}
