/**
 * The run store: everything PolicyLab keeps on disk (layout: the project design's "Data on disk", and README's "Data folder").
 *   db.ts           RunStore — the lowdb run index (db.json) + runs/<id>/run.json
 *   metrics.ts      MetricWriter / MetricReader — append-only metric streams with a column sidecar
 *   checkpoints.ts  tfjs-format checkpoints with keep-last / keep-best, checksummed (checksum.ts)
 *   integrity.ts    what is damaged in a run folder (bad metrics lines, quarantines, index, checkpoints)
 *   integrity-cache.ts  what the integrity scan found, kept across restarts (persisted-cache.ts)
 *   episodes.ts     recorded evaluation episodes
 *   export.ts       CSV / JSON export
 *   home.ts         where the data folder is
 */
export { activeMsOf } from './run-record.js';
export { cleanStaleTemps } from './upkeep.js';
export {
  defaultIsAlive,
  isRunOwnerAlive,
  type LivenessCheck,
  LOCKS_DIR,
  type OpenOptions,
  type RefreshResult,
  RunStore,
  runDirFor,
  type StoreNotice,
} from './db.js';
export { currentOwner, describeOwner, isCurrentProcess, ownerLiveness, pidExists, processStartTime, type Liveness } from './liveness.js';
export { lockStats, withFileLock } from './lock.js';
export { lineAlignedSize } from './fs-utils.js';
export { type SetAside, setAsideForRestart } from './restart.js';
export { defaultHome, resolveHome, type ResolveHomeOptions } from './home.js';
export { isRunId, newRunId, RUN_ID_PATTERN } from './ids.js';
export { StoreError, type StoreErrorCode } from './errors.js';
export { DB_FILE, RUN_FILE, RUNS_DIR, type StoreMigration, type StoreRecovery } from './index-file.js';
export { migrateDb, migrateRunFile, MIGRATIONS, type Migration } from './migrations.js';
export {
  CreateRunInputSchema,
  type CreateRunInput,
  type DatasetIndexEntry,
  type DbData,
  type ExternalSource,
  ExternalSourceSchema,
  DbDataSchema,
  type MetricSummary,
  RUN_STATUSES,
  type RunBackend,
  type RunError,
  type RunFile,
  RunFileSchema,
  type RunPatch,
  RunPatchSchema,
  type RunOwner,
  RunOwnerSchema,
  type RunRecord,
  RunRecordSchema,
  type RunStatus,
  SCHEMA_VERSION,
  SWEEP_STATUSES,
  type SweepRecord,
  SweepRecordSchema,
  type SweepStatus,
  TERMINAL_STATUSES,
} from './schema.js';
export {
  type DownsampledPoint,
  type DownsampledSeries,
  ensureOverviews,
  METRICS_FILE,
  MetricReader,
  type MetricRecord,
  MetricWriter,
  type MetricWriterOptions,
  type ReadFromResult,
  readMetricSummary,
  rebuildMetricIndex,
  type SeriesPoint,
  truncateMetrics,
} from './metrics.js';
export {
  type CheckpointArray,
  type CheckpointData,
  type CheckpointInfo,
  type CheckpointPolicy,
  CHECKPOINTS_DIR,
  type DamagedCheckpoint,
  describeDamage,
  listCheckpoints,
  listSetAsideCheckpoints,
  type LoadedCheckpoint,
  loadCheckpoint,
  saveCheckpoint,
  scanCheckpoints,
  type SetAsideCheckpoint,
  verifyCheckpoints,
  loadableCheckpoints,
} from './checkpoints.js';
export { DamagedFileError } from './checksum.js';
export {
  type BadLine,
  type CheckpointIntegrity,
  listQuarantines,
  metricsIntegrity,
  type MetricsIntegrity,
  type Quarantine,
  integrityCounts,
  runIntegrity,
  type RunIntegrity,
  summarizeIntegrity,
} from './integrity.js';
export { INTEGRITY_CACHE_FILE, type IntegrityCache, openIntegrityCache } from './integrity-cache.js';
export { PersistedCache, type PersistedCacheOptions } from './persisted-cache.js';
export { type Episode, EPISODES_DIR, type EpisodeSummary, listEpisodes, loadEpisode, saveEpisode, type StoredEpisode } from './episodes.js';
export { type ExportResult, type ExportSource, exportRunsCsv, exportRunsJson } from './export.js';
export { csvField, csvRow } from './csv.js';
export { type AppSettings, readSettings, saveSettings, SETTINGS_FILE } from './settings.js';
export { readSweepFiles, sweepFilePath, SWEEPS_DIR } from './sweeps.js';
