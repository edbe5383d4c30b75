import type { KeyObject } from 'node:crypto';
import {
  SignatureError,
  UPDATE_INDEX_OF,
  UPDATE_SIGNATURE_HEADER,
  verifyUpdateIndex,
  type OsName,
} from '../../protocol/index.js';
import type { Fetch, FetchResponse } from '../transport/errors.js';
import { networkReason, readBodyBytes } from '../transport/api-client.js';
import { AGENT_VERSION } from '../version.js';
import { UpdateError } from './errors.js';
import { parseUpdateIndex, type UpdateIndex } from './index-file.js';

/** electron-builder's indexes are a few hundred bytes; anything near this is not one. */
const INDEX_MAX_BYTES = 256 * 1024;

export interface FeedLocation {
  /** The configured server URL (may carry a path prefix). */
  serverUrl: string;
  channel: string;
  fetch: Fetch;
}

/** `<server>/updates/<channel>/<file>`; channel and file are single safe segments (protocol/updates.ts). */
export function feedUrl(feed: FeedLocation, file: string): string {
  return `${feed.serverUrl.replace(/\/+$/, '')}/updates/${encodeURIComponent(feed.channel)}/${encodeURIComponent(file)}`;
}

/** A GET of the feed: no redirects (the configured URL is the real one), the agent's user agent, a deadline. */
export async function feedGet(feed: FeedLocation, file: string, timeoutMs: number, signal?: AbortSignal): Promise<FetchResponse> {
  const url = feedUrl(feed, file);
  const deadline = AbortSignal.timeout(timeoutMs);
  let response: FetchResponse;
  try {
    response = await feed.fetch(url, {
      headers: { 'user-agent': `appwacht-agent/${AGENT_VERSION}` },
      redirect: 'manual',
      signal: signal ? AbortSignal.any([deadline, signal]) : deadline,
    });
  } catch (err) {
    throw new UpdateError('FEED_UNAVAILABLE', `GET ${url}: ${networkReason(err, timeoutMs)}`, { cause: err });
  }
  if (response.status !== 200) {
    await response.body?.cancel().catch(() => {});
    const code = response.status >= 500 || response.status === 429 ? 'FEED_UNAVAILABLE' : 'FEED_REFUSED';
    throw new UpdateError(code, `GET ${url}: HTTP ${response.status}`);
  }
  return response;
}

/** Fetches this OS's index of the channel and verifies its signature by the pinned policy key before parsing it. */
export async function fetchUpdateIndex(
  feed: FeedLocation,
  os: OsName,
  publicKey: KeyObject,
  options: { timeoutMs?: number; signal?: AbortSignal } = {},
): Promise<UpdateIndex> {
  const file = UPDATE_INDEX_OF[os];
  const timeoutMs = options.timeoutMs ?? 60_000;
  const response = await feedGet(feed, file, timeoutMs, options.signal);
  let bytes: Buffer;
  try {
    bytes = await readBodyBytes(response, INDEX_MAX_BYTES, `GET ${file}`);
  } catch (err) {
    const code = (err as { code?: string }).code === 'BAD_RESPONSE' ? 'FEED_REFUSED' : 'FEED_UNAVAILABLE';
    throw new UpdateError(
      code,
      `GET ${file}: ${code === 'FEED_REFUSED' ? (err as Error).message : networkReason(err, timeoutMs)}`,
      {
        cause: err,
      },
    );
  }
  try {
    verifyUpdateIndex(feed.channel, file, bytes, response.headers.get(UPDATE_SIGNATURE_HEADER), publicKey);
  } catch (err) {
    if (err instanceof SignatureError) throw new UpdateError('INDEX_UNSIGNED', err.message, { cause: err });
    throw err;
  }
  return parseUpdateIndex(bytes.toString('utf8'));
}
