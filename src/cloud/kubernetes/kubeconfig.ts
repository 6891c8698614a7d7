import { parse } from 'yaml';
import { z } from 'zod';
import { AppError } from '../../errors.ts';

/**
 * Reads the kubeconfig's contexts without the SDK (the provider lists its sources from
 * configuration alone): which contexts exist and which cluster and server each points at. The
 * SDK reads the same text again for credentials when the first call is made.
 */

const Kubeconfig = z.object({
  clusters: z
    .array(z.object({ name: z.string().min(1), cluster: z.looseObject({ server: z.string().min(1) }) }))
    .default([]),
  contexts: z
    .array(
      z.object({
        name: z.string().min(1),
        context: z.looseObject({ cluster: z.string().min(1), user: z.string().optional() }),
      }),
    )
    .default([]),
  'current-context': z.string().optional(),
});

export interface KubeContext {
  /** Context name: the source's account. */
  name: string;
  /** The cluster it points at: the source's region. */
  cluster: string;
  /** API server URL (for error messages; the SDK reads it from the kubeconfig itself). */
  server: string;
}

const invalid = (why: string, cause?: unknown): AppError =>
  new AppError('config_invalid', `The kubeconfig is not usable: ${why}`, { cause });

/** The contexts to list, in the kubeconfig's order (or `only`'s); throws config_invalid naming what is wrong. */
export const readContexts = (yamlText: string, only?: readonly string[]): KubeContext[] => {
  let doc: unknown;
  try {
    doc = parse(yamlText);
  } catch (e) {
    throw invalid(`it is not valid YAML (${e instanceof Error ? e.message.split('\n')[0] : String(e)}).`, e);
  }
  const parsed = Kubeconfig.safeParse(doc);
  if (!parsed.success)
    throw invalid(parsed.error.issues.map((i) => `${i.path.join('.') || 'document'}: ${i.message}`).join('; '));
  const contexts = parsed.data.contexts.map((c) => {
    const cluster = parsed.data.clusters.find((k) => k.name === c.context.cluster);
    if (!cluster)
      throw invalid(`context "${c.name}" names cluster "${c.context.cluster}", which the kubeconfig does not define.`);
    return { name: c.name, cluster: cluster.name, server: cluster.cluster.server };
  });
  if (contexts.length === 0) throw invalid('it defines no contexts.');
  if (!only) return contexts;
  const missing = only.filter((n) => !contexts.some((c) => c.name === n));
  if (missing.length > 0)
    throw invalid(
      `no context named ${missing.map((m) => `"${m}"`).join(', ')} (it has ${contexts.map((c) => c.name).join(', ')}).`,
    );
  return only.map((n) => contexts.find((c) => c.name === n)!);
};
