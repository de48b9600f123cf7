/** What intake hands to triage for one mail: where it is, and its bytes (latin1, byte for byte). */
export interface TriageJobData {
  mailboxId: string;
  uidValidity: string;
  uid: number;
  size: number;
  internalDate: string;
  /** sha256 of the raw mail, to recognise the same mail under another UID. */
  contentHash: string;
  /** The raw mail as a latin1 string; null when it was too large to download. */
  source: string | null;
  oversize: boolean;
}
