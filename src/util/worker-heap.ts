/**
 * A parsing worker's young generation (list page decoders and snapshot item decoders): one page's
 * or batch's objects die young there. The old generation keeps V8's default
 * limit: a worker that ran out of it would take the whole process down (V8 aborts on an
 * allocation it cannot make), not just the worker.
 */
export const DECODER_WORKER_HEAP = { maxYoungGenerationSizeMb: 16 };
