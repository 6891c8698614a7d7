import type { Rule } from '../rule.ts';
import { awsSecurityRules } from './aws-security.ts';
import { azureRules } from './azure.ts';
import { costRules } from './cost.ts';
import { gcpRules } from './gcp.ts';
import { kubernetesRules } from './kubernetes.ts';

/** Every rule the scanner ships, in the order reports list them. */
export const builtInRules: readonly Rule[] = [
  ...awsSecurityRules,
  ...azureRules,
  ...gcpRules,
  ...kubernetesRules,
  ...costRules,
];
