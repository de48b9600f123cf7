/**
 * Masks the identifiers that must never be stored or logged in clear: NIR
 * (social-security numbers, Corsican 2A/2B included), allocataire numbers and
 * mail addresses. Used on any free text kept with a case.
 */
const nir =
  /(?<![\dA-Za-z])[12][ .]?\d{2}[ .]?(?:0[1-9]|1[0-2]|[2-9]\d)[ .]?(?:\d{2}|2[AaBb])[ .]?\d{3}[ .]?\d{3}(?:[ .]?\d{2})?(?![\dA-Za-z])/g;
const longNumber = /(?<!\d)\d{6,}(?!\d)/g;
const address = /[A-Za-z0-9._%+'-]+@([A-Za-z0-9.-]+\.[A-Za-z]{2,})/g;

export function maskPersonalData(text: string): string {
  return text.replace(nir, '[NIR]').replace(longNumber, '[numéro]').replace(address, '[adresse]@$1');
}
