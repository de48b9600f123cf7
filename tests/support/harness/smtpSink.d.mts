export interface SinkMessage {
  envelope: { from: string; to: string[] };
  /** The whole message, or its header block only when the sink keeps 'headers'. */
  raw: Buffer;
  /** Bytes of the whole message as sent. */
  size: number;
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
  /** Called for each accepted message once it is in `messages`. */
  onMessage?: (mail: SinkMessage) => void;
  /** Bytes; bigger messages get 552 and are not recorded. Default 25 MB. */
  sizeLimit?: number;
  /** 'message' (default) keeps every byte; 'headers' keeps the header block, for a sink that takes thousands. */
  keep?: 'message' | 'headers';
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

export function startSmtpSink(options?: StartSmtpSinkOptions): Promise<SmtpSink>;
