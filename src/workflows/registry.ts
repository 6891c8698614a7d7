import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Actor } from '../chat/actor.ts';
import { staticActionLookup } from '../cloud/catalogs.ts';
import type { Db } from '../store/db.ts';
import { insertTemplate, listUploadedTemplates } from './repository.ts';
import { AppError } from '../errors.ts';
import { checkTemplate, describeProblems, type ActionLookup, type Template } from './template.ts';

/**
 * The templates a workspace can run, read from directories of YAML files (the built-in ones, then
 * an admin's). Every version of a template is kept: a change request names the version it was
 * planned from, and runs that one even after a newer version is added.
 */
export interface TemplateRegistry {
  /** The newest version of each template, by name. */
  list(): Template[];
  /** The newest version of a template. */
  latest(name: string): Template | undefined;
  /** One version of a template (what a filed run was planned from). */
  get(name: string, version: number): Template | undefined;
  /** Every version of every template. */
  all(): Template[];
}

export const templateRegistry = (templates: readonly Template[]): TemplateRegistry => {
  const byName = new Map<string, Template[]>();
  for (const t of templates) byName.set(t.name, [...(byName.get(t.name) ?? []), t]);
  for (const versions of byName.values()) versions.sort((a, b) => b.version - a.version);
  return {
    list: () => [...byName.values()].map((versions) => versions[0]!).sort((a, b) => a.name.localeCompare(b.name)),
    latest: (name) => byName.get(name)?.[0],
    get: (name, version) => byName.get(name)?.find((t) => t.version === version),
    all: () => [...byName.values()].flat(),
  };
};

/**
 * Reads every `.yaml` / `.yml` file of the directories, in name order. A file that does not
 * validate, or a name and version that two files share, stops the load with one line per problem
 * (`file:line path: reason`): templates are configuration, and a bad one is fixed before start.
 */
export const loadTemplates = async (dirs: readonly string[], actions: ActionLookup): Promise<TemplateRegistry> => {
  const problems: string[] = [];
  const templates: Template[] = [];
  const seen = new Map<string, string>();
  for (const dir of dirs) {
    let names: string[];
    try {
      names = (await readdir(dir)).filter((n) => /\.ya?ml$/i.test(n)).sort();
    } catch (e) {
      problems.push(`${dir}: cannot read the template directory (${(e as NodeJS.ErrnoException).code ?? 'error'})`);
      continue;
    }
    for (const name of names) {
      const file = path.join(dir, name);
      const check = checkTemplate(await readFile(file, 'utf8'), file, actions);
      if (!check.ok) {
        problems.push(describeProblems(file, check.problems));
        continue;
      }
      const key = `${check.template.name} v${check.template.version}`;
      const other = seen.get(key);
      if (other) problems.push(`${file}: ${key} is also defined in ${other}; give this one a new version`);
      else {
        seen.set(key, file);
        templates.push(check.template);
      }
    }
  }
  if (problems.length > 0) throw new AppError('config_invalid', `workflow templates:\n${problems.join('\n')}`);
  return templateRegistry(templates);
};

/** The templates that ship with the app (src/workflows/templates). */
export const builtInTemplatesDir = fileURLToPath(new URL('./templates/', import.meta.url));

/**
 * The built-in templates, then the admin's directories (WORKFLOW_TEMPLATES_DIR), each checked
 * against every provider's action catalog (a template may name a provider not configured here:
 * it is listed, and says so when run).
 */
export const loadWorkspaceTemplates = (extraDirs: readonly string[] = []): Promise<TemplateRegistry> =>
  loadTemplates([builtInTemplatesDir, ...extraDirs], staticActionLookup);

/**
 * The templates of each workspace: the ones loaded at start (built-in and WORKFLOW_TEMPLATES_DIR)
 * and the ones its admins uploaded in chat (`workflow_templates`), read from the database on each
 * use so that every replica sees an upload at once. An uploaded file is parsed once per process
 * (a name and version is never replaced). A stored upload that no longer checks (an action since
 * removed from a provider) is left out of the workspace's list rather than failing it.
 */
export interface WorkspaceTemplates {
  forWorkspace(workspaceId: string): Promise<TemplateRegistry>;
  /** Checks and stores an upload; the template, or every problem (`upload.yaml:line path: reason`). */
  add(
    workspaceId: string,
    source: string,
    by: Actor,
    now: Date,
  ): Promise<{ ok: true; template: Template } | { ok: false; problems: string }>;
}

export const workspaceTemplates = (d: {
  db: Db;
  base: TemplateRegistry;
  actions?: ActionLookup;
}): WorkspaceTemplates => {
  const actions = d.actions ?? staticActionLookup;
  const parsed = new Map<string, Template | null>();
  const uploaded = async (workspaceId: string): Promise<Template[]> => {
    const out: Template[] = [];
    for (const row of await listUploadedTemplates(d.db, workspaceId)) {
      const key = `${workspaceId}\u0000${row.name}\u0000${row.version}`;
      if (!parsed.has(key)) {
        const check = checkTemplate(row.source, `${row.name}.yaml`, actions);
        parsed.set(key, check.ok ? check.template : null);
      }
      const t = parsed.get(key);
      if (t) out.push(t);
    }
    return out;
  };
  return {
    forWorkspace: async (workspaceId) => templateRegistry([...d.base.all(), ...(await uploaded(workspaceId))]),
    add: async (workspaceId, source, by, now) => {
      const check = checkTemplate(source, 'upload.yaml', actions);
      if (!check.ok) return { ok: false, problems: describeProblems('upload.yaml', check.problems) };
      const t = check.template;
      const taken = `${t.name} v${t.version} already exists here: give this one version ${
        Math.max(
          ...[...d.base.all(), ...(await uploaded(workspaceId))].filter((x) => x.name === t.name).map((x) => x.version),
        ) + 1
      }`;
      if (d.base.get(t.name, t.version)) return { ok: false, problems: taken };
      if (!(await insertTemplate(d.db, { workspaceId, name: t.name, version: t.version, source, by, now })))
        return { ok: false, problems: taken };
      return { ok: true, template: t };
    },
  };
};
