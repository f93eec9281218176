import type { Check } from '../src/engine/check.js';
import DIE01 from './die/DIE-01.js';
import DIE02 from './die/DIE-02.js';
import DIE03 from './die/DIE-03.js';
import IMG01 from './base-images/IMG-01.js';
import IMG02 from './base-images/IMG-02.js';
import IMG03 from './base-images/IMG-03.js';
import IMG04 from './base-images/IMG-04.js';
import MT01 from './multitenancy/MT-01.js';
import MT02 from './multitenancy/MT-02.js';
import MT03 from './multitenancy/MT-03.js';
import MT04 from './multitenancy/MT-04.js';
import MT05 from './multitenancy/MT-05.js';
import NP01 from './network/NP-01.js';
import NP02 from './network/NP-02.js';
import NP03 from './network/NP-03.js';
import NP04 from './network/NP-04.js';
import NP05 from './network/NP-05.js';
import NP06 from './network/NP-06.js';
import OS01 from './host-os/OS-01.js';
import OS02 from './host-os/OS-02.js';
import OS03 from './host-os/OS-03.js';
import OS04 from './host-os/OS-04.js';
import PE01 from './policy-engine/PE-01.js';
import PE02 from './policy-engine/PE-02.js';
import PE03 from './policy-engine/PE-03.js';
import PE04 from './policy-engine/PE-04.js';
import PE05 from './policy-engine/PE-05.js';

/** The built-in checks, sorted by id. A test keeps this list complete and in order. */
export const BUILTIN_CHECKS: readonly Check[] = [
  DIE01,
  DIE02,
  DIE03,
  IMG01,
  IMG02,
  IMG03,
  IMG04,
  MT01,
  MT02,
  MT03,
  MT04,
  MT05,
  NP01,
  NP02,
  NP03,
  NP04,
  NP05,
  NP06,
  OS01,
  OS02,
  OS03,
  OS04,
  PE01,
  PE02,
  PE03,
  PE04,
  PE05,
];
