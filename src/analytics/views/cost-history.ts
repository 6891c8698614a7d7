import type { Db } from '../../store/db.ts';
import { sql } from '../../store/orm.ts';
import { day } from './format.ts';

/**
 * The cost trend and the forecast. The inventory holds each resource's monthly cost now (730
 * hours of its price); `recordCostSnapshot` keeps that total per UTC day, so the trend fills in one
 * point a day from the first sync after deploying (the last sync of a day wins). The month's
 * accrued cost is the sum, over its elapsed days, of each day's run rate for 24 hours (a day
 * without a snapshot takes the last one before it; days before the month's first snapshot take
 * that first one and are counted as estimated); the forecast to the month's end adds the current
 * run rate for the time left: forecast = accrued + rate now × remaining days × 24 / 730.
 */

/** One day's total: the monthly cost of what was live then. */
export interface CostPoint {
  day: string;
  monthlyCostCents: number;
  resources: number;
  unpriced: number;
}

const HOURS_PER_MONTH = 730;
const DAY_MS = 86_400_000;

/**
 * Writes today's snapshot (UTC day of `now`) from the live inventory, one row per provider,
 * replacing what an earlier sync of the same day wrote. The lead schedules it after each sync.
 */
export const recordCostSnapshot = async (db: Db, now: Date): Promise<CostPoint> => {
  const today = day(now);
  const taken = now.toISOString();
  // Two idempotent statements, no transaction (a client held across an outage would keep the
  // pool from closing): today's row per provider is written over, then the providers this sync no
  // longer has are dropped. Replicas doing the same at once write the same rows.
  await db.execute(sql`
    insert into cost_snapshots (day, provider, monthly_cost_cents, resources, unpriced, taken_at)
    select ${today}, provider, coalesce(sum(monthly_cost_cents), 0), count(*)::int,
      (count(*) filter (where attributes ->> 'priced' = 'false'))::int, ${taken}::timestamptz
    from resources where gone_at is null group by provider
    on conflict (day, provider) do update set monthly_cost_cents = excluded.monthly_cost_cents,
      resources = excluded.resources, unpriced = excluded.unpriced, taken_at = excluded.taken_at`);
  await db.execute(sql`delete from cost_snapshots where day = ${today} and taken_at < ${taken}::timestamptz`);
  const [point] = await readCostHistory(db, today, today);
  return point ?? { day: today, monthlyCostCents: 0, resources: 0, unpriced: 0 };
};

/** Daily totals from `from` to `to` (inclusive, `YYYY-MM-DD`), oldest first; days without a snapshot are absent. */
export const readCostHistory = async (db: Db, from: string, to: string): Promise<CostPoint[]> => {
  const { rows } = await db.execute<{ day: string; cents: number | string; resources: number; unpriced: number }>(sql`
    select day, sum(monthly_cost_cents) as cents, sum(resources)::int as resources, sum(unpriced)::int as unpriced
    from cost_snapshots where day >= ${from} and day <= ${to} group by day order by day`);
  return rows.map((r) => ({
    day: r.day,
    monthlyCostCents: Number(r.cents),
    resources: Number(r.resources),
    unpriced: Number(r.unpriced),
  }));
};

export interface MonthForecast {
  /** The month's first instant and its end (the next month's first instant), UTC. */
  monthStart: Date;
  monthEnd: Date;
  /** Accrued from the 1st until now. */
  accruedCents: number;
  /** Accrued plus the current run rate until the month's end. */
  forecastCents: number;
  /** Elapsed days of the month before its first snapshot, whose cost is estimated from that snapshot. */
  estimatedDays: number;
  /** Per day of the month: spent so far by the end of that day (null after today) and the forecast line (from today on). */
  cumulative: { day: string; actual: number | null; forecast: number | null }[];
}

/** Pure: the month's accrued cost and forecast from the daily snapshots and the run rate now. */
export const monthForecast = (now: Date, rateNowCents: number, history: readonly CostPoint[]): MonthForecast => {
  const monthStart = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), 1));
  const monthEnd = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
  const perDay = (monthlyCents: number) => (monthlyCents * 24) / HOURS_PER_MONTH;
  const byDay = new Map(history.map((p) => [p.day, p.monthlyCostCents]));
  const sorted = [...history].sort((a, b) => a.day.localeCompare(b.day));
  const today = day(now);
  const firstThisMonth = sorted.find((p) => p.day >= day(monthStart) && p.day <= today);
  const cumulative: MonthForecast['cumulative'] = [];
  let accrued = 0;
  let estimatedDays = 0;
  let carried: number | undefined = [...sorted].reverse().find((p) => p.day < day(monthStart))?.monthlyCostCents;
  const days = Math.round((monthEnd.getTime() - monthStart.getTime()) / DAY_MS);
  let forecastRun = 0;
  for (let i = 0; i < days; i++) {
    const d = new Date(monthStart.getTime() + i * DAY_MS);
    const key = day(d);
    if (key < today) {
      const snap = byDay.get(key);
      if (snap !== undefined) carried = snap;
      let rate = carried;
      if (rate === undefined) {
        rate = firstThisMonth?.monthlyCostCents ?? rateNowCents;
        estimatedDays++;
      }
      accrued += perDay(rate);
      cumulative.push({ day: key, actual: Math.round(accrued), forecast: null });
    } else if (key === today) {
      const elapsed = (now.getTime() - d.getTime()) / DAY_MS;
      accrued += perDay(rateNowCents) * elapsed;
      forecastRun = accrued + perDay(rateNowCents) * (1 - elapsed);
      cumulative.push({ day: key, actual: Math.round(accrued), forecast: Math.round(forecastRun) });
    } else {
      forecastRun += perDay(rateNowCents);
      cumulative.push({ day: key, actual: null, forecast: Math.round(forecastRun) });
    }
  }
  const remainingDays = (monthEnd.getTime() - now.getTime()) / DAY_MS;
  return {
    monthStart,
    monthEnd,
    accruedCents: Math.round(accrued),
    forecastCents: Math.round(accrued + perDay(rateNowCents) * remainingDays),
    estimatedDays,
    cumulative,
  };
};
