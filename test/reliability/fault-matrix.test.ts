/**
 * The transport-fault matrix: every fault (throttling, 5xx, resets, truncated bodies, slow answers,
 * expired continue tokens) × every target × both live commands, transient and persistent
 * (test/support/fault-matrix.ts says what each cell must show).
 */
import { FAULTS } from '../support/faults.js';
import { defineFaultMatrix, faultGroups, transportCells } from '../support/fault-matrix.js';

defineFaultMatrix('fault matrix', transportCells, faultGroups(['transient', 'persistent'], FAULTS));
