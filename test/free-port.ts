/**
 * Loopback ports for test servers that must keep their port across a restart (an API server a
 * daemon under test keeps reconnecting to, etcd members stopped and started again).
 */
import net from 'node:net';

/** Whether a loopback TCP port can be bound now. */
function canBind(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.createServer();
    s.once('error', () => resolve(false));
    s.listen(port, '127.0.0.1', () => s.close(() => resolve(true)));
  });
}

/**
 * Ports come from a block of 12 picked by this process's PID in 20000-31999 (below Linux's
 * ephemeral range, so `listen(0)` elsewhere never hands them out), each checked free by binding.
 * With ports from the OS's ephemeral range, two test files starting clusters at the same moment
 * could both be handed a port freed a moment before, and one cluster's member then answered
 * /health and /metrics for the other's; and a server restarted on its old ephemeral port can
 * find it taken by some process's outgoing connection (EADDRINUSE).
 */
let nextPort = 20000 + (process.pid % 1000) * 12;

/** A free loopback TCP port (tiny race until the server binds it, only with something else binding it meanwhile). */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = nextPort;
    nextPort = nextPort >= 31999 ? 20000 : nextPort + 1;
    if (await canBind(port)) return port;
  }
}
