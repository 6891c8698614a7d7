import { z } from 'zod';
import { ActionIds } from '../chat/interaction.ts';
import { reply, type Choice } from '../chat/reply.ts';
import type { OptionSource } from '../tools/options.ts';
import type { Tool } from '../tools/tool.ts';
import { findAction } from './actions.ts';
import { badRequest } from '../errors.ts';
import { ActionName } from '../tools/change-plan.ts';
import { resourceRepository } from './repository.ts';
import { ResourceType, type Resource } from './resource.ts';
import type { CloudToolDeps } from './tool-deps.ts';

/**
 * "stop" without saying what: the bot asks which, with a picker that searches the inventory as
 * the person types (an options source, so a fleet of thousands still fits a Slack menu), and the
 * choice completes the same tool call the typed command would have made.
 */

const ResourcesParams = z.object({
  type: ResourceType.optional(),
  /** Only resources this action applies to in their current state. */
  action: ActionName.optional(),
});

const choiceOf = (r: Resource): Choice => ({
  label: `${r.name || r.id} · ${r.environment} · ${r.state}${r.name && r.name !== r.id ? ` · ${r.id}` : ''}`.slice(
    0,
    75,
  ),
  value: r.id,
});

/** `resources?type=instance&action=stop`: live inventory matching what is typed (name or id). */
/**
 * The types (and their states) on which some configured provider declares `action`, across clouds:
 * `stop` finds EC2 and GCE instances, and Azure VMs through deallocate's alias.
 */
const actionScope = (d: CloudToolDeps, action: string): { types: string[]; states: string[] | undefined } => {
  const types = new Set<string>();
  const states = new Set<string>();
  let anyState = false;
  for (const provider of d.providers?.() ?? []) {
    for (const type of Object.keys(provider.actions)) {
      const spec = findAction(provider.actions, type, action);
      if (!spec || spec.inverseOnly) continue;
      types.add(type);
      if (spec.states) spec.states.forEach((s) => states.add(s));
      else anyState = true;
    }
  }
  return { types: [...types], states: anyState ? undefined : [...states] };
};

export const resourceOptions = (d: CloudToolDeps): OptionSource<typeof ResourcesParams> => ({
  name: 'resources',
  params: ResourcesParams,
  minRole: 'viewer',
  list: async ({ type, action }, query) => {
    const scope = action ? actionScope(d, action) : undefined;
    if (scope && scope.types.length === 0) throw badRequest(`No configured cloud has an action called “${action}”.`);
    const rows = await resourceRepository(d.db).list({
      ...(type ? { type } : scope ? { types: scope.types } : {}),
      ...(scope?.states ? { states: scope.states } : {}),
      ...(query ? { search: query } : {}),
      limit: 100,
    });
    return rows.map(choiceOf);
  },
});

const PickFor = z.enum(['start', 'stop', 'reboot', 'resize', 'show']);

const PickInput = z.object({ for: PickFor.describe('What the picked resource is for.') });

const call = (tool: string, input: Record<string, unknown>): string => JSON.stringify({ tool, input });

const purpose: Record<z.infer<typeof PickFor>, { question: string; value: string; source: string; title: string }> = {
  start: {
    question: 'Which instance should I start?',
    value: call('power_action', { action: 'start' }),
    source: 'resources?action=start',
    title: 'Start an instance',
  },
  stop: {
    question: 'Which instance should I stop?',
    value: call('power_action', { action: 'stop' }),
    source: 'resources?action=stop',
    title: 'Stop an instance',
  },
  reboot: {
    question: 'Which instance should I reboot?',
    value: call('power_action', { action: 'reboot' }),
    source: 'resources?action=reboot',
    title: 'Reboot an instance',
  },
  resize: {
    question: 'Which instance should I resize?',
    value: call('resize_options', {}),
    source: 'resources?action=resize',
    title: 'Resize an instance',
  },
  show: {
    question: 'Which resource should I show?',
    value: call('show_resource', {}),
    source: 'resources',
    title: 'Show a resource',
  },
};

export const pickResourceTool = (d: CloudToolDeps): Tool<typeof PickInput> => ({
  name: 'pick_resource',
  description:
    'Asks the user which resource they mean, with a picker that searches the inventory as they type. Use it when a request names no resource, or matches several, instead of guessing.',
  input: PickInput,
  kind: 'read',
  minRole: 'viewer',
  llm: true,
  asksUser: true,
  run: async (input) => {
    const p = purpose[input.for];
    const text = `${p.question} Pick it, or type \`${input.for} <name or id>\`.`;
    return {
      type: 'answer',
      reply: reply(
        [
          { type: 'text', text },
          {
            type: 'actions',
            buttons: [
              {
                actionId: ActionIds.command,
                label: input.for === 'show' ? 'Choose resource…' : 'Choose instance…',
                value: p.value,
                form: {
                  title: p.title,
                  submitLabel: input.for === 'show' ? 'Show' : 'Next',
                  fields: [
                    {
                      name: 'resource',
                      label: 'Name or id',
                      kind: 'search',
                      required: true,
                      source: p.source,
                      placeholder: 'Type part of a name, e.g. web',
                    },
                  ],
                },
              },
            ],
          },
        ],
        { sandbox: d.sandbox, text },
      ),
      data: { asked: p.question, note: 'A picker is shown to the user; their choice continues the request.' },
    };
  },
});
