/** Who starts DD-PPO's ranks 1 … N − 1 on the redis transport (config `launchWorkers`; launch.ts starts them). */
export const WORKER_LAUNCHES = ['manual', 'local', 'kubernetes'] as const;
export type WorkerLaunch = (typeof WORKER_LAUNCHES)[number];
