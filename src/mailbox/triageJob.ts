/** What intake hands to triage for one mail: where it is, and its bytes (latin1, byte for byte). */
export interface TriageJobData {
  mailboxId: string;
  uidValidity: string;
  uid: number;
  size: number;
  internalDate: string;
  /** sha256 of the raw mail, to recognise the same mail under another UID. */
  contentHash: string;
  /**
   * A small raw mail as a latin1 string (byte for byte); for an oversize mail, its headers only;
   * null when stored apart or not downloaded.
   */
  source: string | null;
  /** Where a large raw mail waits in Redis (RawMailStore); null when inline or not downloaded. */
  rawKey?: string | null;
  oversize: boolean;
}
