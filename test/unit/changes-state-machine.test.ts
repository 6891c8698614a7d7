import { describe, expect, test } from '@jest/globals';
import { ChangeStatus } from '../../src/changes/model.ts';
import {
  assertTransition,
  canTransition,
  initialStatus,
  isFinal,
  transitions,
} from '../../src/changes/state-machine.ts';

describe('change request state machine', () => {
  test('the happy path and its branches are allowed', () => {
    const allowed: Array<[ChangeStatus, ChangeStatus]> = [
      ['draft', 'pending'],
      ['pending', 'approved'],
      ['approved', 'executing'],
      ['executing', 'succeeded'],
      ['executing', 'failed'],
      ['pending', 'rejected'],
      ['pending', 'expired'],
      ['executing', 'interrupted'],
      ['approved', 'interrupted'],
      ['succeeded', 'rolled_back'],
    ];
    for (const [from, to] of allowed) expect(canTransition(from, to)).toBe(true);
  });

  test('nothing skips approval, goes backwards, or re-runs', () => {
    const refused: Array<[ChangeStatus, ChangeStatus]> = [
      ['pending', 'executing'],
      ['pending', 'succeeded'],
      ['approved', 'pending'],
      ['executing', 'approved'],
      ['interrupted', 'executing'],
      ['interrupted', 'approved'],
      ['failed', 'executing'],
      ['rejected', 'approved'],
      ['expired', 'approved'],
      ['succeeded', 'executing'],
      ['rolled_back', 'succeeded'],
    ];
    for (const [from, to] of refused) {
      expect(canTransition(from, to)).toBe(false);
      expect(() => assertTransition(from, to)).toThrow(`illegal change request transition ${from} → ${to}`);
    }
  });

  test('every status has an entry and only true ends are final', () => {
    expect(Object.keys(transitions).sort()).toEqual([...ChangeStatus.options].sort());
    expect(ChangeStatus.options.filter(isFinal).sort()).toEqual(['expired', 'failed', 'rejected', 'rolled_back']);
  });
});

describe('initial status', () => {
  test('a request starts pending, or approved (in the same commit) when its rule auto-approves it', () => {
    expect(initialStatus(false)).toBe('pending');
    expect(initialStatus(true)).toBe('approved');
    // The audited step it stands for must be a legal one.
    expect(canTransition('pending', initialStatus(true))).toBe(true);
  });
});
