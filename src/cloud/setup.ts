import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { CloudsFile } from './clouds-config.ts';
import { AppError } from '../errors.ts';
import type { Metrics } from '../observability/metrics.ts';
import type { AwsProvider } from './aws/provider.ts';
import type { CloudProvider } from './provider.ts';
import type { AzureSandbox } from './sandbox/azure/server.ts';
import type { GcpSandbox } from './sandbox/gcp/server.ts';
import type { KubeSandbox } from './sandbox/kubernetes/server.ts';
import type { Sandbox } from './sandbox/server.ts';

/**
 * Which clouds run and how: the local emulators in sandbox mode (one per cloud, each speaking its
 * API's real wire protocol), else the providers CLOUDS_FILE and the per-cloud variables configure.
 * Every provider module and emulator is imported only when its cloud is in use, so start-up time
 * and memory do not grow with clouds nobody configured.
 */

export const SandboxCloud = ['aws', 'azure', 'gcp', 'kubernetes'] as const;
export type SandboxCloud = (typeof SandboxCloud)[number];

/** The running emulators (sandbox mode); `aws` is the EC2 one with the AWS account services. */
export interface CloudSandboxes {
  aws?: Sandbox | undefined;
  azure?: AzureSandbox | undefined;
  gcp?: GcpSandbox | undefined;
  kubernetes?: KubeSandbox | undefined;
  /** Lines to log at start: where each emulator listens, how to point a CLI at it. */
  messages: string[];
  stop(): Promise<void>;
}

/** Starts the emulators of `clouds` at once; `aws` reuses a running one when given (tests arrange its fleet). */
export const startSandboxes = async (
  clouds: readonly SandboxCloud[],
  opts: { aws?: Sandbox | undefined; now?: () => Date },
): Promise<CloudSandboxes> => {
  const started: Array<{ stop(): Promise<void> }> = [];
  const out: CloudSandboxes = {
    messages: [],
    stop: async () => {
      await Promise.all(started.map((s) => s.stop().catch(() => undefined)));
    },
  };
  try {
    await Promise.all([
      (async () => {
        if (!clouds.includes('aws')) return;
        const wiring = await import('./sandbox/app-wiring.ts');
        if (opts.aws) out.aws = opts.aws;
        else {
          const { startSandbox } = await import('./sandbox/server.ts');
          out.aws = await startSandbox({ ...wiring.appSandboxOptions, ...(opts.now ? { now: opts.now } : {}) });
          started.push(out.aws);
        }
        out.messages.push(wiring.sandboxStartMessage(out.aws));
      })(),
      (async () => {
        if (!clouds.includes('azure')) return;
        const { startAzureSandbox } = await import('./sandbox/azure/server.ts');
        out.azure = await startAzureSandbox(opts.now ? { now: opts.now } : {});
        started.push(out.azure);
        out.messages.push(`Azure sandbox emulator (ARM and Entra over loopback TLS) listening at ${out.azure.url}`);
      })(),
      (async () => {
        if (!clouds.includes('gcp')) return;
        const { startGcpSandbox } = await import('./sandbox/gcp/server.ts');
        out.gcp = await startGcpSandbox(opts.now ? { now: opts.now } : {});
        started.push(out.gcp);
        out.messages.push(`GCP sandbox emulator (Compute, Storage, IAM, Monitoring REST) listening at ${out.gcp.url}`);
      })(),
      (async () => {
        if (!clouds.includes('kubernetes')) return;
        const { startKubernetesSandbox } = await import('./sandbox/kubernetes/server.ts');
        const kube = await startKubernetesSandbox(opts.now ? { now: opts.now } : {});
        out.kubernetes = kube;
        started.push(kube);
        out.messages.push(
          `Kubernetes sandbox API servers: ${kube.clusters.map((c) => `${c.name} at ${c.url}`).join(', ')}`,
        );
      })(),
    ]);
  } catch (e) {
    await out.stop();
    throw e;
  }
  return out;
};

/** What the configuration says about clouds (src/config.ts's Config has these fields). */
export interface CloudSettings {
  clouds: CloudsFile;
  AWS_REGIONS: string[];
  awsEndpoint: string | undefined;
  awsCredentials: boolean;
  azureClientSecret: string | undefined;
}

export interface BuiltProviders {
  providers: CloudProvider[];
  /** The AWS provider when AWS is in use (its endpoint goes in the start-up log). */
  aws: AwsProvider | undefined;
}

