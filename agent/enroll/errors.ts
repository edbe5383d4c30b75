import { AppwachtError } from '../errors.js';

/**
 * Enrollment trouble that is not the server's answer (that is a ServerError). Codes: MACHINE_ID_MISSING,
 * TOKEN_INSECURE (the token file can be read by others or is not a plain file of ours), NOT_CONFIGURED (no server or no secret).
 */
export class EnrollError extends AppwachtError {}
