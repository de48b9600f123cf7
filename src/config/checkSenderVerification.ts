import type { Config } from './schema.js';

/**
 * Why the service must not answer partners live with this configuration, or
 * null. Anyone can put a partner address in `From`: with no verification, the
 * CAF acknowledges forgeries. The local demo (its own Dovecot, invented mail)
 * and the modes that send nothing are not concerned.
 */
export function senderVerificationProblem(config: Config, localDemo: boolean): string | null {
  if (localDemo || config.replies.mode !== 'live') return null;
  const v = config.senderVerification;
  if (v.mode === 'authentication-results' && v.authservId.trim() === '') {
    return (
      'SENDER_VERIFICATION=authentication-results (the default) needs AUTHSERV_ID: the authserv-id your ' +
      'mail server writes at the start of its Authentication-Results header. Without one, set ' +
      'SENDER_VERIFICATION=mailauth (DKIM, SPF and DMARC checked here), or SENDER_VERIFICATION=off with ' +
      'SENDER_VERIFICATION_ACKNOWLEDGE_OFF=true to answer without verification (forged partner addresses ' +
      'would then be answered too).'
    );
  }
  if (v.mode === 'off' && !v.acknowledgeOff) {
    return (
      'REPLY_MODE is live and SENDER_VERIFICATION is off: a mail forging a partner address would be ' +
      'answered. Set SENDER_VERIFICATION=authentication-results with AUTHSERV_ID, or mailauth; or confirm ' +
      'with SENDER_VERIFICATION_ACKNOWLEDGE_OFF=true.'
    );
  }
  return null;
}
