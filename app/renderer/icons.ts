import type { Condition } from '../shared/bridge.js';

/**
 * One shape per condition, so the state reads without colour: a tick, a triangle, an octagon with a cross, a clock, a
 * padlock, a half circle, a crossed-out cloud, a page with a question mark. 24×24 path data, drawn as strokes.
 */
export const CONDITION_ICONS: Record<Condition, readonly string[]> = {
  compliant: ['M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z', 'M7 12.5l3.2 3.2L17 9'],
  warning: ['M12 3L2 20h20z', 'M12 9v5', 'M12 17v.5'],
  banned: ['M8 2h8l6 6v8l-6 6H8l-6-6V8z', 'M9 9l6 6', 'M15 9l-6 6'],
  overdue: ['M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z', 'M12 6v6l4 3', 'M3 3l3 3'],
  blocked: ['M5 11h14v10H5z', 'M8 11V7a4 4 0 0 1 8 0v4', 'M12 15v2'],
  incomplete: ['M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z', 'M12 2v20', 'M8 12h.5'],
  offline: ['M7 18h10a4 4 0 0 0 .5-8A6 6 0 0 0 6 9a4.5 4.5 0 0 0 1 9z', 'M3 3l18 18'],
  'policy-problem': ['M6 2h9l5 5v15H6z', 'M10 11a2.5 2.5 0 1 1 3.5 2.3c-.9.4-1.5 1-1.5 2v.7', 'M12 19v.5'],
  unchecked: ['M12 2a10 10 0 1 0 0 20a10 10 0 1 0 0-20z', 'M9.5 9.5a2.5 2.5 0 1 1 3.5 2.3c-.9.4-1.3 1-1.3 2v.7', 'M12 17v.5'],
};

/** How urgent a condition is, for the banner's colour class (text and shape carry the meaning; colour only repeats it). */
export const TONE: Record<Condition, 'ok' | 'info' | 'warn' | 'bad'> = {
  compliant: 'ok',
  warning: 'warn',
  banned: 'warn',
  overdue: 'bad',
  blocked: 'bad',
  incomplete: 'info',
  offline: 'info',
  'policy-problem': 'warn',
  unchecked: 'info',
};
