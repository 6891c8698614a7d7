import { XMLParser } from 'fast-xml-parser';
import type { SandboxBucket } from './model.ts';
import { ServiceError, defined, intParam, iso, pageOf, xmlList } from './wire.ts';
import type { ServiceCall, XmlNode } from './wire.ts';

/**
 * S3 over REST-XML, path style (`GET /`, `GET /<bucket>?<subresource>`): ListBuckets (max-buckets,
 * continuation-token) and the bucket configuration reads a scan needs. A bucket answers only in its
 * own region (elsewhere 301 PermanentRedirect, as S3 does); GetBucketLocation answers anywhere.
 * PutPublicAccessBlock and DeletePublicAccessBlock (`PUT`/`DELETE /<bucket>?publicAccessBlock`)
 * change the bucket's Block Public Access, answering 200 and 204 with no body as S3 does.
 */

export const s3Namespace = 'http://s3.amazonaws.com/doc/2006-03-01/';

/** An S3 call: the bucket from the path (undefined for `/`) and the query string. */
export interface S3Request {
  method: string;
  bucket: string | undefined;
  query: URLSearchParams;
  /** The request body (PUT's XML document); empty otherwise. */
  body: string;
}

/** The XML document to answer (one root element), or undefined for S3's empty answers (PUT 200, DELETE 204). */
export type S3Handler = (call: ServiceCall, req: S3Request, bucket: SandboxBucket | undefined) => XmlNode | undefined;

const doc = (root: string, body: XmlNode | string): XmlNode => ({
  [root]: typeof body === 'string' ? { '@_xmlns': s3Namespace, '#text': body } : { '@_xmlns': s3Namespace, ...body },
});

const need = (req: S3Request, b: SandboxBucket | undefined): SandboxBucket => {
  if (!b) throw new ServiceError('NoSuchBucket', 'The specified bucket does not exist', 404);
  return b;
};

const listBuckets: S3Handler = (call, req) => {
  const bad = () => new ServiceError('InvalidArgument', 'Invalid max-buckets: must be 1 to 10000');
  const asked = intParam(req.query.get('max-buckets') ?? undefined, bad);
  if (asked !== undefined && (asked < 1 || asked > 10_000)) throw bad();
  const page = pageOf(
    call.account.buckets,
    req.query.get('continuation-token') ?? undefined,
    asked,
    call,
    new ServiceError('InvalidArgument', 'The continuation token provided is incorrect'),
  );
  return doc(
    'ListAllMyBucketsResult',
    defined({
      Owner: { ID: `sandbox-canonical-${call.account.accountId}`, DisplayName: 'sandbox' },
      Buckets: xmlList(
        'Bucket',
        page.items.map((b) => ({ Name: b.name, CreationDate: iso(b.createTime), BucketRegion: b.region })),
      ),
      ContinuationToken: page.next,
    }),
  );
};

/** Subresource (the query key, `?encryption`) → handler; the order is the order they are matched in. */
const bucketHandlers: Record<string, S3Handler> = {
  location: (_call, req, b) =>
    doc('LocationConstraint', need(req, b).region === 'us-east-1' ? '' : need(req, b).region),
  publicAccessBlock: (_call, req, b) => {
    const pab = need(req, b).publicAccessBlock;
    if (!pab)
      throw new ServiceError(
        'NoSuchPublicAccessBlockConfiguration',
        'The public access block configuration was not found',
        404,
      );
    return doc('PublicAccessBlockConfiguration', {
      BlockPublicAcls: pab.blockPublicAcls,
      IgnorePublicAcls: pab.ignorePublicAcls,
      BlockPublicPolicy: pab.blockPublicPolicy,
      RestrictPublicBuckets: pab.restrictPublicBuckets,
    });
  },
  encryption: (_call, req, b) => {
    const enc = need(req, b).encryption;
    if (!enc)
      throw new ServiceError(
        'ServerSideEncryptionConfigurationNotFoundError',
        'The server side encryption configuration was not found',
        404,
      );
    return doc('ServerSideEncryptionConfiguration', {
      Rule: {
        ApplyServerSideEncryptionByDefault: defined({ SSEAlgorithm: enc.algorithm, KMSMasterKeyID: enc.kmsKeyId }),
        BucketKeyEnabled: enc.bucketKey,
      },
    });
  },
  versioning: (_call, req, b) => {
    const v = need(req, b).versioning;
    return doc('VersioningConfiguration', v ? { Status: v, MfaDelete: 'Disabled' } : '');
  },
  policyStatus: (_call, req, b) => {
    const p = need(req, b).policyPublic;
    if (p === undefined) throw new ServiceError('NoSuchBucketPolicy', 'The bucket policy does not exist', 404);
    return doc('PolicyStatus', { IsPublic: p });
  },
  tagging: (_call, req, b) => {
    const tags = need(req, b).tags;
    if (!tags) throw new ServiceError('NoSuchTagSet', 'The TagSet does not exist', 404);
    return doc('Tagging', {
      TagSet: xmlList(
        'Tag',
        Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      ),
    });
  },
};

