import { z } from 'zod';
import type { ConversationRef } from '../../chat/actor.ts';
import { reply, type Reply } from '../../chat/reply.ts';
import type { ChatFile } from '../../chat/surface.ts';
import { AppError } from '../../errors.ts';
import type { Logger } from '../../observability/logger.ts';
import type { Connector } from './connector.ts';
import type { Delivery } from './deliver.ts';

/**
 * Files in a Teams conversation (the scan digests' reports). A bot cannot attach a file to a
 * channel message through the Bot Framework (file consent cards work only in personal chat); the
 * documented way is Microsoft Graph, with the bot's own app credentials (client credentials, the
 * application permission Files.ReadWrite.All, admin-consented):
 * 1. `GET /teams/{group-id}/channels/{channel-id}/filesFolder` → the channel's folder (a
 *    driveItem: its id and `parentReference.driveId`) in the team's SharePoint library;
 * 2. `PUT /drives/{drive-id}/items/{folder-id}:/{name}:/content` with the bytes (a simple upload,
 *    for files up to 250 MB; a report is far smaller) → the new driveItem with its `webUrl`;
 * 3. a reply in the conversation's thread through the Bot Connector that links each file.
 * Chats (personal, group) have no channel folder; there, or without Graph (no app credentials,
 * the permission refused), the thread gets a message saying what was not attached and how to get
 * the same content from the bot. The console serves only its own workspace's reports, so a Teams
 * thread gets no console link.
 */
export interface TeamsGraph {
  /** TEAMS_GRAPH_URL: `https://graph.microsoft.com/v1.0`, a national cloud's, or a test fake. */
  url: string;
  /** An app-only Graph token for a tenant; '' when the bot has no credentials (anonymous mode). */
  token(tenantId: string): Promise<string>;
}

const DriveItem = z.looseObject({
  id: z.string().min(1),
  name: z.string().optional(),
  webUrl: z.url().optional(),
  parentReference: z.looseObject({ driveId: z.string().min(1).optional() }).optional(),
});
type DriveItem = z.infer<typeof DriveItem>;

/** Graph answered an error: its status and code (`accessDenied`, `itemNotFound`…). */
export class GraphError extends AppError {
  readonly status: number;
  readonly graphCode: string;
  constructor(what: string, status: number, graphCode: string) {
    super(
      status === 401 || status === 403 ? 'forbidden' : status === 404 ? 'not_found' : 'unavailable',
      `Microsoft Graph refused ${what}: ${status} ${graphCode}`,
    );
    this.name = 'GraphError';
    this.status = status;
    this.graphCode = graphCode;
  }
}

const GraphErrorBody = z.looseObject({ error: z.looseObject({ code: z.string().max(200) }) });

export const createTeamsFiles = (d: {
  connector: Pick<Connector, 'place'>;
  delivery: Pick<Delivery, 'post'>;
  graph?: TeamsGraph | undefined;
  logger: Logger;
  timeoutMs?: number;
}) => {
  const log = d.logger.child({ component: 'teams-files' });
  const timeoutMs = d.timeoutMs ?? 30_000;
  const base = d.graph?.url.replace(/\/+$/, '');

  const call = async (what: string, token: string, path: string, init: RequestInit = {}): Promise<DriveItem> => {
    const res = await fetch(`${base}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, accept: 'application/json', ...init.headers },
      signal: AbortSignal.timeout(timeoutMs),
    });
    const body: unknown = await res.json().catch(() => undefined);
    if (!res.ok) {
      const e = GraphErrorBody.safeParse(body);
      throw new GraphError(what, res.status, e.success ? e.data.error.code : 'unknown');
    }
    const item = DriveItem.safeParse(body);
    if (!item.success) throw new AppError('unavailable', `Microsoft Graph answered ${what} with an unexpected body`);
    return item.data;
  };

  /** Uploads into the channel's Files folder; the driveItems' links, in order. */
  const upload = async (
    tenantId: string,
    teamGroupId: string,
    channelId: string,
    token: string,
    files: readonly ChatFile[],
  ): Promise<Array<{ file: ChatFile; webUrl: string }>> => {
    const folder = await call(
      "the channel's files folder",
      token,
      `/teams/${encodeURIComponent(teamGroupId)}/channels/${encodeURIComponent(channelId)}/filesFolder`,
    );
    const driveId = folder.parentReference?.driveId;
    if (!driveId) throw new AppError('unavailable', `Microsoft Graph gave no drive for the files of ${channelId}`);
    const out: Array<{ file: ChatFile; webUrl: string }> = [];
    for (const file of files) {
      const item = await call(
        `the upload of ${file.name}`,
        token,
        `/drives/${encodeURIComponent(driveId)}/items/${encodeURIComponent(folder.id)}:/${encodeURIComponent(file.name)}:/content`,
        { method: 'PUT', headers: { 'content-type': file.mimeType }, body: new Uint8Array(file.bytes) },
      );
      if (!item.webUrl) throw new AppError('unavailable', `Microsoft Graph gave no link for ${file.name}`);
      out.push({ file, webUrl: item.webUrl });
    }
    log.info({ tenantId, channelId, files: out.length }, 'files uploaded to a Teams channel');
    return out;
  };

  const linked = (uploaded: Array<{ file: ChatFile; webUrl: string }>): Reply =>
    reply([
      {
        type: 'text',
        text: [
          '*Reports of this digest*, in the channel’s Files:',
          ...uploaded.map((u) => `• [${u.file.name}](${u.webUrl}): ${u.file.title}`),
        ].join('\n'),
      },
    ]);

  const explained = (files: readonly ChatFile[], why: string): Reply =>
    reply([
      { type: 'text', text: `*Reports of this digest* (not attached: ${why}):` },
      { type: 'text', text: files.map((f) => `• ${f.title}`).join('\n') },
      {
        type: 'context',
        text: 'Ask me here for the same: `findings owner=<owner>` lists the findings, `compliance <framework>` scores a framework.',
      },
    ]);

  return {
    attach: async (conversation: ConversationRef, files: readonly ChatFile[]): Promise<void> => {
      if (files.length === 0) return;
      const place = await d.connector.place(conversation);
      let why: string;
      if (place.conversationType !== 'channel')
        why = 'Teams lets a bot share files only in a channel, through its Files tab';
      else if (!d.graph) why = 'Microsoft Graph is not configured';
      else if (!place.teamGroupId) why = 'Teams did not say which team this channel belongs to';
      else {
        const token = await d.graph.token(conversation.workspaceId);
        if (!token) why = 'the bot has no app credentials for Microsoft Graph (TEAMS_APP_ID)';
        else {
          try {
            const uploaded = await upload(
              conversation.workspaceId,
              place.teamGroupId,
              conversation.channelId,
              token,
              files,
            );
            return void (await d.delivery.post(conversation, linked(uploaded)));
          } catch (e) {
            const refused = e instanceof GraphError && (e.status === 401 || e.status === 403);
            log.warn(
              { err: e, channelId: conversation.channelId },
              refused
                ? 'Microsoft Graph refused the report upload: grant the app the Files.ReadWrite.All application permission (admin consent)'
                : 'could not upload the reports to the Teams channel',
            );
            why = refused
              ? 'Microsoft Graph refused the upload; an admin grants the bot Files.ReadWrite.All'
              : 'the upload to the channel’s Files failed';
          }
        }
      }
      await d.delivery.post(conversation, explained(files, why));
    },
  };
};
