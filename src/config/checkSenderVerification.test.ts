import { describe, expect, it } from 'vitest';
import { senderVerificationProblem } from './checkSenderVerification.js';
import { loadConfig } from './loadConfig.js';

const live = { REPLY_MODE: 'live', IMAP_HOST: 'imap.caf35.example.fr', SMTP_HOST: 'smtp.caf35.example.fr' };

describe('sender verification before live replies', () => {
  it('is on by default, in the authentication-results mode', () => {
    expect(loadConfig({ env: {} }).senderVerification.mode).toBe('authentication-results');
  });

  it('refuses live replies when the default mode has no AUTHSERV_ID, naming the fixes', () => {
    const problem = senderVerificationProblem(loadConfig({ env: live }), false);
    expect(problem).toMatch(/AUTHSERV_ID/);
    expect(problem).toMatch(/SENDER_VERIFICATION=mailauth/);
  });

  it('refuses live replies with verification off unless acknowledged', () => {
    const off = loadConfig({ env: { ...live, SENDER_VERIFICATION: 'off' } });
    expect(senderVerificationProblem(off, false)).toMatch(/SENDER_VERIFICATION_ACKNOWLEDGE_OFF=true/);
    const acknowledged = loadConfig({
      env: { ...live, SENDER_VERIFICATION: 'off', SENDER_VERIFICATION_ACKNOWLEDGE_OFF: 'true' },
    });
    expect(senderVerificationProblem(acknowledged, false)).toBeNull();
  });

  it('accepts a verification that can work, and leaves the demo and shadow mode alone', () => {
    expect(
      senderVerificationProblem(loadConfig({ env: { ...live, AUTHSERV_ID: 'mx.caf35.fr' } }), false),
    ).toBeNull();
    expect(
      senderVerificationProblem(loadConfig({ env: { ...live, SENDER_VERIFICATION: 'mailauth' } }), false),
    ).toBeNull();
    expect(senderVerificationProblem(loadConfig({ env: live }), true)).toBeNull();
    expect(
      senderVerificationProblem(loadConfig({ env: { ...live, REPLY_MODE: 'shadow' } }), false),
    ).toBeNull();
  });
});
