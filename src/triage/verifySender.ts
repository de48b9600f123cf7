import type { DNSResolver } from 'mailauth';

export type SenderVerifier = (raw: Buffer) => Promise<string>;

/**
 * DKIM, SPF and DMARC checked here with mailauth, for deployments whose MTA
 * does not write a trustworthy Authentication-Results header. Returns the
 * DMARC result for the From domain (pass, fail, none, temperror…).
 */
export function createSenderVerifier(options: {
  trustReceived: boolean;
  resolver?: DNSResolver;
  timeoutMs?: number;
}): SenderVerifier {
  // Loaded on first use: mailauth and its public-suffix data weigh ~20 MB that
  // deployments without sender verification should not carry.
  const mailauth = import('mailauth');
  return async (raw) => {
    const { authenticate } = await mailauth;
    const verdict = authenticate(raw, {
      trustReceived: options.trustReceived,
      disableArc: true,
      disableBimi: true,
      ...(options.resolver ? { resolver: options.resolver } : {}),
    }).then((r) => (r.dmarc ? r.dmarc.status.result : 'none'));
    const timeout = new Promise<string>((resolve) =>
      setTimeout(() => resolve('temperror'), options.timeoutMs ?? 10_000).unref(),
    );
    // DNS trouble is no reason to hold a family's mail: temperror routes it as usual.
    return Promise.race([verdict.catch(() => 'temperror'), timeout]);
  };
}
