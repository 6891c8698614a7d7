import type { ActionCatalog, ActionSpec } from './actions.ts';
import { findAction } from './actions.ts';
import { awsActions } from './aws/actions.ts';
import { azureActions } from './azure/actions.ts';
import { gcpActions } from './gcp/actions.ts';
import { kubernetesActions } from './kubernetes/actions.ts';

/**
 * Every provider's action catalog as data, whether or not the provider is configured here: a
 * workflow template names its provider's actions, and is checked when it is loaded, not when a
 * cloud is first connected. Only the catalogs load (zod schemas and words), no SDK.
 * (GCP's sizes come from its live provider; this copy checks parameter names and literal values.)
 */
const catalogs: Record<string, ActionCatalog> = {
  aws: awsActions,
  azure: azureActions,
  gcp: gcpActions(),
  kubernetes: kubernetesActions,
};

export const catalogOf = (provider: string): ActionCatalog | undefined => catalogs[provider];

/** The lookup template checks take: an action of a provider for a resource type. */
export const staticActionLookup = (provider: string, type: string, action: string): ActionSpec | undefined => {
  const catalog = catalogs[provider];
  return catalog ? findAction(catalog, type, action) : undefined;
};
