import { beforeAll } from 'vitest';
import { initBackend } from '../../../core/tensor/backend.js';
import { distributionSuite } from './distributions.suite.js';

beforeAll(async () => {
  await initBackend();
});

distributionSuite();
