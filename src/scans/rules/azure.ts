import type { Rule } from '../rule.ts';

// Written in a helper's branch this session; replaced when it lands.
export const azureRules: readonly Rule[] = [];
