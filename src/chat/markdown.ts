// TEMPORARY placeholder until the markdown branch is merged (not committed).
import type { Block } from './reply.ts';
export const markdownToBlocks = (md: string, _opts?: { maxTextLength?: number }): Block[] =>
  md.trim() ? [{ type: 'text', text: md.trim() }] : [];
