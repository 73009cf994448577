// The same distribution and network tests on tfjs's pure-JS cpu backend (POLICYLAB_BACKEND=cpu),
// so the fallback every machine has is held to the same numbers as the default backend.
import * as tf from '@tensorflow/tfjs';
import { beforeAll, expect, it } from 'vitest';
import { describeBackend, initBackend } from '../../../core/tensor/backend.js';
import { distributionSuite } from './distributions.suite.js';
import { networkSuite } from './networks.suite.js';

beforeAll(async () => {
  process.env.POLICYLAB_BACKEND = 'cpu';
  await initBackend();
});

it('runs on the cpu backend', () => {
  expect(describeBackend().name).toBe('cpu');
  expect(tf.getBackend()).toBe('cpu');
});

distributionSuite();
networkSuite();
