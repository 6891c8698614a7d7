import { randomBytes } from 'node:crypto';
import { actorKey, ConversationRef, type SurfaceName } from './chat/actor.ts';
import type { ChatSurface } from './chat/surface.ts';
import { newExecutorId } from './changes/context.ts';
import { registerChangeJobs } from './changes/jobs.ts';
import { createChangeService, type ChangeService } from './changes/service.ts';
import { freezeTools } from './changes/freeze-tools.ts';
import { changeTools } from './changes/tools.ts';
import { collectMetrics, refreshResource, syncInventory, type SyncOutcome } from './cloud/inventory.ts';
import { estateTools } from './cloud/estate-tools.ts';
import { findAction } from './cloud/actions.ts';
import { resourceRepository } from './cloud/repository.ts';
import { inventorySyncJob, registerInventoryJobs, type InventoryJobDeps } from './cloud/jobs.ts';
import type { CloudProvider } from './cloud/provider.ts';
import type { Sandbox } from './cloud/sandbox/server.ts';
import type { CloudSandboxes, SandboxCloud } from './cloud/setup.ts';
import { resourceOptions } from './cloud/pick.ts';
import { cloudTools } from './cloud/tools.ts';
import type { Config } from './config.ts';
import { createConversationStore } from './engine/conversations.ts';
import { createEngine, type Engine } from './engine/conversation-engine.ts';
import { createChangeNotifier } from './engine/notifier.ts';
import { rulePlanner } from './engine/planner/rule-planner.ts';
import { registerRetentionJobs } from './engine/retention.ts';
import { OptionSources } from './engine/options.ts';
import { ToolRegistry } from './engine/registry.ts';
import { createHttpServer, type HttpServer } from './http/server.ts';
import { createScheduler, type Scheduler } from './jobs/scheduler.ts';
import { createLogger, type Logger } from './observability/logger.ts';
import { createMetrics, type Metrics } from './observability/metrics.ts';
import { openStore, type Store } from './store/open.ts';
import { createLiveBus } from './store/live.ts';
import type { TemplateEstimates } from './analytics/team/analytics.ts';
import { analyticsView } from './analytics/views/analytics.ts';
import { recordCostSnapshot } from './analytics/views/cost-history.ts';
import { createDashboardData } from './analytics/views/dashboard.ts';
import { streamLive } from './http/sse.ts';
import { createDashboard } from './surfaces/dashboard/dashboard.ts';
import { createWebAuth } from './surfaces/dashboard/auth/web-auth.ts';
import { createDashboardAuthStore } from './surfaces/dashboard/store/sessions.ts';
import type { LiveBus } from './util/live.ts';
import { announcingListener } from './changes/listener.ts';
import type { EmbeddedPostgres } from './store/embedded.ts';
import { createConsoleApi } from './surfaces/console/console.ts';
import { createAuthThrottle, type AuthThrottle } from './http/auth-throttle.ts';
import { createConsoleSurface } from './surfaces/console/surface.ts';
import { slackEnabled } from './surfaces/slack/enabled.ts';
import type { SlackRuntime, SlackTuning } from './surfaces/slack/slack.ts';
import { teamsEnabled } from './surfaces/teams/enabled.ts';
import type { TeamsRuntime, TeamsTuning } from './surfaces/teams/teams.ts';
import { CONSOLE_USERS, ensureUser, listUsers, seedUsers, workspaceKnown } from './users/repository.ts';
import { registerGrantJobs } from './users/jobs.ts';
import { userTools } from './users/tools.ts';
import { usageTools } from './usage/tools.ts';
import { complianceTool } from './scans/compliance.ts';
import { failAllRunning } from './scans/engine.ts';
import { fixTool } from './scans/fix.ts';
import { digestReportFiles } from './scans/digest-reports.ts';
import { applySchedule, registerScanJobs } from './scans/jobs.ts';
import { scanScheduleTool } from './scans/schedule-tool.ts';
import { OFF_HOURS_PROVIDER, offHoursChanged, offHoursRunner } from './scans/offhours/executor.ts';
import { registerOffHoursJobs } from './scans/offhours/jobs.ts';
import { offHoursTools } from './scans/offhours/tools.ts';
import { scanReports } from './scans/reports.ts';
import { builtInRules } from './scans/rules/index.ts';
import { scanTools, type ScanToolDeps } from './scans/tools.ts';
import { isSecretName } from './observability/logger.ts';
import { recordUsage, workspaceTokensSince } from './usage/repository.ts';
import type { Db } from './store/db.ts';
import type { Planner } from './engine/planner.ts';
import { badRequest } from './errors.ts';
import { resolveResource } from './cloud/resolve.ts';
import { createWorkflowExecutor } from './workflows/executor.ts';
import type { PlanDeps } from './workflows/plan.ts';
import { loadWorkspaceTemplates, workspaceTemplates } from './workflows/registry.ts';
import { workflowTools } from './workflows/tools.ts';
import { alertmanagerInbound, pagerDutyInbound, type InboundResult } from './incidents/inbound.ts';
import { registerIncidentJobs } from './incidents/jobs.ts';
import type { PagerDutyApi } from './incidents/ports.ts';
import { createIncidentService, type IncidentService } from './incidents/service.ts';
import { incidentTools } from './incidents/tools.ts';
import { diagnose } from './incidents/diagnosis.ts';
import type { IncidentExplainer } from './incidents/ports.ts';
import {
  autoRemediationLimiter,
  chooseAutoRemediation,
  fileRemediation,
  remediationActor,
} from './incidents/remediation.ts';
import { isAppError } from './errors.ts';
import { channelFor, chatKey, quietUntil } from './incidents/routing/config.ts';
import { createIncidentRouter } from './incidents/routing/dispatch.ts';
import { scheduleHeldFlush } from './incidents/routing/jobs.ts';
import { registerAnalyticsJobs } from './analytics/jobs.ts';
import { teamAnalyticsTool } from './analytics/tools.ts';
import { json, type Route } from './http/route.ts';
import { consoleConversation } from './surfaces/console/surface.ts';

