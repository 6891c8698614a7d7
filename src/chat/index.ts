export * from './actor.ts';
export * from './reply.ts';
export * from './interaction.ts';
export * from './text.ts';
export type * from './surface.ts';
export type * from './directory.ts';
export * from './mention.ts';