/** The providers of the sandboxes, or of the configuration; none are loaded here (`load()` is the caller's). */
export const buildProviders = async (
  config: CloudSettings,
  sandboxes: CloudSandboxes | undefined,
  d: { metrics: Metrics; now: () => Date },
): Promise<BuiltProviders> => {
  const providers: CloudProvider[] = [];
  let aws: AwsProvider | undefined;
  const common = { metrics: d.metrics, now: d.now };
  if (sandboxes) {
    if (sandboxes.aws) {
      const [{ AwsProvider }, { sandboxAwsProviderOptions }] = await Promise.all([
        import('./aws/provider.ts'),
        import('./sandbox/app-wiring.ts'),
      ]);
      aws = new AwsProvider({ ...sandboxAwsProviderOptions(sandboxes.aws), ...common });
      providers.push(aws);
    }
    if (sandboxes.azure) {
      const [{ AzureProvider }, { azureSandboxProviderOptions }] = await Promise.all([
        import('./azure/provider.ts'),
        import('./sandbox/azure/server.ts'),
      ]);
      // The emulator's operations finish in a few polls: poll it fast, not at Azure's 2 s default.
      providers.push(
        new AzureProvider({ ...azureSandboxProviderOptions(sandboxes.azure), pollIntervalMs: 200, ...common }),
      );
    }
    if (sandboxes.gcp) {
      const [{ GcpProvider }, { gcpSandboxProjects }] = await Promise.all([
        import('./gcp/provider.ts'),
        import('./sandbox/gcp/fleet.ts'),
      ]);
      const { host, port } = sandboxes.gcp;
      providers.push(
        new GcpProvider({
          projects: gcpSandboxProjects.map((id) => ({ id })),
          endpoint: { host, port, protocol: 'http' },
          sandbox: true,
          ...common,
        }),
      );
    }
    if (sandboxes.kubernetes) {
      const { KubernetesProvider } = await import('./kubernetes/provider.ts');
      providers.push(
        new KubernetesProvider({ kubeconfig: sandboxes.kubernetes.kubeconfig(), sandbox: true, ...common }),
      );
    }
    return { providers, aws };
  }
  const { clouds } = config;
  // AWS: the CLOUDS_FILE accounts, else the one account of the default credentials in AWS_REGIONS
  // (when AWS is configured at all, or nothing else is: an explicit SANDBOX=off means AWS).
  const awsInUse =
    clouds.aws !== undefined ||
    config.awsEndpoint !== undefined ||
    config.awsCredentials ||
    !(clouds.azure || clouds.gcp || clouds.kubernetes);
  if (awsInUse) {
    const { AwsProvider } = await import('./aws/provider.ts');
    aws = new AwsProvider({
      ...(clouds.aws ? { accounts: clouds.aws.accounts } : { regions: config.AWS_REGIONS }),
      sandbox: false,
      ...common,
    });
    providers.push(aws);
  }
  if (clouds.azure) {
    const { AzureProvider } = await import('./azure/provider.ts');
    providers.push(
      new AzureProvider({
        subscriptions: clouds.azure.subscriptions,
        ...(clouds.azure.tenantId ? { tenantId: clouds.azure.tenantId } : {}),
        ...(clouds.azure.clientId ? { clientId: clouds.azure.clientId } : {}),
        ...(config.azureClientSecret ? { clientSecret: config.azureClientSecret } : {}),
        sandbox: false,
        ...common,
      }),
    );
  }
  if (clouds.gcp) {
    const { GcpProvider } = await import('./gcp/provider.ts');
    providers.push(
      new GcpProvider({
        projects: clouds.gcp.projects,
        ...(clouds.gcp.keyFile ? { keyFilename: clouds.gcp.keyFile } : {}),
        sandbox: false,
        ...common,
      }),
    );
  }
  if (clouds.kubernetes) {
    const { KubernetesProvider } = await import('./kubernetes/provider.ts');
    const file = clouds.kubernetes.kubeconfig ?? path.join(os.homedir(), '.kube', 'config');
    let kubeconfig: string;
    try {
      kubeconfig = await readFile(file, 'utf8');
    } catch (e) {
      throw new AppError('config_invalid', `Cannot read the kubeconfig ${file}: ${(e as Error).message}`);
    }
    providers.push(
      new KubernetesProvider({
        kubeconfig,
        ...(clouds.kubernetes.contexts ? { contexts: clouds.kubernetes.contexts } : {}),
        sandbox: false,
        ...common,
      }),
    );
  }
  return { providers, aws };
};
