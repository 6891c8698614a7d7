import { AppError } from '../errors.ts';
import { RuleIdPattern, ThresholdEnvPattern, type ListSetting, type Rule, type Threshold } from './rule.ts';

/**
 * Scan thresholds as configured: every rule threshold is a documented setting read from its
 * environment variable (`SCAN_IDLE_CPU_PERCENT=5`), its default otherwise. A value that is not
 * a number or lies outside the threshold's range stops start-up with one line naming it.
 */
export type ThresholdValues = ReadonlyMap<string, number>;

/** The thresholds of a rule set by env name, each declared once (two rules may share one name only with the same default). */
export const thresholdCatalog = (rules: readonly Rule[]): Map<string, Threshold & { rules: string[] }> => {
  const out = new Map<string, Threshold & { rules: string[] }>();
  const ids = new Set<string>();
  for (const rule of rules) {
    if (!RuleIdPattern.test(rule.id))
      throw new AppError('config_invalid', `scan rule id "${rule.id}" is not lower-case dotted words`);
    if (ids.has(rule.id)) throw new AppError('config_invalid', `scan rule "${rule.id}" is defined twice`);
    ids.add(rule.id);
    for (const [name, t] of Object.entries(rule.thresholds ?? {})) {
      if (!ThresholdEnvPattern.test(t.env))
        throw new AppError(
          'config_invalid',
          `scan rule ${rule.id}: threshold ${name} has env "${t.env}", not SCAN_<UPPER_SNAKE>`,
        );
      const seen = out.get(t.env);
      if (seen && (seen.default !== t.default || seen.unit !== t.unit))
        throw new AppError(
          'config_invalid',
          `${t.env} is declared by ${seen.rules[0]} (default ${seen.default} ${seen.unit}) and ${rule.id} (default ${t.default} ${t.unit})`,
        );
      if (seen) seen.rules.push(rule.id);
      else out.set(t.env, { ...t, rules: [rule.id] });
    }
  }
  return out;
};

/** Reads every threshold of `rules` from `env`; throws one line naming the first bad setting. */
export const loadThresholds = (rules: readonly Rule[], env: Record<string, string | undefined>): ThresholdValues => {
  const values = new Map<string, number>();
  for (const [name, t] of thresholdCatalog(rules)) {
    const raw = env[name]?.trim();
    const value = raw === undefined || raw === '' ? t.default : Number(raw);
    const range = `${t.min ?? '-∞'}…${t.max ?? '∞'} ${t.unit}`;
    if (!Number.isFinite(value))
      throw new AppError(
        'config_invalid',
        `${name}="${raw}" is not a number (${t.description}; default ${t.default} ${t.unit})`,
      );
    if ((t.min !== undefined && value < t.min) || (t.max !== undefined && value > t.max))
      throw new AppError(
        'config_invalid',
        `${name}=${value} is outside ${range} (${t.description}; default ${t.default})`,
      );
    values.set(name, value);
  }
  return values;
};

/** A rule's threshold by its name in the rule, as configured. */
export const thresholdOf = (rule: Rule, name: string, values: ThresholdValues): number => {
  const t = rule.thresholds?.[name];
  if (!t) throw new AppError('config_invalid', `scan rule ${rule.id} has no threshold "${name}"`);
  return values.get(t.env) ?? t.default;
};

/** A rule's metric window in days (a number, or one of its thresholds by name). */
export const metricWindowDays = (rule: Rule, values: ThresholdValues): number => {
  const days = rule.metrics?.days;
  if (days === undefined) return 0;
  return typeof days === 'number' ? days : thresholdOf(rule, days, values);
};

/** List settings as configured, by env name (lower-cased values). */
export type ListValues = ReadonlyMap<string, readonly string[]>;

/** The list settings of a rule set by env name, each declared once (shared only with the same default). */
export const listCatalog = (rules: readonly Rule[]): Map<string, ListSetting & { rules: string[] }> => {
  const out = new Map<string, ListSetting & { rules: string[] }>();
  for (const rule of rules)
    for (const [name, l] of Object.entries(rule.lists ?? {})) {
      if (!ThresholdEnvPattern.test(l.env))
        throw new AppError(
          'config_invalid',
          `scan rule ${rule.id}: list ${name} has env "${l.env}", not SCAN_<UPPER_SNAKE>`,
        );
      const seen = out.get(l.env);
      if (seen && seen.default.join(',') !== l.default.join(','))
        throw new AppError(
          'config_invalid',
          `${l.env} is declared by ${seen.rules[0]} and ${rule.id} with different defaults`,
        );
      if (seen) seen.rules.push(rule.id);
      else out.set(l.env, { ...l, rules: [rule.id] });
    }
  return out;
};

/** Reads every list setting of `rules` from `env` (comma-separated; empty or unset: the default). */
export const loadLists = (rules: readonly Rule[], env: Record<string, string | undefined>): ListValues => {
  const values = new Map<string, readonly string[]>();
  for (const [name, l] of listCatalog(rules)) {
    const items = (env[name] ?? '')
      .split(',')
      .map((v) => v.trim().toLowerCase())
      .filter(Boolean);
    values.set(name, items.length > 0 ? items : l.default);
  }
  return values;
};

/** A rule's list setting by its name in the rule, as configured (its default when not loaded). */
export const listOf = (rule: Rule, name: string, values: ListValues | undefined): readonly string[] => {
  const l = rule.lists?.[name];
  if (!l) throw new AppError('config_invalid', `scan rule ${rule.id} has no list setting "${name}"`);
  return values?.get(l.env) ?? l.default;
};