const parser = new XMLParser({ parseTagValue: false, ignoreAttributes: true });

const malformed = () =>
  new ServiceError(
    'MalformedXML',
    'The XML you provided was not well-formed or did not validate against our published schema',
  );

const putPublicAccessBlock: S3Handler = (_call, req, b) => {
  const bucket = need(req, b);
  let parsed: unknown;
  try {
    parsed = parser.parse(req.body);
  } catch {
    throw malformed();
  }
  const conf = (parsed as { PublicAccessBlockConfiguration?: Record<string, unknown> } | undefined)
    ?.PublicAccessBlockConfiguration;
  if (!conf || typeof conf !== 'object') throw malformed();
  // An omitted setting is false, as S3 stores it.
  const flag = (k: string): boolean => {
    const v = conf[k];
    if (v === undefined || v === '') return false;
    if (v !== 'true' && v !== 'false') throw malformed();
    return v === 'true';
  };
  bucket.publicAccessBlock = {
    blockPublicAcls: flag('BlockPublicAcls'),
    ignorePublicAcls: flag('IgnorePublicAcls'),
    blockPublicPolicy: flag('BlockPublicPolicy'),
    restrictPublicBuckets: flag('RestrictPublicBuckets'),
  };
  return undefined;
};

const deletePublicAccessBlock: S3Handler = (_call, req, b) => {
  delete need(req, b).publicAccessBlock;
  return undefined;
};

/** Writes by method and subresource. */
const writeHandlers: Record<string, Record<string, { action: string; handler: S3Handler }>> = {
  PUT: { publicAccessBlock: { action: 'PutPublicAccessBlock', handler: putPublicAccessBlock } },
  DELETE: { publicAccessBlock: { action: 'DeletePublicAccessBlock', handler: deletePublicAccessBlock } },
};

const actionNames: Record<string, string> = {
  location: 'GetBucketLocation',
  publicAccessBlock: 'GetPublicAccessBlock',
  encryption: 'GetBucketEncryption',
  versioning: 'GetBucketVersioning',
  policyStatus: 'GetBucketPolicyStatus',
  tagging: 'GetBucketTagging',
};

/** The operation name (for fault injection and the request log) and its handler, or an S3 error. */
export const routeS3 = (req: S3Request): { action: string; handler: S3Handler } => {
  const writes = writeHandlers[req.method];
  if (writes && req.bucket) for (const [sub, route] of Object.entries(writes)) if (req.query.has(sub)) return route;
  if (req.method !== 'GET')
    throw new ServiceError('MethodNotAllowed', 'The specified method is not allowed against this resource.', 405);
  if (!req.bucket) return { action: 'ListBuckets', handler: listBuckets };
  for (const [sub, handler] of Object.entries(bucketHandlers))
    if (req.query.has(sub)) return { action: actionNames[sub] ?? sub, handler };
  throw new ServiceError(
    'NotImplemented',
    'A header or query you provided implies functionality that is not implemented.',
    501,
  );
};

export const runS3 = (call: ServiceCall, req: S3Request, handler: S3Handler): XmlNode | undefined => {
  const bucket = req.bucket ? call.account.buckets.find((b) => b.name === req.bucket) : undefined;
  if (bucket && !req.query.has('location') && bucket.region !== call.region)
    throw new ServiceError(
      'PermanentRedirect',
      'The bucket you are attempting to access must be addressed using the specified endpoint.',
      301,
    );
  return handler(call, req, bucket);
};
