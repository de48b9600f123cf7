// Setup file of the unit tier: a unit test that opens a socket or starts a
// server fails at once, naming the tier it belongs in, instead of passing only
// on machines where that server happens to run.
import { Server, Socket } from 'node:net';

function refuse(what: string) {
  return (): never => {
    throw new Error(
      `a unit test ${what}: it belongs in the integration tier (vitest.config.ts, name it *.integration.test.ts)`,
    );
  };
}

Socket.prototype.connect = refuse('opened a socket') as typeof Socket.prototype.connect;
Server.prototype.listen = refuse('started a server') as typeof Server.prototype.listen;