/**
 * The composition root: wires config → store → providers → change service → tools → engine →
 * surfaces → HTTP and jobs. main.ts, the integration tests and the benchmarks all start the app here.
 *
 * Adapters that bring an SDK (a surface, a cloud provider, a model client) and the sandbox are
 * imported here dynamically, only when configured: start-up time and memory do not grow with every
 * integration added (test/unit/architecture.test.ts checks that no SDK is in main.ts's static
 * import graph).
 */
export interface App {
  config: Config;
  logger: Logger;
  metrics: Metrics;
  store: Store;
  engine: Engine;
  changes: ChangeService;
  providers: CloudProvider[];
  /** The local EC2 emulator (with the AWS account services) when running in sandbox mode. */
  sandbox: Sandbox | undefined;
  /** Every running emulator in sandbox mode (AWS, Azure, GCP, Kubernetes). */
  sandboxes: CloudSandboxes | undefined;
  scheduler: Scheduler;
  http: HttpServer;
  /** The Slack surface when SLACK_* is configured (tests wait on `slack.idle()`). */
  slack: SlackRuntime | undefined;
  /** The Teams surface when TEAMS_* is configured (tests wait on `teams.idle()`). */
  teams: TeamsRuntime | undefined;
  /** Incidents from PagerDuty and Alertmanager (tests wait on `incidents.idle()`). */
  incidents: IncidentService;
  /** Live events across replicas (src/util/live.ts): the console streams them; the dashboard can. */
  live: LiveBus;
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:3000. */
  url: string;
  /** One inventory pass now (the scheduled job does the same on its interval). */
  syncNow(): Promise<SyncOutcome[]>;
  /** Settles when the start's inventory pass is done (in the background for providers already stored). */
  synced: Promise<void>;
  close(): Promise<void>;
}

export interface AppOptions {
  logger?: Logger;
  now?: () => Date;
  /** How long after listening a restart starts refreshing the stored inventory (default 1 s; tests 0). */
  refreshDelayMs?: number;
  /** Use this running sandbox instead of starting one (tests that arrange the fleet). */
  sandbox?: Sandbox;
  /** Sandbox mode: the clouds to emulate instead of SANDBOX_CLOUDS. */
  clouds?: readonly SandboxCloud[];
  /** Do not start the scheduler (benchmarks, tests that drive jobs by hand). */
  jobs?: boolean;
  /** Scheduler lock lifetime (tests keep it small so the process exits promptly). */
  lockLifetimeMs?: number;
  /** An open store to use instead of opening one from config (tests); the caller closes it. */
  store?: Store;
  /** Embedded PostgreSQL already starting (main.ts starts it while these modules load); the app owns it. */
  embedded?: Promise<EmbeddedPostgres>;
  /** Slack surface timings and Web API retries (tests keep them short). */
  slack?: SlackTuning;
  /** Teams surface timings, connector retries, and (tests) the outbound token. */
  teams?: TeamsTuning;
  /** How often a workflow's wait step reads its target (default 5 s; tests keep it short). */
  workflowPollMs?: number;
}

