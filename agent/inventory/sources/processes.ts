import type { ProcessSource } from '../types.js';

// Placeholder until the ps-list collector lands (issue 2, Linux inventory helper).
export const processSource: ProcessSource = {
  id: 'processes',
  async collect() {
    return [];
  },
  parse() {
    return { processes: [], problems: [] };
  },
};
