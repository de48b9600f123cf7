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