export const startApp = async (config: Config, opts: AppOptions = {}): Promise<App> => {
  const logger = opts.logger ?? createLogger(config.LOG_LEVEL);
  const metrics = createMetrics({ commit: config.GIT_COMMIT });
  const now = opts.now ?? (() => new Date());
  const cleanups: Array<() => Promise<void>> = [];
  const closeAll = async () => {
    for (const c of cleanups.reverse()) await c().catch((e: unknown) => logger.warn({ err: e }, 'error while closing'));
  };
  // The sandbox starts and every provider loads its SDK while the database opens: embedded
  // PostgreSQL starts in a process of its own, and the EC2 SDK alone takes ~0.3 s of this thread
  // (BENCHMARKS.md, start time). Awaited below; a failure surfaces there.
  const cloudStarting = (async () => {
    const setup = await import('./cloud/setup.ts');
    const sandboxes =
      config.sandbox || opts.sandbox
        ? // An arranged AWS sandbox (tests) means AWS alone unless the clouds are named.
          await setup.startSandboxes(opts.clouds ?? (opts.sandbox ? ['aws'] : config.SANDBOX_CLOUDS), {
            aws: opts.sandbox,
            now,
          })
        : undefined;
    // Stop the emulators this started even if something else fails first.
    if (sandboxes) cleanups.push(() => sandboxes.stop());
    const { providers, aws } = await setup.buildProviders(config, sandboxes, { metrics, now });
    cleanups.push(async () => providers.forEach((p) => p.close?.()));
    // The EC2 SDK (~0.3 s of this thread) loads while the database opens; the other clouds' SDKs
    // load before a first sync, or after listening when their inventory is already stored.
    await aws?.load();
    return { sandbox: sandboxes?.aws, sandboxes, aws, providers };
  })();
  // Awaited after the store opens, or never if it fails first: no unhandled rejection in between.
  void cloudStarting.catch(() => undefined);
  try {
    const store =
      opts.store ??
      (await openStore({
        databaseUrl: config.DATABASE_URL,
        dataDir: config.DATA_DIR,
        poolMax: config.DB_POOL_MAX,
        logger,
        ...(opts.embedded ? { embedded: opts.embedded } : {}),
      }));
    if (!opts.store) cleanups.push(() => store.close());
    const { db } = store;
    // Live events (LISTEN/NOTIFY, or in memory when embedded): closed before the store, after HTTP.
    const live = await createLiveBus(store, logger);
    cleanups.push(() => live.close());

    const { sandbox, sandboxes, aws, providers } = await cloudStarting;
    const inSandbox = Boolean(sandboxes);
    for (const line of sandboxes?.messages ?? []) logger.info(line);
    const providerByName = (name: string) => providers.find((p) => p.name === name);

    const surfaces = new Map<SurfaceName, ChatSurface>();
    const conversations = createConversationStore(db, live);
    const consoleSurface = createConsoleSurface({ conversations, people: CONSOLE_USERS });
    if (config.consoleEnabled) surfaces.set('console', consoleSurface);

    const notifier = createChangeNotifier({ db, surfaces, logger, sandbox: inSandbox });
    const scheduler = createScheduler({
      store,
      logger,
      metrics,
      embedded: store.embedded,
      ...(opts.lockLifetimeMs ? { lockLifetimeMs: opts.lockLifetimeMs } : {}),
    });
    cleanups.push(() => scheduler.stop());
    // This process among the replicas: the executor lease and the scan lease name it.
    const instanceId = newExecutorId();
    // Off-hours schedules are activated by approved change requests, through the same executor.
    const offHours = offHoursRunner({ db, now });
    // Workflow templates: the built-in ones and the workspace's; a bad file stops the start with every problem.
    const templates = await loadWorkspaceTemplates(
      (config.WORKFLOW_TEMPLATES_DIR ?? '')
        .split(',')
        .map((d) => d.trim())
        .filter(Boolean),
    );
    const workspace = workspaceTemplates({ db, base: templates });
    const workflowPlanDeps: PlanDeps = {
      provider: providerByName,
      resource: async (provider, type, ref) => {
        const r = await resolveResource(resourceRepository(db), ref, {
          accept: (x) => x.provider === provider && x.type === type,
        });
        if (r.provider !== provider)
          throw badRequest(`${r.name || r.id} is in ${r.provider}; this template works on ${provider}.`);
        return r;
      },
    };
    const workflows = createWorkflowExecutor({
      db,
      now,
      ...workflowPlanDeps,
      template: async (name, version, workspaceId) => (await workspace.forWorkspace(workspaceId)).get(name, version),
      live,
      ...(opts.workflowPollMs ? { waitPollMs: opts.workflowPollMs } : {}),
    });
    const changes = createChangeService({
      db,
      providers: (name) => (name === OFF_HOURS_PROVIDER ? offHours : providerByName(name)),
      policy: config.policy,
      approvalTtlMs: config.APPROVAL_TTL,
      now,
      listener: announcingListener(live, {
        changed: async (c, event) => {
          if (c.plan.target.provider === OFF_HOURS_PROVIDER) {
            await offHoursChanged(db, now(), c, event, logger).catch((err: unknown) =>
              logger.warn({ err, changeId: c.id }, 'could not record an off-hours request'),
            );
            return notifier.changed(c, event);
          }
          // The inventory shows what a change did before anyone is told it is done: the target is
          // re-read at once (a full sync is queued when its provider cannot describe one resource).
          if (event === 'succeeded' || event === 'failed') {
            const provider = providerByName(c.plan.target.provider);
            const removed =
              event === 'succeeded' &&
              Boolean(provider && findAction(provider.actions, c.plan.target.type, c.plan.action)?.deletes);
            if (removed) await resourceRepository(db).markGone(c.plan.target, now());
            const refreshed =
              removed || (provider ? await refreshResource(db, provider, c.plan.target, now(), { logger }) : false);
            if (!refreshed)
              void scheduler
                .now(inventorySyncJob)
                .catch((e: unknown) => logger.warn({ err: e }, 'could not queue an inventory sync'));
          }
          await notifier.changed(c, event);
        },
        progress: (c, step) => notifier.progress?.(c, step),
      }),
      logger,
      metrics,
      executor: { id: instanceId, leaseMs: config.EXECUTION_LEASE },
      workflows,
    });
    // An embedded database is this process's alone (data dir lock): whatever was running belonged
    // to a previous process. On a shared server only lapsed leases are recovered (the job below).
    await changes.recoverInterrupted({ all: store.embedded });
    // Likewise for scans: an embedded store's running scans belonged to a previous process; on a
    // shared server a scan whose runner went silent is taken over when the next one starts.
    if (store.embedded)
      await failAllRunning(db, now(), 'interrupted: the app stopped before the scan ended; no finding was changed');
    const scanDeps: ScanToolDeps = {
      db,
      rules: builtInRules,
      thresholds: config.scanThresholds,
      lists: config.scanLists,
      now,
      runner: instanceId,
      maxSuppressionDays: config.SCAN_SUPPRESSION_MAX_DAYS,
      ownerTags: config.scanDigests.ownerTags,
      sandbox: inSandbox,
      logger,
      vacuum: store.embedded,
      // A direct scan holds one pooled connection for its whole run while it reads over others:
      // with fewer than 3 it would wait for itself, so it stages instead.
      direct: !store.embedded && config.DB_POOL_MAX >= 3,
      live,
    };

    if (config.consoleEnabled) await seedUsers(db, CONSOLE_USERS, now());

    const registry = new ToolRegistry(metrics).register(
      ...cloudTools({ db, provider: providerByName, providers: () => providers, sandbox: inSandbox }),
      ...estateTools({ db, provider: providerByName, providers: () => providers, sandbox: inSandbox }),
      ...changeTools({ db, changes, sandbox: inSandbox }),
      ...freezeTools({ db, changes }),
      ...workflowTools({ db, changes, templates: workspace, sandbox: inSandbox, ...workflowPlanDeps }),
      // grant looks up someone new in the granter's platform (ChatSurface.directory).
      ...userTools({ db, now, directory: (surface) => surfaces.get(surface)?.directory }),
      ...usageTools({
        db,
        budgetTokens: () => config.ANTHROPIC_MONTHLY_TOKEN_BUDGET || undefined,
        model: () => (config.ANTHROPIC_API_KEY ? config.ANTHROPIC_MODEL : undefined),
      }),
      ...scanTools(scanDeps),
      complianceTool({ ...scanDeps, frameworks: config.frameworks }),
      fixTool({ db, rules: builtInRules, provider: providerByName }),
      ...offHoursTools({
        db,
        provider: providerByName,
        ownerTags: config.scanDigests.ownerTags,
        timezone: config.SCAN_SCHEDULE_TIMEZONE,
        now,
      }),
      scanScheduleTool({
        db,
        defaultSchedule: config.SCAN_SCHEDULE,
        timezone: config.SCAN_SCHEDULE_TIMEZONE,
        reschedule: (workspaceId, schedule) =>
          applySchedule(scheduler, config.SCAN_SCHEDULE_TIMEZONE, workspaceId, schedule),
      }),
      // Team analytics (issue 18): `analytics [team] [period]`.
      teamAnalyticsTool({ db, ownerTags: config.scanDigests.ownerTags, templates: workspace, sandbox: inSandbox }),
    );
    const incidentChannel =
      parseConversation(config.INCIDENT_CHANNEL) ?? (config.consoleEnabled ? consoleConversation() : undefined);
    const pagerduty: PagerDutyApi | undefined = config.PAGERDUTY_API_TOKEN
      ? (await import('./incidents/pagerduty/client.ts')).createPagerDutyClient({
          token: config.PAGERDUTY_API_TOKEN,
          ...(config.PAGERDUTY_API_URL ? { apiUrl: config.PAGERDUTY_API_URL } : {}),
          retryTimeoutMs: config.PAGERDUTY_RETRY_TIMEOUT,
        })
      : undefined;
    // The surface of each workspace's incidents, for the AI summary's token usage (recorded as the bot there).
    const incidentSurfaces = new Map<string, SurfaceName>();
    const explainer = config.ANTHROPIC_API_KEY
      ? await incidentExplainerFor(config, config.ANTHROPIC_API_KEY, {
          db,
          logger,
          metrics,
          surfaces: incidentSurfaces,
        })
      : undefined;
    const rules = config.remediationRules;
    // Email and signed webhooks (INCIDENT_ROUTES_FILE); nodemailer loads only with SMTP_URL.
    const mailer =
      config.incidentRouting && config.SMTP_URL && config.SMTP_FROM
        ? (await import('./incidents/routing/mailer.ts')).createMailer({
            smtpUrl: config.SMTP_URL,
            from: config.SMTP_FROM,
          })
        : undefined;
    if (mailer) cleanups.push(async () => mailer.close());
    const router = config.incidentRouting
      ? createIncidentRouter({
          db,
          routing: config.incidentRouting,
          now,
          mailer,
          logger: logger.child({ component: 'incident-routing' }),
        })
      : undefined;
    const incidents = createIncidentService({
      db,
      diagnose: async (i) => {
        const base = await diagnose(
          {
            workspaceId: i.workspaceId,
            title: i.title,
            service: i.service,
            resources: i.resources,
            ...(i.environment ? { environment: i.environment } : {}),
            labels: i.labels,
            openedAt: i.openedAt,
          },
          { db, now, lookbackMs: config.INCIDENT_LOOKBACK },
        );
        if (!explainer) return base;
        incidentSurfaces.set(i.workspaceId, i.channel.surface);
        try {
          const narrative = await explainer.explain({
            title: i.title,
            service: i.service,
            facts: base.facts,
            suspects: base.suspects,
            workspaceId: i.workspaceId,
          });
          return { ...base, narrative };
        } catch (e) {
          return { ...base, narrativeError: isAppError(e) ? e.userMessage : 'the AI summary failed' };
        }
      },
      ...(rules.length > 0
        ? {
            autoRemediate: async (i, diagnosis, thread) => {
              const choice = await chooseAutoRemediation(
                {
                  source: i.source as 'pagerduty' | 'alertmanager',
                  service: i.service,
                  title: i.title,
                  labels: i.labels,
                  ...(i.environment ? { environment: i.environment } : {}),
                },
                diagnosis,
                rules,
                autoRemediationLimiter(db, i.workspaceId, now),
              );
              if (choice.kind === 'none') {
                // Said only when a rule matched and declined; silence when no rule is about this incident.
                const declined = choice.reasons.filter((r) => r.startsWith('rule '));
                return declined.length > 0 ? { text: `🤖 No auto-remediation: ${declined.join('; ')}.` } : undefined;
              }
              let c: Awaited<ReturnType<typeof fileRemediation>>;
              try {
                c = await fileRemediation(
                  { db, changes, provider: providerByName, role: config.INCIDENT_REMEDIATION_ROLE },
                  { proposal: choice.proposal, rule: choice.rule, conversation: thread },
                );
              } catch (e) {
                // Nothing was filed: the rule's place under its hourly limit is free again. If even
                // that fails (the database is down), the place stays taken for the hour: the safe side.
                await choice.claim.release().catch(() => undefined);
                throw e;
              }
              return {
                text: `🤖 Auto-remediation rule *${choice.rule.name}* filed ${c.id} (${choice.proposal.title}): ${c.status === 'pending' ? 'waiting for approval' : c.status}.`,
                changeId: c.id,
              };
            },
          }
        : {}),
      now,
      logger: logger.child({ component: 'incidents' }),
      runner: instanceId,
      sandbox: inSandbox,
      surface: (name) => surfaces.get(name),
      ...(config.incidentRouting
        ? {
            quietUntil: (channel, urgency) =>
              quietUntil(config.incidentRouting!, chatKey(channel), urgency === 'low' ? 'low' : 'high', now()),
          }
        : {}),
      channelFor: (service) => {
        if (config.incidentRouting) return channelFor(config.incidentRouting, service);
        if (!incidentChannel) throw badRequest('No incident channel: set INCIDENT_CHANNEL (or INCIDENT_ROUTES_FILE).');
        return incidentChannel;
      },
      ...(router
        ? {
            notify: async (i, kind, diagnosis) => {
              // Off the processing path: a webhook's retries take seconds; the router never throws.
              void router
                .notify({
                  workspaceId: i.workspaceId,
                  incidentId: i.id,
                  kind,
                  incident: {
                    number: i.number,
                    title: i.title,
                    service: i.service,
                    urgency: i.urgency === 'low' ? 'low' : 'high',
                    status: i.status as 'triggered' | 'acknowledged' | 'resolved',
                    ...(i.htmlUrl ? { htmlUrl: i.htmlUrl } : {}),
                  },
                  ...(diagnosis ? { facts: diagnosis.facts.slice(0, 5).map((f) => f.text) } : {}),
                })
                .catch((err: unknown) => logger.warn({ err, incident: i.number }, 'incident routing failed'));
            },
          }
        : {}),
      ...(pagerduty ? { pagerduty } : {}),
      live,
      platformEmail: async (actor) =>
        (await surfaces.get(actor.surface)?.directory?.lookup(actor.workspaceId, actor.userId))?.email,
    });
    cleanups.push(() => incidents.idle());
    registry.register(...incidentTools({ db, incidents, sandbox: inSandbox, now }));
    const optionSources = new OptionSources().register(
      resourceOptions({ db, provider: providerByName, providers: () => providers, sandbox: inSandbox }),
    );
    const planner = config.ANTHROPIC_API_KEY
      ? await claudePlannerFor(config, config.ANTHROPIC_API_KEY, { db, registry, logger, metrics, sandbox: inSandbox })
      : rulePlanner;
    const engine = createEngine({
      db,
      registry,
      optionSources,
      planner,
      changes,
      bootstrapAdmins: config.BOOTSTRAP_ADMINS,
      defaultRole: config.DEFAULT_ROLE,
      logger,
      metrics,
      now,
      sandbox: inSandbox,
      live,
      // Home's compliance figure (issue 18).
      frameworks: config.frameworks,
    });

    let slack: SlackRuntime | undefined;
    if (slackEnabled(config)) {
      const [{ createSlack }, { createSlackStores }] = await Promise.all([
        import('./surfaces/slack/slack.ts'),
        import('./surfaces/slack/store/stores.ts'),
      ]);
      const started = await createSlack({
        config,
        stores: createSlackStores(db, config.TOKEN_ENCRYPTION_KEY),
        conversations,
        engine,
        logger,
        metrics,
        now,
        sandbox: inSandbox,
        ...(opts.slack ? { tuning: opts.slack } : {}),
      });
      slack = started;
      surfaces.set('slack', started.surface);
      cleanups.push(() => started.stop());
    }

    let teams: TeamsRuntime | undefined;
    if (teamsEnabled(config)) {
      const [{ createTeams }, { createTeamsStores }] = await Promise.all([
        import('./surfaces/teams/teams.ts'),
        import('./surfaces/teams/store/stores.ts'),
      ]);
      const started = createTeams({
        config,
        stores: createTeamsStores(db),
        conversations,
        engine,
        logger,
        now,
        ...(opts.teams ? { tuning: opts.teams } : {}),
      });
      teams = started;
      surfaces.set('teams', started.surface);
      cleanups.push(() => started.stop());
    }

    // Embedded PostgreSQL has no autovacuum: a pass vacuums what it rewrote (store/maintenance.ts).
    const syncOpts = { logger, metrics, concurrency: config.INVENTORY_CONCURRENCY, vacuum: store.embedded, live };
    // A sync now is followed by the metric aggregates (the list's CPU column reads them).
    const syncNow = async () => {
      const outcomes = await syncInventory(db, providers, now(), syncOpts);
      await collectMetrics(db, providers, now(), { logger, vacuum: store.embedded });
      return outcomes;
    };
    // The first answer should not wait for the first scheduled run, nor readiness for cloud APIs
    // (every provider, account and region listed): a provider with a stored inventory serves it
    // and is refreshed in the background; one never synced is listed before the app is ready, so
    // a first start never answers "no instances" only because nothing was read yet.
    const repo = resourceRepository(db);
    const stored = await Promise.all(providers.map(async (p) => (await repo.count({ provider: p.name })) > 0));
    const neverSynced = providers.filter((_, i) => !stored[i]);
    // A provider whose SDK fails to load says so on its first call, like any other cloud error.
    await Promise.all(neverSynced.map((p) => p.load?.().catch(() => undefined)));
    if (neverSynced.length > 0) await syncInventory(db, neverSynced, now(), syncOpts);
    const refresh = providers.filter((_, i) => stored[i]);

    await registerInventoryJobs(scheduler, {
      db,
      providers,
      logger,
      metrics,
      now,
      intervalMs: config.INVENTORY_SYNC_INTERVAL,
      vacuum: store.embedded,
      concurrency: config.INVENTORY_CONCURRENCY,
      metricsIntervalMs: config.METRICS_INTERVAL,
      live,
      ...driftTarget(config.DRIFT_CONVERSATION, surfaces),
    });
    await registerChangeJobs(scheduler, {
      changes,
      intervalMs: config.EXPIRY_CHECK_INTERVAL,
      leaseMs: config.EXECUTION_LEASE,
    });
    await registerGrantJobs(scheduler, {
      db,
      now,
      logger,
      intervalMs: config.EXPIRY_CHECK_INTERVAL,
      post: async (conversation, reply) => surfaces.get(conversation.surface)?.post(conversation, reply),
    });
    await registerScanJobs(scheduler, {
      ...scanDeps,
      logger,
      schedule: config.SCAN_SCHEDULE,
      timezone: config.SCAN_SCHEDULE_TIMEZONE,
      digests: config.scanDigests,
      post: async (conversation, reply) => surfaces.get(conversation.surface)?.post(conversation, reply),
      ...(config.scanDigestReports.length > 0
        ? {
            reports: {
              files: (workspaceId, owner) =>
                digestReportFiles(
                  {
                    db,
                    rules: builtInRules,
                    frameworks: config.frameworks,
                    now,
                    ownerTags: config.scanDigests.ownerTags,
                  },
                  workspaceId,
                  owner,
                  config.scanDigestReports,
                ),
              // In the digest's thread: a digest posted into a channel starts one.
              attach: async (digest, files) => {
                const surface = surfaces.get(digest.surface);
                if (!surface?.attach) return false;
                const thread = digest.conversation.threadId ?? digest.messageId;
                await surface.attach({ ...digest.conversation, threadId: thread }, files);
                return true;
              },
            },
          }
        : {}),
    });
    await registerOffHoursJobs(scheduler, {
      db,
      now,
      provider: providerByName,
      graceMs: config.SCAN_OFF_HOURS_GRACE,
      runner: instanceId,
      logger,
      refresh: (provider, r) => refreshResource(db, provider, r, now(), { logger }),
    });
    await registerIncidentJobs(scheduler, {
      drain: () => incidents.drain(),
      intervalMs: config.INCIDENT_INBOX_INTERVAL,
    });
    if (router) await scheduleHeldFlush(scheduler, router);
    // Team analytics' weekly summary (ANALYTICS_CONVERSATION, ANALYTICS_WEEKLY_AT).
    await registerAnalyticsJobs(scheduler, {
      db,
      now,
      runner: instanceId,
      logger,
      ...config.analyticsWeekly,
      ownerTags: config.scanDigests.ownerTags,
      templates: workspace,
      sandbox: inSandbox,
      post: async (conversation, reply) => surfaces.get(conversation.surface)?.post(conversation, reply),
    });
    await registerRetentionJobs(scheduler, {
      db,
      now,
      logger,
      processedEventsMs: config.RETENTION_PROCESSED_EVENTS,
      messagesMs: config.RETENTION_MESSAGES,
    });
    if (opts.jobs !== false) await scheduler.start();

    // In the sandbox, Alertmanager's webhook is on with a token made for this run (logged below), so
    // that alerts can be tried without configuring anything.
    const alertmanagerTokens =
      config.ALERTMANAGER_TOKENS && config.ALERTMANAGER_TOKENS.length > 0
        ? config.ALERTMANAGER_TOKENS
        : inSandbox && !config.ALERTMANAGER_BASIC_AUTH_USER
          ? [randomBytes(18).toString('base64url')]
          : [];
    // Wrong CONSOLE_TOKENs per address, counted across the console and the dashboard's sign-in form.
    const tokenThrottle = createAuthThrottle();
    const web = dashboardRoutes(config, { db, logger, now, engine, live, templates: workspace, tokenThrottle });
    cleanups.push(web.stop);
    const http = createHttpServer({
      config,
      logger,
      metrics,
      ready: () => store.ping(),
      routes: [
        ...web.routes,
        ...(slack?.routes ?? []),
        ...(teams?.routes ?? []),
        ...incidentRoutes(config, { incidents, logger, metrics, alertmanagerTokens }),
      ],
      console: createConsoleApi({
        config,
        throttle: tokenThrottle,
        conversations,
        engine,
        surface: consoleSurface,
        listConsoleUsers: async () =>
          (await listUsers(db, 'console')).map((u) => ({ userId: u.userId, displayName: u.displayName, role: u.role })),
        reports: scanReports({
          db,
          rules: builtInRules,
          frameworks: config.frameworks,
          now,
          ownerTags: config.scanDigests.ownerTags,
        }),
        live,
      }),
    });
    const { port } = await http.listen();
    cleanups.push(() => http.close());
    // After listening, and after a pause (`refreshDelayMs`): loading the other clouds' SDKs blocks
    // the event loop (GCP's gax and protobufjs alone ~0.5 s), and should not do so just as the
    // first probes and messages of a restart arrive. syncInventory reports failures per provider
    // and never throws. Then the metric aggregates of every provider (the days not yet stored).
    let closing = false;
    let wake = (): void => undefined;
    const pause = new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, opts.refreshDelayMs ?? 1000);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    const synced: Promise<void> = pause
      .then(async () => {
        if (closing) return;
        if (refresh.length > 0) await syncInventory(db, refresh, now(), syncOpts);
        if (closing) return;
        await collectMetrics(db, providers, now(), { logger, vacuum: store.embedded });
      })
      // The database can be down just then (collectMetrics reads its sources first): the
      // scheduled jobs try again; an unhandled rejection here would end the process.
      .catch((err: unknown) => logger.warn({ err }, 'the refresh at start failed; the scheduled jobs will retry'));
    cleanups.push(async () => {
      closing = true;
      wake();
      await synced;
    });
    await slack?.start();
    const host = config.HOST.includes(':') ? `[${config.HOST}]` : config.HOST;
    const url = `http://${host === '0.0.0.0' ? '127.0.0.1' : host}:${port}`;
    // Which cloud this instance talks to: the sandbox, or AWS's endpoints or the one the SDK is configured with.
    const awsEndpoint = aws ? await aws.endpointInUse().catch(() => config.awsEndpoint) : undefined;
    logger.info(
      {
        url,
        embedded: store.embedded,
        sandbox: inSandbox,
        console: config.consoleEnabled,
        ...(aws
          ? { aws: { sandbox: inSandbox, regions: aws.regions, endpoint: awsEndpoint ?? 'AWS default endpoints' } }
          : {}),
        clouds: providers.map((p) => p.name),
        ...(inSandbox && !config.ALERTMANAGER_TOKENS && alertmanagerTokens[0]
          ? // A sandbox-only token made for this run, to try alerts with (it is not a secret of anything else).
            { sandboxAlerts: `POST ${url}/webhooks/alertmanager with "Authorization: Bearer ${alertmanagerTokens[0]}"` }
          : {}),
        sources: providers.reduce((n, p) => n + p.sources().length, 0),
      },
      'DevOps Agent is ready',
    );

    return {
      config,
      logger,
      metrics,
      store,
      engine,
      changes,
      providers,
      sandbox,
      sandboxes,
      scheduler,
      http,
      slack,
      teams,
      incidents,
      live,
      url,
      syncNow,
      synced,
      close: closeAll,
    };
  } catch (e) {
    // Let the cloud start settle first, so that what it started is in `cleanups`.
    await cloudStarting.catch(() => undefined);
    await closeAll();
    throw e;
  }
};

