import type { Check } from '../src/engine/check.js';
import MT04 from './multitenancy/MT-04.js';
import PE01 from './policy-engine/PE-01.js';
import PE02 from './policy-engine/PE-02.js';
import PE03 from './policy-engine/PE-03.js';
import PE04 from './policy-engine/PE-04.js';
import PE05 from './policy-engine/PE-05.js';

/** The built-in checks, sorted by id. A test keeps this list complete and in order. */
export const BUILTIN_CHECKS: readonly Check[] = [MT04, PE01, PE02, PE03, PE04, PE05];
