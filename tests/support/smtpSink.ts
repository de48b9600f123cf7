export type {
  SinkMessage,
  SinkResponse,
  SmtpSink,
  StartSmtpSinkOptions,
} from './harness/smtpSink.mjs';
export { startSmtpSink } from './harness/smtpSink.mjs';
