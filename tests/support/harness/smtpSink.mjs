// An SMTP server on a free loopback port that keeps what it is sent, for tests
// (whole messages, answers chosen per message) and the benchmark (headers only).
import { SMTPServer } from 'smtp-server';

const DEFAULT_SIZE_LIMIT = 25 * 1024 * 1024;
/** In 'headers' mode, what is kept of a message whose header block never ends. */
const MAX_HEADER_BYTES = 64 * 1024;

/** Reads a message: all of it, or its header block only (the rest is counted, not kept). */
function readMessage(stream, keep) {
  return new Promise((resolve, reject) => {
    const chunks = [];
    let kept = 0;
    let size = 0;
    let headEnd = -1;
    stream.on('data', (chunk) => {
      size += chunk.length;
      if (keep === 'message' || (headEnd < 0 && kept < MAX_HEADER_BYTES)) {
        chunks.push(chunk);
        kept += chunk.length;
        if (keep === 'headers') headEnd = Buffer.concat(chunks).indexOf('\r\n\r\n');
      }
    });
    stream.on('end', () => {
      const all = Buffer.concat(chunks);
      resolve({ raw: keep === 'headers' && headEnd >= 0 ? all.subarray(0, headEnd + 2) : all, size });
    });
    stream.on('error', reject);
  });
}

function smtpError(response) {
  const error = new Error(response.message);
  error.responseCode = response.code;
  return error;
}

export async function startSmtpSink(options = {}) {
  const messages = [];
  const rejected = [];
  const waiters = new Set();
  const sizeLimit = options.sizeLimit ?? DEFAULT_SIZE_LIMIT;
  const keep = options.keep ?? 'message';

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
      readMessage(stream, keep).then(
        ({ raw, size }) => {
          const from = session.envelope.mailFrom;
          const mail = {
            envelope: {
              from: from ? from.address : '',
              to: session.envelope.rcptTo.map((rcpt) => rcpt.address),
            },
            raw,
            size,
            receivedAt: Date.now(),
          };
          if (stream.sizeExceeded) {
            rejected.push(mail);
            callback(
              smtpError({ code: 552, message: `Message exceeds fixed maximum message size ${sizeLimit}` }),
            );
            return;
          }
          let response;
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
          options.onMessage?.(mail);
          for (const wake of waiters) wake();
          callback(null, response?.message);
        },
        (error) => callback(error instanceof Error ? error : new Error(String(error))),
      );
    },
  });

  // Without a listener an 'error' (e.g. a client reset) would crash the process.
  server.on('error', () => {});

  await new Promise((resolve, reject) => {
    const onListenError = (error) => reject(error);
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
