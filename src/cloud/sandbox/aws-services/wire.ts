import { XMLBuilder } from 'fast-xml-parser';
import type { Transition } from '../call.ts';
import type { SandboxFleet } from '../model.ts';
import type { SandboxAwsAccount } from './model.ts';

/**
 * What the account-service emulators share: the error they answer with, the Query/REST-XML and
 * JSON bodies, and the offset tokens behind every paged list.
 */

/** An AWS error as it goes back on the wire: the service's own code, message and HTTP status. */
export class ServiceError extends Error {
  readonly awsCode: string;
  readonly status: number;
  constructor(awsCode: string, message: string, status = 400) {
    super(message);
    this.name = 'ServiceError';
    this.awsCode = awsCode;
    this.status = status;
  }
}

/** One decoded call as a service handler sees it. */
export interface ServiceCall {
  /** The region from the SigV4 credential scope. */
  region: string;
  account: SandboxAwsAccount;
  now: () => Date;
  /** The most items this service returns per page, whatever the caller asked for (AWS may return fewer too). */
  pageCap: number;
  /** How long a transitional status lasts (creating, deleting, a PENDING change): by the clock or by describes. */
  transition: Transition;
  /** The account's EC2 fleet (instances, load balancers), which Route 53's health checkers probe. */
  fleet?: SandboxFleet | undefined;
}

export type XmlNode = Record<string, unknown>;
export type Params = Record<string, string>;

const builder = new XMLBuilder({ ignoreAttributes: false, attributeNamePrefix: '@_', suppressEmptyNode: false });
export const xmlDeclaration = '<?xml version="1.0" encoding="UTF-8"?>\n';
export const buildXml = (root: XmlNode): string => xmlDeclaration + builder.build(root);

/** A wrapped XML list (`<DBInstances><DBInstance>…`): an empty string for none, so the element is still there. */
export const xmlList = (member: string, items: XmlNode[] | string[]): XmlNode | string =>
  items.length > 0 ? { [member]: items } : '';

export const iso = (d: Date): string => d.toISOString();
/** awsJson timestamps are epoch seconds. */
export const epochSeconds = (d: Date): number => d.getTime() / 1000;

/** Drops undefined fields, so optional members are left out of XML and JSON alike. */
export const defined = <T extends Record<string, unknown>>(o: T): T =>
  Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;

/**
 * One page of `items` from an opaque offset token. `asked` is the caller's page size (MaxRecords,
 * Limit…), bounded by `call.pageCap`; a token this emulator did not hand out is refused with
 * `badToken`, as AWS refuses a forged one.
 */
export const pageOf = <T>(
  items: T[],
  token: string | undefined,
  asked: number | undefined,
  call: ServiceCall,
  badToken: ServiceError,
): { items: T[]; next?: string } => {
  let offset = 0;
  if (token) {
    const m = /^sandbox:(\d+)$/.exec(Buffer.from(token, 'base64url').toString('utf8'));
    if (!m) throw badToken;
    offset = Number(m[1]);
  }
  const size = Math.max(1, Math.min(asked ?? Number.MAX_SAFE_INTEGER, call.pageCap));
  const end = offset + size;
  return {
    items: items.slice(offset, end),
    ...(end < items.length ? { next: Buffer.from(`sandbox:${end}`).toString('base64url') } : {}),
  };
};

/** An integer request parameter, or undefined when absent; `bad` when it is not one. */
export const intParam = (v: unknown, bad: () => ServiceError): number | undefined => {
  if (v === undefined || v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isInteger(n)) throw bad();
  return n;
};
