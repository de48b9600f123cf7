// Loopback ports for the servers tests and the benchmark start.
import { connect, createServer } from 'node:net';

/** Asks the kernel for a free loopback port; another process may still take it before we bind. */
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => (port ? resolve(port) : reject(new Error('could not get a free port'))));
    });
  });
}

/** Whether something accepts a TCP connection on 127.0.0.1:port; a silent port counts as closed after timeoutMs. */
export function portAccepts(port, timeoutMs = 1_000) {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.setTimeout(timeoutMs, () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
