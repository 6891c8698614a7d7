import { describe, expect, test } from '@jest/globals';
import { ResourceType } from '../../src/cloud/resource.ts';
import { parseCommand } from '../../src/engine/planner/rules.ts';

// Every resource type can be listed by its own name, in one word or two, singular or plural, and
// by the words people use for the ones templates make (lbs, tgs, zones, ecs-services).
describe('listing any resource type', () => {
  test.each(ResourceType.options)('%s by its name, its plural and in words', (type) => {
    const words = type.replace(/_/g, ' ');
    const plural = type.endsWith('y') ? `${words.slice(0, -1)}ies` : type.endsWith('s') ? `${words}es` : `${words}s`;
    for (const text of [`list ${type}`, `list ${words}`, `list ${plural}`, `list ${plural.replace(/ /g, '-')} in aws`])
      expect(parseCommand(text)).toMatchObject({ ok: true, command: { kind: 'list', type } });
  });

  test.each([
    ['list load balancers', 'load_balancer'],
    ['list lbs env=prod', 'load_balancer'],
    ['list target groups', 'target_group'],
    ['list tgs', 'target_group'],
    ['show hosted zones', 'hosted_zone'],
    ['list zones', 'hosted_zone'],
    ['list health checks', 'health_check'],
    ['list ecs-services', 'container_service'],
    ['list clusters in kubernetes', 'cluster'],
    ['list node groups', 'node_group'],
    ['list config maps', 'config_map'],
    ['show security groups', 'security_group'],
  ])('%s', (text, type) => {
    expect(parseCommand(text)).toMatchObject({ ok: true, command: { kind: 'list', type } });
  });
});
