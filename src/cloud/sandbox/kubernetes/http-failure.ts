import type { ResourceDef } from './model.ts';

/** An answer the emulator gives instead of serving a request: an API server Status (code, reason, message). */
export class HttpFailure extends Error {
  readonly status: number;
  readonly reason: string;
  readonly details: Record<string, unknown> | undefined;
  constructor(status: number, reason: string, message: string, details?: Record<string, unknown>) {
    super(message);
    this.status = status;
    this.reason = reason;
    this.details = details;
  }
}

/** `deployments.apps`, `configmaps`: how the API server names a resource in its messages. */
export const qualifiedPlural = (def: ResourceDef): string => (def.group ? `${def.plural}.${def.group}` : def.plural);

/** `Deployment.apps`, `ConfigMap`: how it names a kind in validation messages. */
export const qualifiedKind = (def: ResourceDef): string => (def.group ? `${def.kind}.${def.group}` : def.kind);

export const notFound = (def: ResourceDef, name: string): HttpFailure =>
  new HttpFailure(404, 'NotFound', `${qualifiedPlural(def)} "${name}" not found`, {
    name,
    ...(def.group ? { group: def.group } : {}),
    kind: def.plural,
  });

/** 422 Invalid with the API server's wording: `Deployment.apps "web" is invalid: spec.replicas: …`. */
export const invalid = (def: ResourceDef, name: string, causes: string[]): HttpFailure =>
  new HttpFailure(422, 'Invalid', `${qualifiedKind(def)} "${name}" is invalid: ${causes.join(', ')}`, {
    name,
    ...(def.group ? { group: def.group } : {}),
    kind: def.kind,
  });
