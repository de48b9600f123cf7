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
      'SENDER_VERIFICATION=authentication-results (le réglage par défaut) demande AUTHSERV_ID : l’identifiant ' +
      'que votre serveur de messagerie écrit au début de son en-tête Authentication-Results. À défaut, ' +
      'choisissez SENDER_VERIFICATION=mailauth (DKIM, SPF et DMARC vérifiés ici), ou SENDER_VERIFICATION=off avec ' +
      'SENDER_VERIFICATION_ACKNOWLEDGE_OFF=true pour répondre sans vérification (une adresse de partenaire ' +
      'usurpée recevrait alors aussi une réponse).'
    );
  }
  if (v.mode === 'off' && !v.acknowledgeOff) {
    return (
      'REPLY_MODE vaut live et SENDER_VERIFICATION vaut off : un message qui usurpe l’adresse d’un partenaire ' +
      'recevrait une réponse. Réglez SENDER_VERIFICATION=authentication-results avec AUTHSERV_ID, ou mailauth ; ' +
      'ou confirmez ce choix avec SENDER_VERIFICATION_ACKNOWLEDGE_OFF=true.'
    );
  }
  return null;
}
