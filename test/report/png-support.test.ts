/**
 * The PNG reader the browser test judges screenshots with (test/support/png.ts), on images built
 * here with every row filter PNG defines, since a real browser may use any of them.
 */
import { describe, expect, it } from '@jest/globals';
import { deflateSync } from 'node:zlib';
import { decodePng, lumaVariance } from '../support/png.js';

function chunk(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(body.length, 0);
  head.write(type, 4, 'latin1');
  return Buffer.concat([head, body, Buffer.alloc(4)]); // the CRC is not read
}

/** Encodes RGB pixels with the given filter per row (0 none, 1 sub, 2 up, 3 average, 4 Paeth). */
function encode(width: number, height: number, pixels: number[], filters: number[]): Buffer {
  const stride = width * 3;
  const at = (x: number, y: number): number => (x < 0 || y < 0 ? 0 : pixels[y * stride + x]!);
  const rows: number[] = [];
  for (let y = 0; y < height; y++) {
    const f = filters[y % filters.length]!;
    rows.push(f);
    for (let x = 0; x < stride; x++) {
      const [a, b, c] = [at(x - 3, y), at(x, y - 1), at(x - 3, y - 1)];
      const p = a + b - c;
      const paeth = Math.abs(p - a) <= Math.abs(p - b) && Math.abs(p - a) <= Math.abs(p - c) ? a : Math.abs(p - b) <= Math.abs(p - c) ? b : c;
      const predictor = [0, a, b, (a + b) >> 1, paeth][f]!;
      rows.push((at(x, y) - predictor) & 0xff);
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.from(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

describe('decodePng', () => {
  it('reads back the pixels written with each row filter', () => {
    const [width, height] = [7, 10];
    const pixels = Array.from({ length: width * height * 3 }, (_, i) => (i * 37 + (i % 5) * 91) & 0xff);
    const png = decodePng(encode(width, height, pixels, [0, 1, 2, 3, 4]));
    expect([png.width, png.height, png.channels]).toEqual([width, height, 3]);
    expect([...png.pixels]).toEqual(pixels);
  });

  it('tells a blank image from a drawn one', () => {
    const blank = decodePng(encode(4, 4, new Array<number>(48).fill(255), [1]));
    const striped = decodePng(
      encode(
        4,
        4,
        Array.from({ length: 48 }, (_, i) => (Math.floor(i / 12) % 2 === 0 ? 0 : 255)),
        [2],
      ),
    );
    expect(lumaVariance(blank)).toBeLessThan(1e-6);
    expect(lumaVariance(striped)).toBeGreaterThan(10_000);
  });

  it('refuses what is not a PNG', () => {
    expect(() => decodePng(Buffer.from('GIF89a'))).toThrow('not a PNG file');
  });
});
