import { beforeAll } from 'vitest';
import { initBackend } from '../../../core/tensor/backend.js';
import { networkSuite } from './networks.suite.js';

beforeAll(async () => {
  await initBackend();
});

networkSuite();