/**
 * The Claude planner (ANTHROPIC_API_KEY set), loaded only then: the Anthropic SDK costs start-up
 * time and memory a deployment without a key should not pay. The key is checked once at start in
 * the background: a refused key is one warning and the grammar answers from then on.
 */
const claudePlannerFor = async (
  config: Config,
  apiKey: string,
  d: { db: Db; registry: ToolRegistry; logger: Logger; metrics: Metrics; sandbox: boolean },
): Promise<Planner> => {
  const [{ createClaudePlanner, checkClaudeKey }, { estateSummary }] = await Promise.all([
    import('./engine/planner/claude/claude-planner.ts'),
    import('./engine/planner/claude/estate.ts'),
  ]);
  const settings = {
    apiKey,
    ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
    model: config.ANTHROPIC_MODEL,
    maxToolCalls: config.ANTHROPIC_MAX_TOOL_CALLS,
    turnTimeoutMs: config.ANTHROPIC_TURN_TIMEOUT,
    maxOutputTokens: config.ANTHROPIC_MAX_OUTPUT_TOKENS,
    maxRetries: config.ANTHROPIC_MAX_RETRIES,
    monthlyTokenBudget: config.ANTHROPIC_MONTHLY_TOKEN_BUDGET,
    historyMessages: config.ANTHROPIC_HISTORY_MESSAGES,
  };
  const logger = d.logger.child({ component: 'claude-planner' });
  const planner = createClaudePlanner({
    settings,
    tools: d.registry.llmTools(),
    fallback: rulePlanner,
    estate: () => estateSummary(d.db, d.sandbox),
    usage: {
      record: (u) =>
        recordUsage(d.db, {
          workspaceId: u.ctx.actor.workspaceId,
          surface: u.ctx.actor.surface,
          actorKey: actorKey(u.ctx.actor),
          conversationId: u.conversationId,
          model: u.model,
          inputTokens: u.inputTokens,
          outputTokens: u.outputTokens,
          cacheReadTokens: u.cacheReadTokens,
          cacheWriteTokens: u.cacheWriteTokens,
        }),
      tokensSince: (workspaceId, since) => workspaceTokensSince(d.db, workspaceId, since),
    },
    secrets: configSecrets(config),
    logger,
    metrics: d.metrics,
  });
  void checkClaudeKey(settings, logger).then((r) => {
    if (r === 'refused') planner.disable();
  });
  logger.info({ model: settings.model, baseURL: settings.baseURL ?? 'default' }, 'AI planner on (Claude)');
  return planner;
};

