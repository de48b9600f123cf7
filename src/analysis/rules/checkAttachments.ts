import type { Rule } from './ruleContext.js';

/** BP-send 6: documents go to the document mailbox, which a robot reads. */
export const checkAttachments: Rule = ({ attachments }) => {
  const documents = attachments.filter((a) => !a.inline);
  if (documents.length === 0) return [];
  return [
    {
      rule: 'attachments-channel',
      severity: 'info',
      message: `Votre message contient ${documents.length === 1 ? 'une pièce jointe' : `${documents.length} pièces jointes`}. Pour que les documents soient ajoutés au dossier, merci de les envoyer à l’adresse transmettreundocument.caf35@info-caf.fr : en objet, uniquement le numéro d’allocataire ou le numéro de sécurité sociale ; aucun texte dans le message ; 4 à 5 documents au maximum par envoi (bonne pratique n°6).`,
    },
  ];
};
