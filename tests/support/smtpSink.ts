import type { Readable } from 'node:stream';
import { SMTPServer, type SMTPServerError } from 'smtp-server';

export interface SinkMessage {
  envelope: { from: string; to: string[] };
  raw: Buffer;
  receivedAt: number;
}

/** What the sink answers to one message: a 4xx/5xx code makes the sender see a failure. */
export interface SinkResponse {
  code: number;
  message: string;
}

export interface StartSmtpSinkOptions {
  port?: number;
  /** Called after the whole message is read; null (or a 2xx) accepts it. */
  respond?: (mail: SinkMessage) => SinkResponse | null;
  /** Bytes; bigger messages get 552 and are not recorded. */
  sizeLimit?: number;
}

export interface SmtpSink {
  host: string;
  port: number;
  /** Accepted messages, in arrival order. */
  messages: SinkMessage[];
  /** Messages that `respond` or the size limit refused. */
  rejected: SinkMessage[];
  /** Resolves once `count` messages were accepted; rejects after `timeoutMs`. */
  waitForMessages(count: number, timeoutMs?: number): Promise<SinkMessage[]>;
  stop(): Promise<void>;
}

const DEFAULT_SIZE_LIMIT = 25 * 1024 * 1024;

function readAll(stream: Readable): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => resolve(Buffer.concat(chunks)));
    stream.on('error', reject);
  });
}

function smtpError(response: SinkResponse): SMTPServerError {
  const error: SMTPServerError = new Error(response.message);
  error.responseCode = response.code;
  return error;
}

export async function startSmtpSink(options: StartSmtpSinkOptions = {}): Promise<SmtpSink> {
  const messages: SinkMessage[] = [];
  const rejected: SinkMessage[] = [];
  const waiters = new Set<() => void>();
  const sizeLimit = options.sizeLimit ?? DEFAULT_SIZE_LIMIT;

  const server = new SMTPServer({
    logger: false,
    authOptional: true,
    // Lets an app configured with SMTP credentials log in over plain loopback.
    allowInsecureAuth: true,
    disabledCommands: ['STARTTLS'],
    // No DNS here: a reverse lookup of 127.0.0.1 would only delay each greeting.
    disableReverseLookup: true,
    size: sizeLimit,
    // stop() waits this long for clients (e.g. an unclosed nodemailer pool) before
    // dropping them; the 30 s default would eat a whole test timeout.
    closeTimeout: 2_000,
    onAuth(auth, _session, callback) {
      callback(null, { user: auth.username ?? 'anonymous' });
    },
    onData(stream, session, callback) {
      readAll(stream).then(
        (raw) => {
          const from = session.envelope.mailFrom;
          const mail: SinkMessage = {
            envelope: {
              from: from ? from.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
            raw,
            receivedAt: Date.now(),
          };
          if (stream.sizeExceeded) {
            rejected.push(mail);
            callback(
              smtpError({ code: 552, message: `Message exceeds fixed maximum message size ${sizeLimit}` }),
            );
            return;
          }
          let response: SinkResponse | null;
          try {
            response = options.respond ? options.respond(mail) : null;
          } catch (error) {
            // A throwing test callback must not leave the client hanging until its timeout.
            response = { code: 451, message: `respond() threw: ${String(error)}` };
          }
          if (response && response.code >= 400) {
            rejected.push(mail);
            callback(smtpError(response));
            return;
          }
          messages.push(mail);
          for (const wake of waiters) wake();
          callback(null, response?.message);
        },
        (error: unknown) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });

  // Without a listener an 'error' (e.g. a client reset) would crash the test worker.
  server.on('error', () => {});

  await new Promise<void>((resolve, reject) => {
    const onListenError = (error: Error) => reject(error);
    server.server.once('error', onListenError);
    server.listen(options.port ?? 0, '127.0.0.1', () => {
      server.server.off('error', onListenError);
      resolve();
    });
  });
  const address = server.server.address();
  if (!address || typeof address !== 'object') throw new Error('SMTP sink has no TCP address');

  let stopped = false;
  return {
    host: '127.0.0.1',
    port: address.port,
    messages,
    rejected,
    waitForMessages(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (messages.length < count) return;
          cleanup();
          resolve(messages.slice(0, count));
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`SMTP sink got ${messages.length} of ${count} messages within ${timeoutMs} ms`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    stop() {
      if (stopped) return Promise.resolve();
      stopped = true;
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