/**
 * The incident diagnosis's AI summary (ANTHROPIC_API_KEY set), on the planner's model and budget:
 * its tokens are recorded as the bot's in the incident's workspace.
 */
const incidentExplainerFor = async (
  config: Config,
  apiKey: string,
  d: { db: Db; logger: Logger; metrics: Metrics; surfaces: ReadonlyMap<string, SurfaceName> },
): Promise<IncidentExplainer> => {
  const { createIncidentExplainer } = await import('./engine/planner/claude/incident-narrative.ts');
  return createIncidentExplainer({
    settings: {
      apiKey,
      ...(config.ANTHROPIC_BASE_URL ? { baseURL: config.ANTHROPIC_BASE_URL } : {}),
      model: config.ANTHROPIC_MODEL,
      maxOutputTokens: config.ANTHROPIC_MAX_OUTPUT_TOKENS,
      maxRetries: config.ANTHROPIC_MAX_RETRIES,
      turnTimeoutMs: config.ANTHROPIC_TURN_TIMEOUT,
      monthlyTokenBudget: config.ANTHROPIC_MONTHLY_TOKEN_BUDGET,
    },
    usage: {
      record: (u) => {
        const surface = d.surfaces.get(u.workspaceId) ?? 'console';
        return recordUsage(d.db, {
          workspaceId: u.workspaceId,
          surface,
          actorKey: actorKey(remediationActor({ surface, workspaceId: u.workspaceId })),
          model: u.model,
          inputTokens: u.inputTokens,
          outputTokens: u.outputTokens,
          cacheReadTokens: u.cacheReadTokens,
          cacheWriteTokens: u.cacheWriteTokens,
        });
      },
      tokensSince: (workspaceId, since) => workspaceTokensSince(d.db, workspaceId, since),
    },
    secrets: configSecrets(config),
    logger: d.logger.child({ component: 'incident-narrative' }),
    metrics: d.metrics,
  });
};

