import type { Check } from '../src/engine/check.js';
import MT04 from './multitenancy/MT-04.js';

/** The built-in checks, sorted by id. A test keeps this list complete and in order. */
export const BUILTIN_CHECKS: readonly Check[] = [MT04];
