/** util/terminal.ts: what a terminal would act on is shown as an escape instead. */
import { describe, expect, it } from '@jest/globals';
import { visible, visibleLines } from '../../src/util/terminal.js';

describe('visible', () => {
  it.each<[string, string, string]>([
    ['clear screen', '\x1b[2J', '\\x1b[2J'],
    ['window title (OSC 0, BEL)', '\x1b]0;pwned\x07', '\\x1b]0;pwned\\x07'],
    ['OSC 8 link', '\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\', '\\x1b]8;;https://evil.example/\\x1b\\click\\x1b]8;;\\x1b\\'],
    ['conceal', '\x1b[8m', '\\x1b[8m'],
    ['carriage return, line feed, tab', 'a\rb\nc\td', 'a\\rb\\nc\\td'],
    ['NUL and other C0', '\x00\x01\x1f', '\\x00\\x01\\x1f'],
    ['DEL', '\x7f', '\\x7f'],
    ['C1 CSI and the rest of C1', '\x80\x9b31m\x9f', '\\x80\\x9b31m\\x9f'],
  ])('escapes %s', (_name, text, shown) => expect(visible(text)).toBe(shown));

  it('leaves printable text alone, non-ASCII included', () => {
    const text = 'Ubuntu 22.04.4 LTS — ✓ ünïcode ☃ \u00a0nbsp \\x1b';
    expect(visible(text)).toBe(text);
  });
});

describe('visibleLines', () => {
  it('keeps line feeds and escapes every other control character', () => {
    expect(visibleLines('one\x1b[2J\ntwo\r\n')).toBe('one\\x1b[2J\ntwo\\r\n');
  });
});
