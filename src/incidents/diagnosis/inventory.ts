import { resourceRepository, toResource } from '../../cloud/repository.ts';
import type { Resource } from '../../cloud/resource.ts';
import { resources } from '../../cloud/schema.ts';
import { and, eq, inArray, isNull, or, sql } from '../../store/orm.ts';
import type { Db } from '../../store/db.ts';

/**
 * What an alert names, found in the synced inventory, and what is near it. Only relations the
 * inventory records are followed (docs/architecture.md#incidents):
 * - affected: each name the alert gives, as an id, a name, `namespace/name` (a Kubernetes
 *   deployment, pod or service), or a host name (`web-1.internal:9100` → `web-1`); with none
 *   found, the resources tagged `service=<service>` or `app=<service>`, and the deployments,
 *   pods and services of a Kubernetes namespace named like the service;
 * - neighbours: resources sharing an affected one's `service` or `app` tag; a pod's deployment
 *   and node; a deployment's pods and their nodes; the pods a Kubernetes service selects; the
 *   target groups an instance fails in, an ECS service's target groups, a target group's load
 *   balancers and ECS services, a load balancer's target groups; a database an affected
 *   resource names in a `db`/`database` tag.
 * Namespaces, roles, bindings and other bookkeeping types are never affected or neighbours.
 */

export type Relation = 'affected' | 'neighbour';

export interface Related {
  resource: Resource;
  relation: Relation;
  /** For a neighbour: how it relates ("pod of deployment payments-worker"). */
  why?: string;
}

/** The types a fault shows on; the rest (namespaces, roles, keys, trails…) is bookkeeping. */
export const operationalTypes = [
  'instance',
  'database',
  'load_balancer',
  'target_group',
  'container_service',
  'cluster',
  'node_group',
  'node',
  'deployment',
  'pod',
  'service',
  'nat_gateway',
  'volume',
] as const;

const MAX_PER_REF = 5;
const MAX_NEIGHBOURS = 60;

export const keyOf = (r: { provider: string; account: string; id: string }): string =>
  `${r.provider}\u0000${r.account}\u0000${r.id}`;

const live = isNull(resources.goneAt);
const operational = inArray(resources.type, [...operationalTypes]);

const select = async (db: Db, where: ReturnType<typeof and>, limit = 50): Promise<Resource[]> =>
  (
    await db
      .select()
      .from(resources)
      .where(and(live, operational, where))
      .orderBy(resources.provider, resources.type, resources.name, resources.id)
      .limit(limit)
  ).map(toResource);

const isOperational = (r: Resource): boolean => (operationalTypes as readonly string[]).includes(r.type);

/** Other spellings of a name an alert gives: without a port, a host name's first label. */
const spellings = (ref: string): string[] => {
  const out = [ref];
  const noPort = ref.replace(/:\d{1,5}$/, '');
  if (noPort !== ref) out.push(noPort);
  const host = noPort.split('.')[0];
  if (host && host !== noPort && !/^\d+$/.test(host)) out.push(host);
  return out;
};

const byRef = async (db: Db, ref: string): Promise<Resource[]> => {
  const repo = resourceRepository(db);
  for (const s of spellings(ref.trim())) {
    const found = (await repo.findByIdOrName(s)).filter(isOperational);
    if (found.length) return found;
    const ns = /^([a-z0-9][-a-z0-9.]*)\/([a-z0-9][-a-z0-9.]*)$/.exec(s);
    if (ns) {
      const ids = ['deployment', 'pod', 'service'].map((k) => `${ns[1]}/${k}/${ns[2]}`);
      const k8s = await select(db, and(eq(resources.provider, 'kubernetes'), inArray(resources.id, ids)));
      if (k8s.length) return k8s;
    }
  }
  return [];
};

const inEnvironment = (found: Resource[], environment: string | undefined): Resource[] => {
  if (!environment) return found;
  const env = environment.toLowerCase();
  const there = found.filter((r) => r.environment === env);
  return there.length ? there : found;
};

/** What the alert names, resolved; the service's tagged resources when it names none we know. */
export const resolveAffected = async (
  db: Db,
  input: { resources: readonly string[]; service: string; environment?: string | undefined },
): Promise<Resource[]> => {
  const seen = new Map<string, Resource>();
  for (const ref of input.resources.slice(0, 50)) {
    const found = inEnvironment(await byRef(db, ref), input.environment);
    for (const r of found.slice(0, MAX_PER_REF)) seen.set(keyOf(r), r);
  }
  if (seen.size) return [...seen.values()];
  const s = input.service;
  const tagged = await select(
    db,
    or(
      sql`${resources.tags}->>'service' = ${s}`,
      sql`${resources.tags}->>'app' = ${s}`,
      and(
        eq(resources.provider, 'kubernetes'),
        inArray(resources.type, ['deployment', 'pod', 'service']),
        sql`${resources.attributes}->>'namespace' = ${s}`,
      ),
    ),
  );
  return inEnvironment(tagged, input.environment);
};

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const strings = (v: unknown): string[] =>
  Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string' && x !== '') : [];

