import type { Check } from '../src/engine/check.js';
import MT04 from './multitenancy/MT-04.js';
import PE01 from './policy-engine/PE-01.js';

/** The built-in checks, sorted by id. A test keeps this list complete and in order. */
export const BUILTIN_CHECKS: readonly Check[] = [MT04, PE01];