/** Every secret value the config holds (and the database password): never sent to an LLM. */
const configSecrets = (config: Config): string[] => {
  const values = Object.entries(config)
    .filter(([k, v]) => typeof v === 'string' && isSecretName(k))
    .map(([, v]) => v as string);
  for (const url of [config.DATABASE_URL, config.SMTP_URL]) {
    if (!url) continue;
    try {
      const password = decodeURIComponent(new URL(url).password);
      if (password) values.push(password);
    } catch {
      // Not a URL: the whole value is in the list already.
    }
  }
  // The incident routing's webhook secrets come from variables the routing file names.
  for (const w of config.incidentRouting?.webhooks.values() ?? []) values.push(w.secret);
  return values;
};

/** `<surface>:<workspace>:<channel>` as a conversation (INCIDENT_CHANNEL); undefined when unset or malformed. */
const parseConversation = (value: string | undefined): ConversationRef | undefined => {
  if (!value) return undefined;
  const [surface, workspaceId, ...channel] = value.split(':');
  const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
  return parsed.success ? parsed.data : undefined;
};

/**
 * The alert webhooks, mounted when configured: `/webhooks/pagerduty` (PAGERDUTY_WEBHOOK_SECRETS)
 * and `/webhooks/alertmanager` (ALERTMANAGER_TOKENS or basic auth).
 */
