export * from './actor.ts';
export * from './reply.ts';
export * from './interaction.ts';
export type * from './surface.ts';