const sameAccount = (r: Resource) => and(eq(resources.provider, r.provider), eq(resources.account, r.account));

/** The neighbours of the affected resources, each once, with why it is one. */
export const findNeighbours = async (db: Db, affected: readonly Resource[]): Promise<Related[]> => {
  const out = new Map<string, Related>();
  const skip = new Set(affected.map(keyOf));
  const add = (list: Resource[], why: string) => {
    for (const r of list) {
      const k = keyOf(r);
      if (!skip.has(k) && !out.has(k) && out.size < MAX_NEIGHBOURS)
        out.set(k, { resource: r, relation: 'neighbour', why });
    }
  };

  const serviceTags = [
    ...new Set(affected.flatMap((r) => [r.tags.service, r.tags.app].filter((v): v is string => !!v))),
  ];
  const environments = [...new Set(affected.map((r) => r.environment))];
  if (serviceTags.length)
    add(
      await select(
        db,
        and(
          inArray(resources.environment, environments),
          or(
            inArray(sql`${resources.tags}->>'service'`, serviceTags),
            inArray(sql`${resources.tags}->>'app'`, serviceTags),
          ),
        ),
        80,
      ),
      `same service (${serviceTags.join(', ')})`,
    );

  for (const r of affected) {
    const ns = str(r.attributes.namespace);
    if (r.provider === 'kubernetes' && r.type === 'pod') {
      const owner = str(r.attributes.ownerDeployment);
      const node = str(r.attributes.node);
      const ids = [...(owner && ns ? [`${ns}/deployment/${owner}`] : []), ...(node ? [`node/${node}`] : [])];
      if (ids.length) add(await select(db, and(sameAccount(r), inArray(resources.id, ids))), `runs pod ${r.name}`);
    }
    if (r.provider === 'kubernetes' && r.type === 'deployment' && ns) {
      const pods = await select(
        db,
        and(
          sameAccount(r),
          eq(resources.type, 'pod'),
          sql`${resources.attributes}->>'namespace' = ${ns}`,
          sql`${resources.attributes}->>'ownerDeployment' = ${r.name}`,
        ),
      );
      add(pods, `pod of deployment ${r.name}`);
      const nodes = [...new Set(pods.map((p) => str(p.attributes.node)).filter((n): n is string => !!n))];
      if (nodes.length)
        add(
          await select(
            db,
            and(
              sameAccount(r),
              inArray(
                resources.id,
                nodes.map((n) => `node/${n}`),
              ),
            ),
          ),
          `node running pods of ${r.name}`,
        );
    }
    if (r.provider === 'kubernetes' && r.type === 'service' && ns) {
      const selector = r.attributes.selector as Record<string, string> | undefined;
      if (selector && Object.keys(selector).length)
        add(
          await select(
            db,
            and(
              sameAccount(r),
              eq(resources.type, 'pod'),
              sql`${resources.attributes}->>'namespace' = ${ns}`,
              sql`${resources.tags} @> ${JSON.stringify(selector)}::jsonb`,
            ),
          ),
          `pod behind service ${r.name}`,
        );
    }
    if (r.provider === 'kubernetes' && r.type === 'node')
      add(
        await select(
          db,
          and(sameAccount(r), eq(resources.type, 'pod'), sql`${resources.attributes}->>'node' = ${r.name}`),
          30,
        ),
        `pod on node ${r.name}`,
      );
    if (r.provider === 'aws' && r.type === 'instance')
      add(
        await select(
          db,
          and(
            sameAccount(r),
            eq(resources.type, 'target_group'),
            sql`${resources.attributes}->'failing' @> ${JSON.stringify([{ id: r.id }])}::jsonb`,
          ),
        ),
        `target group failing ${r.name || r.id}`,
      );
    const groups =
      r.type === 'container_service'
        ? strings(r.attributes.targetGroups)
        : r.type === 'load_balancer'
          ? ((r.attributes.targetGroups as { arn?: unknown }[] | undefined) ?? []).map((g) => str(g.arn) ?? '')
          : [];
    if (r.provider === 'aws' && groups.filter(Boolean).length)
      add(
        await select(db, and(sameAccount(r), inArray(resources.id, groups.filter(Boolean)))),
        `target group of ${r.name || r.id}`,
      );
    if (r.provider === 'aws' && r.type === 'target_group') {
      const lbs = strings(r.attributes.loadBalancerArns);
      if (lbs.length)
        add(await select(db, and(sameAccount(r), inArray(resources.id, lbs))), `load balancer of ${r.name}`);
      add(
        await select(
          db,
          and(
            sameAccount(r),
            eq(resources.type, 'container_service'),
            sql`${resources.attributes}->'targetGroups' @> ${JSON.stringify([r.id])}::jsonb`,
          ),
        ),
        `ECS service in target group ${r.name}`,
      );
    }
    const db_ = r.tags.db ?? r.tags.database;
    if (db_)
      add(
        await select(db, and(eq(resources.type, 'database'), or(eq(resources.id, db_), eq(resources.name, db_)))),
        `database ${r.name || r.id} names in its tags`,
      );
  }
  return [...out.values()];
};
