import { and, eq, isNotNull, sql } from '../../../store/orm.ts';
import type { Installation, InstallationQuery, InstallationStore } from '@slack/bolt';
import { z } from 'zod';
import { AppError } from '../../../errors.ts';
import type { Logger } from '../../../observability/logger.ts';
import type { Db } from '../../../store/db.ts';
import type { SecretBox } from '../../../store/secret-box.ts';
import { slackEnterpriseTeams, slackInstallations } from './schema.ts';

/**
 * Bolt's InstallationStore in our database: the OAuth callback stores a workspace's installation
 * (sealed: tokens are never stored in clear), `authorize` fetches it for every request from that
 * workspace, uninstalling deletes it. An org-wide (Enterprise Grid) install is one row for every
 * workspace of the org; the workspaces a request came from are remembered with their org, so
 * outbound calls, which know only the workspace, find the org's installation too (`botFor`).
 */
export class InstallationMissingError extends AppError {
  constructor(what: string) {
    super(
      'not_found',
      `no Slack installation for ${what}: install the app (GET /slack/install) in that workspace first`,
    );
    this.name = 'InstallationMissingError';
  }
}

export interface BotAuth {
  token: string;
  /** Installed org-wide: the token covers many workspaces, so every call must name its workspace (team_id). */
  orgWide: boolean;
}

export interface SlackInstallationStore extends InstallationStore {
  /** The bot token for calls into a workspace: its own installation, else its org's (throws InstallationMissingError). */
  botFor(teamId: string): Promise<BotAuth>;
  /** At start-up: seals rows stored in clear by earlier versions; logs rows the key cannot open. Never throws. */
  prepare(): Promise<void>;
}

type Row = typeof slackInstallations.$inferSelect;

/** Enough of the decrypted installation to trust it is one; Bolt reads the rest. */
const StoredInstallation = z.looseObject({
  bot: z.looseObject({ token: z.string().optional() }).optional(),
  isEnterpriseInstall: z.boolean().optional(),
});

const idFor = (q: {
  isEnterpriseInstall?: boolean;
  enterpriseId?: string | undefined;
  teamId?: string | undefined;
}): string => {
  if (q.isEnterpriseInstall) {
    if (!q.enterpriseId) throw new InstallationMissingError('an org install without an enterprise id');
    return `enterprise:${q.enterpriseId}`;
  }
  if (!q.teamId) throw new InstallationMissingError('a request without a team id');
  return `team:${q.teamId}`;
};

const REINSTALL_HINT = 'reinstall the app there (GET /slack/install) or restore TOKEN_ENCRYPTION_KEY';

