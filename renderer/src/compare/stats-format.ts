/** How the statistics panel prints numbers and intervals (`point [low, high]`); e2e tests format expected values with it. */
export const formatStat = (x: number): string => (Math.abs(x) >= 1000 ? x.toFixed(0) : Math.abs(x) >= 10 ? x.toFixed(1) : x.toFixed(3));

export const formatInterval = (i: { point: number; low: number; high: number }): string => `${formatStat(i.point)} [${formatStat(i.low)}, ${formatStat(i.high)}]`;
