import path from 'node:path';
import check from './TRIAL-01.js';
import { KINDS } from '../../../src/k8s/kinds.js';
import { evaluate, inventoryOf } from '../../support/inventory.js';
import { caseFolders, ROOT, runCase } from '../case-runner.js';

const CASES = path.join(ROOT, 'test/checks/trial/cases');

describe('TRIAL-01 (written from docs/writing-checks.md)', () => {
  it.each(caseFolders(CASES))('%s/%s', (id, name) => runCase(check, path.join(CASES, id, name)));

  it('is unknown when pods could not be listed', () => {
    expect(evaluate(check, inventoryOf([], { [KINDS.Pod]: 'forbidden' })).status).toBe('unknown');
  });
});
