import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { plainObjectMaker, setOwnField } from '../../src/util/plain.js';

describe('plainObjectMaker: plain objects that hold exactly their fields', () => {
  it('makes objects that are plain in every observable way', () => {
    const Make = plainObjectMaker();
    const made = new Make();
    made.kind = 'Pod';
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(made.constructor).toBe(Object);
    expect(JSON.stringify(made)).toBe('{"kind":"Pod"}');
    expect(structuredClone(made)).toEqual({ kind: 'Pod' });
  });

  it('sets __proto__ as an own field, never as the prototype', () => {
    const made = new (plainObjectMaker())();
    setOwnField(made, '__proto__', { polluted: true });
    expect(Object.keys(made)).toEqual(['__proto__']);
    expect(Object.getPrototypeOf(made)).toBe(Object.prototype);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  // What the module is for (docs/performance.md#the-slim-projection): records of more than four
  // fields take less heap than the same records made with `{}`, whose fields past the fourth go to
  // a separate store. Measured in a fresh process with forced collections, on 100,000 records of
  // six fields, so that a V8 that stopped honouring it would fail here, not only in the benchmark.
  it('lays six-field records out smaller than object literals do', () => {
    const plain = fileURLToPath(new URL('../../src/util/plain.js', import.meta.url));
    const script = `
      const { plainObjectMaker } = await import(${JSON.stringify(plain)});
      const KEYS = ['apiVersion', 'kind', 'name', 'namespace', 'uid', 'image'];
      const N = 100000;
      function bytesPerRecord(make) {
        globalThis.gc();
        const before = process.memoryUsage().heapUsed;
        const kept = new Array(N);
        for (let i = 0; i < N; i++) { const o = make(); for (const k of KEYS) o[k] = i; kept[i] = o; }
        globalThis.gc();
        const bytes = (process.memoryUsage().heapUsed - before) / N;
        return kept.length === N ? bytes : NaN;
      }
      const Make = plainObjectMaker();
      console.log(JSON.stringify({ made: bytesPerRecord(() => new Make()), literal: bytesPerRecord(() => ({})) }));
    `;
    const run = spawnSync(process.execPath, ['--expose-gc', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    const { made, literal } = JSON.parse(run.stdout) as { made: number; literal: number };
    // Six fields inline: a header and six slots, plus the array's slot (80 bytes with 8-byte
    // pointers); `{}` adds a property store of its own for the fields past the fourth.
    expect(made).toBeLessThan(literal - 12);
  });
});
