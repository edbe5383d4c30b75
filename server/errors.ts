import type { ApiError } from '../protocol/api.js';

/**
 * An error that becomes an HTTP answer as it is: a status, a stable `code` clients branch on
 * and a message meant for them. Anything else thrown in a handler is a 500 with internals hidden.
 */
export class HttpError extends Error {
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'HttpError';
  }

  toJSON(): ApiError {
    return { statusCode: this.statusCode, code: this.code, message: this.message };
  }
}

export const badRequest = (code: string, message: string) => new HttpError(400, code, message);
export const unauthorized = (message = 'missing or invalid credentials') => new HttpError(401, 'UNAUTHORIZED', message);
export const forbidden = (code: string, message: string) => new HttpError(403, code, message);
export const notFound = (message = 'not found') => new HttpError(404, 'NOT_FOUND', message);
export const conflict = (code: string, message: string) => new HttpError(409, code, message);

/** Bad configuration at start-up: the process prints the message and exits with code 2. */
export class ConfigError extends Error {
  readonly code = 'CONFIG';
  constructor(
    message: string,
    readonly problems: string[] = [message],
  ) {
    super(message);
    this.name = 'ConfigError';
  }
}
