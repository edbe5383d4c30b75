/** The HTTP surface agents use; paths are versioned so an old agent keeps working after an upgrade. */
export const API_PREFIX = '/api/v1';

export const AgentRoutes = {
  enroll: `${API_PREFIX}/enroll`,
  policy: `${API_PREFIX}/policy`,
  reports: `${API_PREFIX}/reports`,
} as const;

/** Error bodies for every 4xx/5xx: a stable code to branch on and a human message. */
export interface ApiError {
  statusCode: number;
  code: string;
  message: string;
}
