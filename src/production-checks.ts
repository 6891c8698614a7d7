import type { Config } from './config.ts';

/**
 * What `NODE_ENV=production` means: a few settings that are right for trying the bot out are
 * wrong for a team that relies on it. Pure: main.ts prints the refusals and exits 1, or logs the
 * warnings and starts. README "Production mode" documents the table below.
 *
 * | check | why | verdict |
 * |---|---|---|
 * | embedded database (no `DATABASE_URL`) | PGlite never fsyncs (a power loss loses data) and serves one process | refuse |
 * | sandbox cloud | every inventory answer and every change is the local emulator's, not a real cloud's | refuse |
 * | no chat surface (no Slack, no Teams) | only the web console reaches the bot, where anyone with access acts as any user | warn |
 * | Teams without `TEAMS_APP_ID` (anonymous) | anyone who reaches /api/messages could act as any Teams user | refuse, always |
 * | console off on a non-loopback `HOST` without `CONSOLE_TOKEN` | the console is off on purpose; said so that nobody looks for it | warn |
 *
 * `ALLOW_UNSAFE_PRODUCTION=true` turns the refusals into warnings (a demo, a single-user install),
 * except anonymous Teams: the Agents SDK itself refuses to run without a client id in production
 * (`ClientIdRequiredInProduction`), so there is nothing to allow.
 */
export type ProductionCheckCode =
  'embedded_database' | 'sandbox_cloud' | 'no_chat_surface' | 'console_off' | 'teams_anonymous';

export interface ProductionFinding {
  code: ProductionCheckCode;
  message: string;
}

export interface ProductionVerdict {
  /** Findings that stop start-up (empty when ALLOW_UNSAFE_PRODUCTION=true). */
  refusals: ProductionFinding[];
  /** Findings that are logged at warn level at start. */
  warnings: ProductionFinding[];
}

type Checked = Pick<
  Config,
  | 'NODE_ENV'
  | 'ALLOW_UNSAFE_PRODUCTION'
  | 'DATABASE_URL'
  | 'DATA_DIR'
  | 'SANDBOX'
  | 'sandbox'
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_CLIENT_ID'
  | 'TEAMS_ENABLED'
  | 'TEAMS_APP_ID'
  | 'CONSOLE_ENABLED'
  | 'consoleEnabled'
  | 'HOST'
>;

/** Teams is on (the same rule as src/surfaces/teams/enabled.ts, which this layer may not import). */
const teamsOn = (c: Checked): boolean =>
  c.TEAMS_ENABLED === 'on' || (c.TEAMS_ENABLED === 'auto' && Boolean(c.TEAMS_APP_ID));

export const productionChecks = (c: Checked): ProductionVerdict => {
  const none: ProductionVerdict = { refusals: [], warnings: [] };
  if (c.NODE_ENV !== 'production') return none;
  const unsafe: ProductionFinding[] = [];
  const warnings: ProductionFinding[] = [];

  if (!c.DATABASE_URL)
    unsafe.push({
      code: 'embedded_database',
      message:
        `the database is embedded PostgreSQL in DATA_DIR (${c.DATA_DIR}), which never fsyncs and serves one process: ` +
        'set DATABASE_URL to a PostgreSQL server',
    });
  if (c.sandbox)
    unsafe.push({
      code: 'sandbox_cloud',
      message:
        c.SANDBOX === 'on'
          ? 'SANDBOX=on: the cloud is the local sandbox emulator, not a real cloud: set SANDBOX=auto or off'
          : 'the cloud is the local sandbox emulator (no AWS credentials or AWS_ENDPOINT_URL found): give the process AWS credentials',
    });
  if (!c.SLACK_BOT_TOKEN && !c.SLACK_CLIENT_ID && !teamsOn(c))
    warnings.push({
      code: 'no_chat_surface',
      message: c.consoleEnabled
        ? 'no chat surface is configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID, TEAMS_APP_ID): only the web console reaches the bot, and whoever opens it may act as any console user'
        : 'no chat surface is configured (SLACK_BOT_TOKEN or SLACK_CLIENT_ID, TEAMS_APP_ID) and the web console is off: nobody can talk to the bot',
    });
  // Not subject to ALLOW_UNSAFE_PRODUCTION: the Agents SDK refuses it in production anyway.
  const always: ProductionFinding[] =
    teamsOn(c) && !c.TEAMS_APP_ID
      ? [
          {
            code: 'teams_anonymous',
            message:
              'TEAMS_ENABLED=on without TEAMS_APP_ID: /api/messages would accept activities from anyone (anonymous emulator mode); set TEAMS_APP_ID and TEAMS_APP_PASSWORD from the Azure bot registration',
          },
        ]
      : [];
  // `auto` turns the console on for a loopback HOST or a token; off here means neither.
  if (c.CONSOLE_ENABLED === 'auto' && !c.consoleEnabled)
    warnings.push({
      code: 'console_off',
      message: `the web console is off: HOST=${c.HOST} is not loopback and CONSOLE_TOKEN is not set`,
    });

  if (c.ALLOW_UNSAFE_PRODUCTION)
    return {
      refusals: always,
      warnings: [
        ...unsafe.map((f) => ({ ...f, message: `${f.message} (allowed by ALLOW_UNSAFE_PRODUCTION=true)` })),
        ...warnings,
      ],
    };
  return {
    refusals: [
      ...unsafe.map((f) => ({
        ...f,
        message: `${f.message}, or set ALLOW_UNSAFE_PRODUCTION=true to start anyway`,
      })),
      ...always,
    ],
    warnings,
  };
};
