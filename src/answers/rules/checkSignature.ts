import type { AnswerRule } from './answerContext.js';

/**
 * BP-reply 3: « mentionner son identité en fin de réponse (1ère lettre du
 * prénom + nom) ». No identity at all is an error: the CDAS worker cannot
 * tell who answered nor ask that person again, which the single round trip
 * of the convention relies on. An identity in another form is a warning: the
 * person is known, only the form differs.
 */
export const checkSignature: AnswerRule = ({ answer }) => {
  const { signature } = answer;
  if (signature === null) {
    return [
      {
        rule: 'answer-signature',
        severity: 'error',
        message:
          'Votre réponse ne se termine pas par votre identité. Merci de signer avec l’initiale de votre prénom suivie de votre nom, par exemple « J. Martin », pour que le professionnel du CDAS sache qui lui a répondu (réponse au CDAS, bonne pratique n°3).',
      },
    ];
  }
  if (signature.kind === 'full-name') {
    return [
      {
        rule: 'answer-signature',
        severity: 'warning',
        message: `Votre réponse est signée « ${signature.text} ». La convention demande l’initiale du prénom suivie du nom : « ${signature.suggestion} » (réponse au CDAS, bonne pratique n°3).`,
      },
    ];
  }
  if (signature.kind === 'surname') {
    return [
      {
        rule: 'answer-signature',
        severity: 'warning',
        message: `Votre réponse est signée « ${signature.text} ». Merci d’ajouter l’initiale de votre prénom devant votre nom, par exemple « J. Martin » (réponse au CDAS, bonne pratique n°3).`,
      },
    ];
  }
  return [];
};
