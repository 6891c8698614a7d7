import { describe, expect, it } from '@jest/globals';
import { findAction } from '../../src/cloud/actions.ts';
import { awsActions } from '../../src/cloud/aws/actions.ts';
import { monthlyCents } from '../../src/cloud/pricing/index.ts';
import { checkTemplate, describeProblems, estimateMonthlyCents, type Template } from '../../src/workflows/template.ts';

// A cost line's quantity may be a product (tasks × vCPU each), checked when the file is read and
// priced when the plan is built.
const actions = (provider: string, type: string, action: string) =>
  provider === 'aws' ? findAction(awsActions, type, action) : undefined;

const yaml = (quantity: string) => `
name: fargate-cost
version: 1
category: deploy
description: d
provider: aws
inputs:
  region: { type: string, description: r, default: us-east-1 }
  count: { type: integer, description: c, default: 2 }
  cpu: { type: choice, description: v, choices: ["0.25", "0.5", "1"], default: "0.5" }
steps:
  - id: stop
    title: Stop
    action: stop
    target: { type: instance, id: i-1 }
cost:
  - { kind: fargate, item: vcpu, quantity: "${quantity}" }
`;

describe('a cost line of a product', () => {
  it('multiplies its factors, inputs and numbers alike', () => {
    const check = checkTemplate(yaml('${inputs.count} * ${inputs.cpu} * 2'), 'f.yaml', actions);
    expect(check.ok).toBe(true);
    const t = (check as { ok: true; template: Template }).template;
    expect(estimateMonthlyCents(t, { region: 'us-east-1', count: '3', cpu: '0.5' })).toEqual({
      cents: monthlyCents('aws', 'fargate', 'vcpu', 'us-east-1', 3)!,
      unpriced: [],
    });
    // Priced in us-east-1 only: elsewhere the line is listed, not counted as 0.
    expect(estimateMonthlyCents(t, { region: 'eu-west-1', count: '3', cpu: '0.5' })).toEqual({
      cents: 0,
      unpriced: ['fargate vcpu in eu-west-1'],
    });
  });

  it('refuses a quantity that is not numbers and references joined by *', () => {
    for (const bad of ['two', '${inputs.count} + 1', '${inputs.count} *', '3 x 2']) {
      const check = checkTemplate(yaml(bad), 'f.yaml', actions);
      expect(check.ok).toBe(false);
      expect(describeProblems('f.yaml', (check as { ok: false; problems: [] }).problems)).toContain(
        'cost[0].quantity: a number, a ${inputs.<name>}, or a product of those joined by *',
      );
    }
  });
});