export const createInstallationStore = (db: Db, d: { box: SecretBox; logger: Logger }): SlackInstallationStore => {
  const log = d.logger.child({ component: 'slack-installations' });
  /** team → enterprise pairs this process already wrote, so a request costs no write. */
  const remembered = new Map<string, string>();

  const byId = async (id: string): Promise<Row | undefined> =>
    (await db.select().from(slackInstallations).where(eq(slackInstallations.id, id)))[0];

  /** Seals a row written in clear; only if nobody replaced its plaintext meanwhile. */
  const seal = async (row: Row & { installation: Record<string, unknown> }): Promise<void> => {
    await db
      .update(slackInstallations)
      .set({ installation: null, sealedInstallation: d.box.seal(JSON.stringify(row.installation), row.id) })
      .where(
        and(
          eq(slackInstallations.id, row.id),
          sql`${slackInstallations.installation} = ${JSON.stringify(row.installation)}::jsonb`,
        ),
      );
  };

  /** The row's installation, or undefined (logged) when the key cannot open it. */
  const open = async (row: Row): Promise<Installation | undefined> => {
    // Plaintext is what an older replica wrote last (this version clears it on every write).
    if (row.installation) {
      const legacy = { ...row, installation: row.installation };
      await seal(legacy).catch((err: unknown) =>
        log.warn({ installation: row.id, err }, 'could not seal a Slack installation stored in clear; will retry'),
      );
      return row.installation as unknown as Installation;
    }
    try {
      if (!row.sealedInstallation) throw new AppError('internal', 'the row holds no installation');
      return StoredInstallation.parse(
        JSON.parse(d.box.open(row.sealedInstallation, row.id)),
      ) as unknown as Installation;
    } catch (e) {
      log.error(
        {
          installation: row.id,
          teamId: row.teamId,
          enterpriseId: row.enterpriseId,
          keyId: d.box.keyId,
          reason: (e as Error).message,
        },
        `Slack installation ${row.id} cannot be decrypted with TOKEN_ENCRYPTION_KEY: ${REINSTALL_HINT}`,
      );
      return undefined;
    }
  };

  /** Records that a workspace belongs to an org (from a request Slack signed); a failure only costs outbound lookups. */
  const remember = async (teamId: string, enterpriseId: string): Promise<void> => {
    if (remembered.get(teamId) === enterpriseId) return;
    try {
      await db
        .insert(slackEnterpriseTeams)
        .values({ teamId, enterpriseId })
        .onConflictDoUpdate({ target: slackEnterpriseTeams.teamId, set: { enterpriseId, seenAt: sql`now()` } });
      remembered.set(teamId, enterpriseId);
    } catch (err) {
      log.warn({ teamId, enterpriseId, err }, 'could not record the org of a Slack workspace');
    }
  };

  const enterpriseOf = async (teamId: string): Promise<string | undefined> =>
    (await db.select().from(slackEnterpriseTeams).where(eq(slackEnterpriseTeams.teamId, teamId)))[0]?.enterpriseId;

  /** The workspace's own row; else, for a workspace of an org installed org-wide, the org's row. */
  const find = async (query: InstallationQuery<boolean>): Promise<Row | undefined> => {
    const own = await byId(idFor(query));
    if (own || query.isEnterpriseInstall || !query.teamId) return own;
    // Requests name the org; outbound calls know only the workspace, so ask what requests taught us.
    const enterpriseId = query.enterpriseId ?? (await enterpriseOf(query.teamId));
    return enterpriseId ? byId(`enterprise:${enterpriseId}`) : undefined;
  };

  const fetchInstallation = async (query: InstallationQuery<boolean>): Promise<Installation> => {
    const what = query.isEnterpriseInstall ? `enterprise ${query.enterpriseId}` : `team ${query.teamId}`;
    const row = await find(query);
    if (!row) throw new InstallationMissingError(what);
    const installation = await open(row);
    if (!installation)
      throw new InstallationMissingError(`${what} (its stored installation cannot be decrypted: ${REINSTALL_HINT})`);
    // A request from a workspace of an org-wide install: remember the pair for outbound calls.
    if (row.isEnterpriseInstall && row.enterpriseId && query.teamId && query.teamId !== row.enterpriseId)
      await remember(query.teamId, row.enterpriseId);
    return installation;
  };

  return {
    storeInstallation: async (installation) => {
      const isEnterpriseInstall = installation.isEnterpriseInstall === true;
      const id = idFor({
        isEnterpriseInstall,
        enterpriseId: installation.enterprise?.id,
        teamId: installation.team?.id,
      });
      const row = {
        id,
        teamId: installation.team?.id ?? null,
        enterpriseId: installation.enterprise?.id ?? null,
        isEnterpriseInstall,
        installation: null,
        sealedInstallation: d.box.seal(JSON.stringify(installation), id),
      };
      // Reinstalling (new scopes, a rotated token, a lost key) replaces the old installation.
      await db
        .insert(slackInstallations)
        .values(row)
        .onConflictDoUpdate({ target: slackInstallations.id, set: { ...row, updatedAt: sql`now()` } });
    },

    fetchInstallation,

    deleteInstallation: async (query: InstallationQuery<boolean>) => {
      await db.delete(slackInstallations).where(eq(slackInstallations.id, idFor(query)));
    },

    botFor: async (teamId) => {
      const installation = await fetchInstallation({ teamId, enterpriseId: undefined, isEnterpriseInstall: false });
      const token = installation.bot?.token;
      if (!token) throw new InstallationMissingError(`team ${teamId} (it has no bot token)`);
      return { token, orgWide: installation.isEnterpriseInstall === true };
    },

    prepare: async () => {
      try {
        const legacy = await db.select().from(slackInstallations).where(isNotNull(slackInstallations.installation));
        for (const row of legacy) await seal({ ...row, installation: row.installation! });
        if (legacy.length > 0)
          log.info({ count: legacy.length }, 'sealed Slack installations stored in clear by an earlier version');
        const unreadable: string[] = [];
        for (const row of await db.select().from(slackInstallations)) {
          if (row.installation || !row.sealedInstallation) continue;
          try {
            d.box.open(row.sealedInstallation, row.id);
          } catch {
            unreadable.push(row.id);
          }
        }
        if (unreadable.length > 0)
          log.error(
            { installations: unreadable, keyId: d.box.keyId },
            `${unreadable.length} Slack installation(s) cannot be decrypted with TOKEN_ENCRYPTION_KEY and are treated as not installed: ${REINSTALL_HINT}`,
          );
      } catch (err) {
        log.warn({ err }, 'could not check the stored Slack installations at start-up');
      }
    },
  };
};
