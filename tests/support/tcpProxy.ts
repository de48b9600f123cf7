import { connect, createServer, type Server, type Socket } from 'node:net';

export type ProxyMode =
  /** Bytes flow both ways. */
  | 'pass'
  /** Connections stay open (and new ones are accepted) but no byte crosses: a silent black hole. */
  | 'blackhole';

export interface TcpProxy {
  port: number;
  mode: ProxyMode;
  /** Resets every open connection (RST), as a router or a restarted firewall would. */
  resetAll(): void;
  /** Delay before server → client bytes are forwarded (a very slow server). */
  delayMs: number;
  /**
   * Called with each chunk the client sends; returning 'drop-after-reply' closes
   * the client connection as soon as the server answers that chunk, without
   * passing the answer on (an SMTP server that took the DATA, then vanished).
   */
  inspectClient: ((chunk: Buffer) => 'forward' | 'drop-after-reply') | null;
  connections(): number;
  stop(): Promise<void>;
}

/** A small TCP proxy of the test's own, on loopback, in front of a real server. */
export async function startTcpProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<TcpProxy> {
  const open = new Set<Socket>();
  const proxy: TcpProxy = {
    port: 0,
    mode: 'pass',
    delayMs: 0,
    inspectClient: null,
    resetAll() {
      for (const s of open) s.resetAndDestroy();
    },
    connections: () => open.size / 2,
    stop: async () => {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    let dropOnReply = false;
    const forget = () => {
      open.delete(client);
      open.delete(upstream);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', forget);
    upstream.on('error', forget);
    client.on('close', forget);
    upstream.on('close', forget);
    client.on('data', (chunk: Buffer) => {
      if (proxy.mode === 'blackhole') return;
      if (proxy.inspectClient?.(chunk) === 'drop-after-reply') dropOnReply = true;
      upstream.write(chunk);
    });
    upstream.on('data', (chunk: Buffer) => {
      if (proxy.mode === 'blackhole') return;
      if (dropOnReply) {
        forget();
        return;
      }
      if (proxy.delayMs > 0) setTimeout(() => client.writable && client.write(chunk), proxy.delayMs);
      else client.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  proxy.port = typeof address === 'object' && address ? address.port : 0;
  return proxy;
}
