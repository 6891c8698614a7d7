/**
 * Loopback wire fake of the Microsoft Graph calls the Teams surface makes to share a file in a
 * channel (src/surfaces/teams/files.ts); point TEAMS_GRAPH_URL at `fake.url` (`…/v1.0`).
 * - `GET /v1.0/teams/{group-id}/channels/{channel-id}/filesFolder` → the channel's folder as a
 *   driveItem (`id`, `name`, `webUrl`, `parentReference.driveId`) for a channel registered with
 *   `channels`, else 404 `{ error: { code: 'NotFound' } }`;
 * - `PUT /v1.0/drives/{drive-id}/items/{folder-id}:/{file name}:/content` with the bytes → 201
 *   and the new driveItem (`id`, `name`, `size`, `webUrl`, `file.mimeType`); the same name again
 *   replaces it (200), as Graph does by default.
 * Every call needs `Authorization: Bearer <token>` (the `token` option), else 401
 * `InvalidAuthenticationToken`; `failNext(status, code)` scripts the next answer (403
 * `accessDenied` is what a missing Files.ReadWrite.All gives).
 *
 * No token endpoint: the bot gets its Graph token from the Agents SDK's token provider (MSAL),
 * the same one that gets its Bot Connector token, and MSAL refuses a non-https authority
 * (`authority_uri_insecure`); tests stub that provider (TeamsTuning.accessToken, per scope) and
 * this fake checks the bearer the stub issued for Graph's resource.
 */
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface GraphChannel {
  groupId: string;
  channelId: string;
  /** The channel's folder name (its display name). */
  name: string;
}

export interface GraphFile {
  id: string;
  driveId: string;
  folderId: string;
  name: string;
  mimeType: string;
  bytes: Buffer;
  webUrl: string;
}

export interface GraphCall {
  method: string;
  path: string;
  authorization: string | null;
  status: number;
}

export interface GraphFake {
  /** The Graph base URL, with the version: `http://127.0.0.1:P/v1.0`. */
  readonly url: string;
  readonly calls: GraphCall[];
  /** Files uploaded into a channel's folder, in order. */
  files(channelId: string): GraphFile[];
  failNext(status: number, code: string): void;
  stop(): Promise<void>;
}

const readBody = async (req: IncomingMessage): Promise<Buffer> => {
  const parts: Buffer[] = [];
  for await (const p of req) parts.push(p as Buffer);
  return Buffer.concat(parts);
};

export const startGraphFake = async (opts: { token: string; channels: GraphChannel[] }): Promise<GraphFake> => {
  const calls: GraphCall[] = [];
  const failures: Array<{ status: number; code: string }> = [];
  const uploaded: GraphFile[] = [];
  const folders = opts.channels.map((c, i) => ({ ...c, driveId: `b!drive-${i + 1}`, folderId: `folder-${i + 1}` }));
  let next = 1;
  let origin = '';

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const body = await readBody(req);
      const send = (status: number, json: unknown) => {
        calls.push({
          method: req.method ?? '',
          path: url.pathname,
          authorization: req.headers.authorization ?? null,
          status,
        });
        res.writeHead(status, { 'content-type': 'application/json' });
        res.end(JSON.stringify(json));
      };
      const failure = failures.shift();
      if (failure) return send(failure.status, { error: { code: failure.code, message: 'scripted' } });
      if (req.headers.authorization !== `Bearer ${opts.token}`)
        return send(401, {
          error: { code: 'InvalidAuthenticationToken', message: 'Access token is empty or invalid.' },
        });
      const folderPath = /^\/v1\.0\/teams\/([^/]+)\/channels\/([^/]+)\/filesFolder$/.exec(url.pathname);
      if (folderPath && req.method === 'GET') {
        const [groupId, channelId] = [decodeURIComponent(folderPath[1]!), decodeURIComponent(folderPath[2]!)];
        const f = folders.find((x) => x.groupId === groupId && x.channelId === channelId);
        if (!f) return send(404, { error: { code: 'NotFound', message: 'No team or channel found' } });
        return send(200, {
          id: f.folderId,
          name: f.name,
          webUrl: `${origin}/sites/team/Shared%20Documents/${encodeURIComponent(f.name)}`,
          folder: { childCount: uploaded.filter((u) => u.folderId === f.folderId).length },
          parentReference: { driveId: f.driveId, driveType: 'documentLibrary' },
        });
      }
      const put = /^\/v1\.0\/drives\/([^/]+)\/items\/([^/]+):\/([^/]+):\/content$/.exec(url.pathname);
      if (put && req.method === 'PUT') {
        const [driveId, folderId, name] = put.slice(1).map((p) => decodeURIComponent(p!)) as [string, string, string];
        const f = folders.find((x) => x.driveId === driveId && x.folderId === folderId);
        if (!f) return send(404, { error: { code: 'itemNotFound', message: 'The resource could not be found.' } });
        const existing = uploaded.find((u) => u.folderId === folderId && u.name === name);
        const file: GraphFile = {
          id: existing?.id ?? `item-${next++}`,
          driveId,
          folderId,
          name,
          mimeType: req.headers['content-type'] ?? 'application/octet-stream',
          bytes: body,
          webUrl: `${origin}/sites/team/Shared%20Documents/${encodeURIComponent(f.name)}/${encodeURIComponent(name)}`,
        };
        if (existing) uploaded.splice(uploaded.indexOf(existing), 1, file);
        else uploaded.push(file);
        return send(existing ? 200 : 201, {
          id: file.id,
          name,
          size: body.length,
          webUrl: file.webUrl,
          file: { mimeType: file.mimeType },
          parentReference: { driveId, id: folderId },
        });
      }
      return send(404, { error: { code: 'BadRequest', message: `no route ${req.method} ${url.pathname}` } });
    })().catch((e: unknown) => {
      res.writeHead(500);
      res.end(String(e));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: `${origin}/v1.0`,
    calls,
    files: (channelId) => {
      const f = folders.filter((x) => x.channelId === channelId).map((x) => x.folderId);
      return uploaded.filter((u) => f.includes(u.folderId));
    },
    failNext: (status, code) => void failures.push({ status, code }),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};
