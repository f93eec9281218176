/**
 * The malformed-answer matrix: every kind the checks read × every way a 200 list answer can be the
 * wrong shape (`{}`, items missing, null or an object, a Status failure, another kind, a
 * non-string continue), and the root and group discovery documents × theirs (`{}`,
 * `{"groups": null}`, a Status), for `audit` and `snapshot`. Every cell: the kinds the answer
 * decides are errors whose reason names the field, their checks are unknown, no other verdict
 * changes, coverage does not rise (test/support/fault-matrix.ts).
 */
import { MALFORMED_DISCOVERY, MALFORMED_LISTS } from '../support/faults.js';
import { defineFaultMatrix, faultGroups, malformedCells } from '../support/fault-matrix.js';

// No cell waits on a timeout (a malformed answer is never retried), so a loaded machine gets room.
defineFaultMatrix('malformed-answer matrix', malformedCells, faultGroups(['persistent'], new Set([...MALFORMED_LISTS, ...MALFORMED_DISCOVERY])), {
  requestTimeoutS: 20,
  cellBoundMs: 80_000,
});
