/**
 * util/shell.ts quotes each word of a `verify` command for a POSIX shell: safe words stay bare so
 * that ordinary commands read as a person would type them, anything else is single-quoted. The
 * round trip runs a real shell (/bin/sh) and compares the words it passes on.
 */
import { describe, expect, it } from '@jest/globals';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { command, kubectl, shellQuote } from '../../src/util/shell.js';

describe('shellQuote', () => {
  it.each([
    'get',
    'networkpolicy',
    'team-a',
    '-n',
    '--show-labels',
    'kubernetes.io/os=linux',
    'app=web,tier=db',
    'configs.config.gatekeeper.sh',
    'a_b',
    'user@example.com',
    '50%',
    'c++',
  ])('leaves the safe word %j bare', (word) => expect(shellQuote(word)).toBe(word));

  it.each<[string, string]>([
    ['', "''"],
    ['a b', "'a b'"],
    ['a;touch pwned;#', "'a;touch pwned;#'"],
    ['$(touch pwned)', "'$(touch pwned)'"],
    ['`id`', "'`id`'"],
    ["it's", "'it'\\''s'"],
    ['*', "'*'"],
    ['~root', "'~root'"],
    ['jsonpath={.spec}', "'jsonpath={.spec}'"],
    ['custom-columns=IMAGE:.spec.containers[*].image', "'custom-columns=IMAGE:.spec.containers[*].image'"],
  ])('quotes %j as %s', (word, quoted) => expect(shellQuote(word)).toBe(quoted));
});

describe('command and kubectl', () => {
  it('quote each word and join them with spaces', () => {
    expect(kubectl('get', 'namespace', 'a;touch pwned;#', '--show-labels')).toBe("kubectl get namespace 'a;touch pwned;#' --show-labels");
    expect(command('grep', '-F', '-e', "it's")).toBe("grep -F -e 'it'\\''s'");
  });

  it('keep an ordinary command as a person would type it', () => {
    expect(kubectl('-n', 'team-a', 'get', 'resourcequota,limitrange', '-o', 'wide')).toBe('kubectl -n team-a get resourcequota,limitrange -o wide');
  });
});

describe('a real POSIX shell', () => {
  const hostile = [
    'a;touch pwned;#',
    '$(touch pwned-subst)',
    '`touch pwned-backtick`',
    "it's'; touch pwned-quote; '",
    'double "quotes" and \\backslash\\',
    '$HOME ${PATH} $1 $@ $$',
    '* ? [a-z] {a,b} ~ ~root',
    'pipe | and & and > redirect < in',
    '!event !! #comment',
    'new\nline, tab\there, cr\rhere',
    '\x1b[2J\x7f\x9b',
    '-n',
    '',
    'ünïcode ☃',
  ];

  it('receives every hostile word as one argument, unchanged, and runs nothing else', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'kposture-shell-'));
    try {
      // A file a glob would match: an unquoted * or ? would expand to its name.
      writeFileSync(path.join(cwd, 'x'), '');
      const out = execFileSync('/bin/sh', ['-c', command('printf', '%s\\0', ...hostile)], {
        cwd,
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
      });
      expect(out.split('\0').slice(0, -1)).toEqual(hostile);
      expect(readdirSync(cwd)).toEqual(['x']);
    } finally {
      rmSync(cwd, { recursive: true, force: true });
    }
  });
});
