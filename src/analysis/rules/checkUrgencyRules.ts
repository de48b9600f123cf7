import type { Finding } from '../types.js';
import type { Rule } from './ruleContext.js';

const where = { subject: 'l’objet du message', body: 'le texte du message' } as const;

/** BP-urgent 3 (keyword placement) and BP-urgent 5 (urgency that does not meet the definition). */
export const checkUrgencyRules: Rule = ({ urgencySource, urgency, urgentUnpaidMonths }) => {
  const findings: Finding[] = [];
  if (urgencySource === 'subject' || urgencySource === 'body') {
    findings.push({
      rule: 'urgency-keyword-placement',
      severity: 'warning',
      message: `Le mot-clé URGENCE DEFINIE a été trouvé dans ${where[urgencySource]}. Votre demande est bien traitée en priorité ; la prochaine fois, merci de l’inscrire dans le champ « Nom de votre organisme » du formulaire, pour que l’urgence soit repérée automatiquement (bonne pratique n°3 des situations urgentes).`,
    });
  }
  if (urgency.check === 'unsubstantiated') {
    findings.push({
      rule: 'urgency-unsubstantiated',
      severity: 'warning',
      message: `Votre demande est traitée en priorité comme vous l’avez signalé. Toutefois, le message ne montre pas une situation d’urgence au sens de la convention : une interruption ou une forte baisse du revenu de solidarité active (RSA) ou de l’allocation aux adultes handicapés (AAH), ou une autre prestation interrompue ou diminuée depuis ${urgentUnpaidMonths} mois. Si c’est le cas, merci de le préciser avec les dates ; sinon, merci de réserver le mot-clé URGENCE DEFINIE à ces situations (bonne pratique n°5 des situations urgentes).`,
    });
  }
  return findings;
};