const incidentRoutes = (
  config: Config,
  d: { incidents: IncidentService; logger: Logger; metrics: Metrics; alertmanagerTokens: readonly string[] },
): Route[] => {
  const respond = (r: InboundResult) => json(r.status, r.body, r.headers ?? {});
  const routes: Route[] = [];
  if (config.PAGERDUTY_WEBHOOK_SECRETS && config.PAGERDUTY_WEBHOOK_SECRETS.length > 0) {
    const handle = pagerDutyInbound({ ...d, secrets: config.PAGERDUTY_WEBHOOK_SECRETS });
    // PagerDuty drops a delivery over 256 KB before sending it.
    routes.push({
      method: 'POST',
      path: '/webhooks/pagerduty',
      bodyLimitBytes: 256 * 1024,
      handle: async (req) => respond(await handle(req.rawBody, req.headers)),
    });
  }
  const basic =
    config.ALERTMANAGER_BASIC_AUTH_USER && config.ALERTMANAGER_BASIC_AUTH_PASSWORD
      ? { username: config.ALERTMANAGER_BASIC_AUTH_USER, password: config.ALERTMANAGER_BASIC_AUTH_PASSWORD }
      : undefined;
  if (d.alertmanagerTokens.length > 0 || basic) {
    const handle = alertmanagerInbound({
      ...d,
      bearerTokens: d.alertmanagerTokens,
      ...(basic ? { basic } : {}),
    });
    routes.push({
      method: 'POST',
      path: '/webhooks/alertmanager',
      bodyLimitBytes: 4 * 1024 * 1024,
      handle: async (req) => respond(await handle(req.rawBody, req.headers)),
    });
  }
  return routes;
};

