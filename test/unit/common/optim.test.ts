import { beforeAll } from 'vitest';
import { initBackend } from '../../../core/tensor/backend.js';
import { optimSuite } from './optim.suite.js';

beforeAll(async () => {
  await initBackend();
});

optimSuite();
