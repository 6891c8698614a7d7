/**
 * Slack's file upload flow in the Web API fake (files.upload is retired):
 * 1. `files.getUploadURLExternal` (filename, length) → `{ upload_url, file_id }`; the URL is on
 *    this fake (`POST /upload/<file_id>`), as Slack's points to files.slack.com;
 * 2. the bytes are POSTed there: raw, or multipart/form-data with one file part (what
 *    @slack/web-api sends); a length other than the one announced is refused like Slack does;
 * 3. `files.completeUploadExternal` (files: JSON `[{ id, title }]`, channel_id, thread_ts,
 *    initial_comment) shares the uploaded files into the channel or thread.
 * `shared(channel)` is what a user would see there: each file's name, title, bytes and thread.
 */
import type { IncomingMessage } from 'node:http';

export interface FakeFile {
  id: string;
  name: string;
  title: string;
  length: number;
  bytes?: Buffer;
  channel?: string;
  threadTs?: string;
}

type Answer = Record<string, unknown>;

export interface SlackFiles {
  getUploadURLExternal(args: Record<string, unknown>, origin: string): Answer;
  /** `POST /upload/<id>`: the status and body to answer. */
  upload(id: string, req: IncomingMessage, raw: Buffer): Promise<[number, string]>;
  completeUploadExternal(args: Record<string, unknown>, channelExists: (id: string) => boolean): Answer;
  /** Files shared into a channel (every thread), in order. */
  shared(channel: string): FakeFile[];
  /** Every file whose upload URL was handed out, shared or not. */
  all(): FakeFile[];
}

export const createSlackFiles = (): SlackFiles => {
  const files = new Map<string, FakeFile>();
  let next = 1;
  return {
    getUploadURLExternal: (args, origin) => {
      const name = typeof args.filename === 'string' ? args.filename : '';
      const length = Number(args.length);
      if (!name) return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['filename'] } };
      if (!Number.isInteger(length) || length < 0)
        return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['length'] } };
      const id = `F0FILE${String(next++).padStart(5, '0')}`;
      files.set(id, { id, name, title: name, length });
      return { ok: true, upload_url: `${origin}/upload/${id}`, file_id: id };
    },
    upload: async (id, req, raw) => {
      const file = files.get(id);
      if (!file) return [404, 'file not found'];
      const type = req.headers['content-type'] ?? '';
      let bytes = raw;
      if (type.startsWith('multipart/form-data')) {
        const form = await new Request('http://fake/upload', {
          method: 'POST',
          headers: { 'content-type': type },
          body: new Uint8Array(raw),
        }).formData();
        const part = [...form.values()].find((v): v is File => typeof v !== 'string');
        if (!part) return [400, 'no file part'];
        bytes = Buffer.from(await part.arrayBuffer());
      }
      if (bytes.length !== file.length) return [400, `length ${bytes.length} is not the announced ${file.length}`];
      file.bytes = bytes;
      return [200, `OK - ${bytes.length}`];
    },
    completeUploadExternal: (args, channelExists) => {
      const list = args.files;
      if (!Array.isArray(list) || list.length === 0) return { ok: false, error: 'invalid_arguments' };
      const channel = typeof args.channel_id === 'string' ? args.channel_id : undefined;
      if (channel !== undefined && !channelExists(channel)) return { ok: false, error: 'channel_not_found' };
      const done: FakeFile[] = [];
      for (const entry of list as Array<{ id?: unknown; title?: unknown }>) {
        const file = typeof entry.id === 'string' ? files.get(entry.id) : undefined;
        // A file whose bytes never arrived cannot be completed.
        if (!file?.bytes) return { ok: false, error: 'file_not_found' };
        if (typeof entry.title === 'string' && entry.title) file.title = entry.title;
        done.push(file);
      }
      for (const file of done) {
        if (channel) file.channel = channel;
        if (typeof args.thread_ts === 'string') file.threadTs = args.thread_ts;
      }
      return { ok: true, files: done.map((f) => ({ id: f.id, name: f.name, title: f.title, size: f.length })) };
    },
    shared: (channel) => [...files.values()].filter((f) => f.channel === channel).map((f) => ({ ...f })),
    all: () => [...files.values()].map((f) => ({ ...f })),
  };
};