/** DRIFT_CONVERSATION (`<surface>:<workspace>:<channel>`) as the drift job's target, when that surface runs. */
const driftTarget = (
  value: string | undefined,
  surfaces: ReadonlyMap<SurfaceName, ChatSurface>,
): Pick<InventoryJobDeps, 'drift'> => {
  if (!value) return {};
  const [surface, workspaceId, ...channel] = value.split(':');
  const parsed = ConversationRef.safeParse({ surface, workspaceId, channelId: channel.join(':') });
  const target = parsed.success ? surfaces.get(parsed.data.surface) : undefined;
  if (!parsed.success || !target) return {};
  return { drift: { conversation: parsed.data, post: (c, r) => target.post(c, r) } };
};

/**
 * The web dashboard (`/dashboard`) and its sign-in (`/auth/*`): Slack and Microsoft sign-in when
 * those surfaces are configured with PUBLIC_URL, the console's users otherwise (when the console
 * is on). Also keeps the daily cost snapshots the cost trend reads (after each inventory sync any
 * replica announces) and sweeps expired sessions hourly.
 */
const dashboardRoutes = (
  config: Config,
  d: {
    db: Db;
    logger: Logger;
    now: () => Date;
    engine: Pick<Engine, 'handleInteraction'>;
    live: LiveBus;
    templates: TemplateEstimates;
    tokenThrottle: AuthThrottle;
  },
): { routes: Route[]; stop: () => Promise<void> } => {
  const log = d.logger.child({ component: 'dashboard' });
  const slackId = config.DASHBOARD_SLACK_CLIENT_ID ?? config.SLACK_CLIENT_ID;
  const slackSecret = config.DASHBOARD_SLACK_CLIENT_SECRET ?? config.SLACK_CLIENT_SECRET;
  const slack =
    slackId && slackSecret && config.PUBLIC_URL
      ? {
          clientId: slackId,
          clientSecret: slackSecret,
          issuer: config.DASHBOARD_SLACK_ISSUER,
          // Only workspaces the bot serves: SLACK_ALLOWED_TEAMS when set, else one it has met.
          teamAllowed: async (team: string) =>
            config.SLACK_ALLOWED_TEAMS.length > 0
              ? config.SLACK_ALLOWED_TEAMS.includes(team)
              : workspaceKnown(d.db, 'slack', team),
        }
      : undefined;
  const tenants = config.TEAMS_TENANT_ID ? [config.TEAMS_TENANT_ID] : config.TEAMS_ALLOWED_TENANTS;
  const globalAuthority =
    !config.TEAMS_AUTHORITY || new URL(config.TEAMS_AUTHORITY).origin === 'https://login.microsoftonline.com';
  const microsoft =
    config.TEAMS_APP_ID &&
    config.TEAMS_APP_PASSWORD &&
    config.PUBLIC_URL &&
    tenants.length > 0 &&
    (config.TEAMS_TENANT_ID || globalAuthority)
      ? {
          clientId: config.TEAMS_APP_ID,
          clientSecret: config.TEAMS_APP_PASSWORD,
          ...(config.TEAMS_AUTHORITY ? { authority: config.TEAMS_AUTHORITY } : {}),
          ...(config.TEAMS_TENANT_ID ? { tenantId: config.TEAMS_TENANT_ID } : {}),
          allowedTenants: tenants,
        }
      : undefined;
  if (config.TEAMS_APP_ID && !microsoft)
    log.info(
      'Microsoft sign-in to the dashboard is off: it needs PUBLIC_URL, TEAMS_APP_PASSWORD and TEAMS_TENANT_ID or TEAMS_ALLOWED_TENANTS',
    );
  const auth = createWebAuth({
    store: createDashboardAuthStore(d.db),
    logger: d.logger,
    clock: d.now,
    publicUrl: config.PUBLIC_URL,
    sessionTtlMs: config.DASHBOARD_SESSION_TTL,
    roleOf: async (actor) =>
      (await ensureUser(d.db, actor, config.BOOTSTRAP_ADMINS, d.now(), config.DEFAULT_ROLE)).role,
    slack,
    microsoft,
    console: config.consoleEnabled
      ? {
          token: config.CONSOLE_TOKEN,
          throttle: d.tokenThrottle,
          users: async () =>
            (await listUsers(d.db, 'console')).map((u) => ({ userId: u.userId, displayName: u.displayName })),
        }
      : undefined,
  });
  const ownerTags = config.scanDigests.ownerTags;
  const data = createDashboardData({
    db: d.db,
    now: d.now,
    frameworks: config.frameworks,
    ownerTags,
    analytics: (viewer, query) =>
      analyticsView({ db: d.db, now: d.now, ownerTags, templates: d.templates }, viewer, query),
  });
  const dashboard = createDashboard({ data, auth, engine: d.engine, live: { bus: d.live, stream: streamLive } });

  // The cost trend's daily points: one after each sync (any replica's), and one now.
  let snapshot: Promise<void> = Promise.resolve();
  const takeSnapshot = (): void => {
    snapshot = snapshot
      .then(() => recordCostSnapshot(d.db, d.now()))
      .then(() => data.warm())
      .catch((err: unknown) => log.warn({ err }, 'could not record the daily cost snapshot'));
  };
  const unsubscribe = d.live.subscribe((e) => {
    if (e.kind === 'inventory') takeSnapshot();
  });
  takeSnapshot();
  const sweep = setInterval(() => {
    auth.sweep().catch((err: unknown) => log.warn({ err }, 'could not sweep expired dashboard sessions'));
  }, 3_600_000);
  sweep.unref();
  return {
    routes: [...auth.routes, ...dashboard.routes],
    stop: async () => {
      clearInterval(sweep);
      unsubscribe();
      await snapshot;
    },
  };
};
