import { AppwachtError } from '../errors.js';

/**
 * Why an update step did not get through, as the record and `appwacht status` say it:
 * - FEED_UNAVAILABLE: the server or the network did not answer (tried again within the hour);
 * - FEED_REFUSED: the server answered with an error (no such channel: 404), or redirected;
 * - INDEX_UNSIGNED: the index's signature is missing or wrong (not from the server the agent trusts for policies);
 * - DOWNLOAD_FAILED / DOWNLOAD_TRUNCATED / DOWNLOAD_TOO_LARGE / SHA512_MISMATCH: the installer was not the one the index
 *   names; the partial file is deleted, nothing is run;
 * - INSTALL_FAILED: the installer ran and failed, or could not be started.
 */
export type UpdateErrorCode =
  | 'FEED_UNAVAILABLE'
  | 'FEED_REFUSED'
  | 'INDEX_UNSIGNED'
  | 'DOWNLOAD_FAILED'
  | 'DOWNLOAD_TRUNCATED'
  | 'DOWNLOAD_TOO_LARGE'
  | 'SHA512_MISMATCH'
  | 'INSTALL_FAILED';

export class UpdateError extends AppwachtError {
  declare readonly code: UpdateErrorCode;
  constructor(code: UpdateErrorCode, message: string, options?: { cause?: unknown }) {
    super(code, message, options);
  }
}
