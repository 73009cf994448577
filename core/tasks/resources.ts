/**
 * Where the shipped task files are: resources/tasks/ beside core/ in sources and builds, or, in the packaged app,
 * under Electron's resources folder (electron-builder.yml copies resources/ there as extraResources).
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getTask, type TaskId } from './index.js';

export function taskResourcesDir(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const packaged = (process as { resourcesPath?: string }).resourcesPath;
  // core/tasks (sources), dist/core/tasks (compiled), the packaged app's resources.
  const candidates = [join(here, '..', '..', 'resources', 'tasks'), join(here, '..', '..', '..', 'resources', 'tasks')];
  if (packaged) candidates.push(join(packaged, 'resources', 'tasks'));
  for (const dir of candidates) if (existsSync(join(dir, 'manifest.json'))) return dir;
  throw new Error(`the shipped task files (resources/tasks/manifest.json) were not found above ${here}`);
}

export interface TaskPrompt {
  id: string;
  prompt: string;
}

/** A task's held-out prompt set (prompts.jsonl), validated. */
export function readPromptSet(task: TaskId): TaskPrompt[] {
  getTask(task);
  const path = join(taskResourcesDir(), task, 'prompts.jsonl');
  return readFileSync(path, 'utf8')
    .trimEnd()
    .split('\n')
    .map((line, i) => {
      const p = JSON.parse(line) as Partial<TaskPrompt>;
      if (typeof p.id !== 'string' || typeof p.prompt !== 'string') throw new Error(`${path}:${i + 1}: expected {id, prompt}`);
      return { id: p.id, prompt: p.prompt };
    });
}
