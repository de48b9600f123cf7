import nodemailer from 'nodemailer';
import type { Config } from '../config/schema.js';

export type MailTransport = ReturnType<typeof nodemailer.createTransport>;

/** One pooled SMTP transport per process, with timeouts on every phase (the rate limit is the notify queue's). */
export function createSmtpTransport(smtp: Config['smtp']): MailTransport {
  return nodemailer.createTransport({
    host: smtp.host,
    port: smtp.port,
    secure: smtp.secure,
    auth: smtp.user ? { user: smtp.user, pass: smtp.password } : undefined,
    tls: { rejectUnauthorized: smtp.tlsRejectUnauthorized },
    pool: true,
    maxConnections: smtp.maxConnections,
    connectionTimeout: smtp.timeoutMs,
    greetingTimeout: smtp.timeoutMs,
    socketTimeout: smtp.timeoutMs,
  });
}

/** A 5xx answer is final: retrying would only repeat the refusal. */
export function isPermanentSmtpError(err: unknown): boolean {
  const e = err as { responseCode?: number; code?: string };
  if (typeof e.responseCode === 'number') return e.responseCode >= 500 && e.responseCode < 600;
  // Refused by nodemailer itself before any server answer (no recipient, bad address).
  return e.code === 'EENVELOPE' || e.code === 'EMESSAGE';
}
