/**
 * A small static price table: on-demand Linux list prices for us-east-1 (USD), used for every
 * region. Good enough to rank waste and estimate change deltas; not a bill. A month is 730 hours.
 * Sizes missing here are not offered for resize and are listed at 0 with `priced: false`.
 */
const hoursPerMonth = 730;

/** USD per hour, on-demand, Linux. */
const instanceHourlyUsd: Record<string, number> = {
  't3.nano': 0.0052,
  't3.micro': 0.0104,
  't3.small': 0.0208,
  't3.medium': 0.0416,
  't3.large': 0.0832,
  't3.xlarge': 0.1664,
  't3.2xlarge': 0.3328,
  'm5.large': 0.096,
  'm5.xlarge': 0.192,
  'm5.2xlarge': 0.384,
  'm5.4xlarge': 0.768,
  'c5.large': 0.085,
  'c5.xlarge': 0.17,
  'c5.2xlarge': 0.34,
  'c5.4xlarge': 0.68,
  'r5.large': 0.126,
  'r5.xlarge': 0.252,
  'r5.2xlarge': 0.504,
  'r5.4xlarge': 1.008,
};

/** USD per GB-month of provisioned EBS storage (IOPS and throughput extras not counted). */
const volumeGbMonthUsd: Record<string, number> = {
  gp3: 0.08,
  gp2: 0.1,
  io1: 0.125,
  io2: 0.125,
  st1: 0.045,
  sc1: 0.015,
  standard: 0.05,
};

/** Snapshot storage per GB-month; we charge the full volume size because EC2 does not expose the incremental size. */
const snapshotGbMonthUsd = 0.05;

const cents = (usd: number): number => Math.round(usd * 100);

/** Instance types we can price, in table order (smallest to largest within a family). */
export const pricedInstanceTypes = (): string[] => Object.keys(instanceHourlyUsd);

/** Monthly compute cost of a running instance, or undefined when the type is not in the table. */
export const instanceMonthlyCents = (instanceType: string): number | undefined => {
  const hourly = instanceHourlyUsd[instanceType];
  return hourly === undefined ? undefined : cents(hourly * hoursPerMonth);
};

export const volumeMonthlyCents = (volumeType: string, sizeGb: number): number | undefined => {
  const perGb = volumeGbMonthUsd[volumeType];
  return perGb === undefined ? undefined : cents(perGb * sizeGb);
};

export const snapshotMonthlyCents = (sizeGb: number): number => cents(snapshotGbMonthUsd * sizeGb);
