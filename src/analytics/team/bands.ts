/**
 * DORA performance bands, per metric. Thresholds are our reading of the performance clusters of
 * the 2023 Accelerate State of DevOps Report (DORA, dora.dev/research/2023/dora-report): elite,
 * high, medium and low as below. The report asks about production deployments of a service; we
 * apply the same boundaries to the bot's own change requests, so a band is a guide, not a survey
 * result.
 *
 * | metric | elite | high | medium | low |
 * |---|---|---|---|---|
 * | deployment frequency | ≥ 1 a day | ≥ 1 a week | ≥ 1 a month | less |
 * | lead time (median) | < 1 day | < 1 week | < 1 month | longer |
 * | change failure rate | ≤ 5 % | ≤ 10 % | ≤ 15 % | more |
 * | time to restore (median) | < 1 hour | < 1 day | < 1 week | longer |
 */

export type Band = 'elite' | 'high' | 'medium' | 'low';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/** Deployments per day over the period → band; null when nothing was deployed. */
export const frequencyBand = (perDay: number): Band | null =>
  perDay <= 0 ? null : perDay >= 1 ? 'elite' : perDay >= 1 / 7 ? 'high' : perDay >= 1 / 30 ? 'medium' : 'low';

export const leadTimeBand = (medianMs: number | null): Band | null =>
  medianMs === null
    ? null
    : medianMs < DAY
      ? 'elite'
      : medianMs < 7 * DAY
        ? 'high'
        : medianMs < 30 * DAY
          ? 'medium'
          : 'low';

/** Rate as a fraction (0–1). */
export const failureRateBand = (rate: number | null): Band | null =>
  rate === null ? null : rate <= 0.05 ? 'elite' : rate <= 0.1 ? 'high' : rate <= 0.15 ? 'medium' : 'low';

export const restoreBand = (medianMs: number | null): Band | null =>
  medianMs === null
    ? null
    : medianMs < HOUR
      ? 'elite'
      : medianMs < DAY
        ? 'high'
        : medianMs < 7 * DAY
          ? 'medium'
          : 'low';
