import { describe, expect, it } from 'vitest';
import { parseRoute, routeHref } from '../../../renderer/src/lib/routes.js';

describe('datasets routes', () => {
  it('parse and print #/datasets[/<id>[/<tab>]]', () => {
    expect(parseRoute('#/datasets')).toEqual({ name: 'datasets', id: null, tab: 'label' });
    expect(parseRoute('#/datasets/abc-1/browse')).toEqual({ name: 'datasets', id: 'abc-1', tab: 'browse' });
    expect(parseRoute('#/datasets/abc-1/nonsense')).toEqual({ name: 'datasets', id: 'abc-1', tab: 'label' });
    expect(routeHref({ name: 'datasets', id: 'abc-1', tab: 'transfer' })).toBe('#/datasets/abc-1/transfer');
    expect(routeHref({ name: 'datasets', id: null })).toBe('#/datasets');
    expect(parseRoute(routeHref({ name: 'datasets', id: 'a b', tab: 'browse' }))).toEqual({ name: 'datasets', id: 'a b', tab: 'browse' });
  });
});
