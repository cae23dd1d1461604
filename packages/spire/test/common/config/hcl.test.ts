import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../src/common/config/errors.js';
import { parseHcl, plainHcl } from '../../../src/common/config/hcl.js';
import { keyLines } from '../../../src/common/config/key-lines.js';

describe('parseHcl', () => {
  it('decodes blocks as lists of objects, as HCL v1 does', () => {
    const data = parseHcl(
      'server {\n  bind_port = "8081"\n}\nplugins { KeyManager "disk" { plugin_data { keys_path = "k" } } }',
    );
    expect(data).toEqual({
      server: [{ bind_port: '8081' }],
      plugins: [{ KeyManager: [{ disk: [{ plugin_data: [{ keys_path: 'k' }] }] }] }],
    });
  });

  it('reads JSON configuration too', () => {
    expect(parseHcl('{"server": {"trust_domain": "example.org"}}')).toEqual({
      server: [{ trust_domain: 'example.org' }],
    });
  });

  it.each([
    [
      'server {\n  a = 1\n',
      'invalid HCL at line 3, column 2: object expected closing RBRACE got: EOF',
      3,
    ],
    ['server {\n  a = "x\n}', 'invalid HCL at line 2, column 9: literal not terminated', 2],
    [
      'a = 1\nb = [1,\n',
      'invalid HCL at line 3, column 1: unexpected token while parsing list: EOF',
      3,
    ],
  ])(
    'turns the parser failure string into ERR_CONFIG_SYNTAX with the line (%j)',
    (text, why, line) => {
      let err: unknown;
      try {
        parseHcl(text, 'a.conf');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as ConfigError).code).toBe('ERR_CONFIG_SYNTAX');
      expect((err as ConfigError).issues[0]?.line).toBe(line);
      expect((err as ConfigError).message).toBe(`a.conf: ${why}; fix the syntax there`);
    },
  );
});

describe('plainHcl', () => {
  it('collapses one-object lists into objects and keeps other lists', () => {
    expect(plainHcl([{ a: [{ b: 1 }], l: [1, 2], two: [{ x: 1 }, { x: 2 }] }])).toEqual({
      a: { b: 1 },
      l: [1, 2],
      two: [{ x: 1 }, { x: 2 }],
    });
  });
});

describe('keyLines', () => {
  it('maps every key path, block labels included, to its first line', () => {
    const text = [
      'server {',
      '  bind_address = "127.0.0.1" # comment { not a block',
      '  trust_domian = "x"',
      '  ca_subject { country = ["US"] }',
      '}',
      '/* a comment',
      '   over two lines */',
      'plugins {',
      '  KeyManager "disk" {',
      '    plugin_data = { keys_path = "k" }',
      '  }',
      '  NodeAttestor "x" { plugin_data { a = [{ b = 1 }] } }',
      '}',
    ].join('\n');
    expect(Object.fromEntries(keyLines(text))).toEqual({
      server: 1,
      'server.bind_address': 2,
      'server.trust_domian': 3,
      'server.ca_subject': 4,
      'server.ca_subject.country': 4,
      plugins: 8,
      'plugins.KeyManager': 9,
      'plugins.KeyManager.disk': 9,
      'plugins.KeyManager.disk.plugin_data': 10,
      'plugins.KeyManager.disk.plugin_data.keys_path': 10,
      'plugins.NodeAttestor': 12,
      'plugins.NodeAttestor.x': 12,
      'plugins.NodeAttestor.x.plugin_data': 12,
      'plugins.NodeAttestor.x.plugin_data.a': 12,
      'plugins.NodeAttestor.x.plugin_data.a.b': 12,
    });
  });

  it('maps JSON keys', () => {
    const lines = keyLines('{\n "server": {\n  "trust_domain": "x",\n  "l": [1, 2]\n }\n}');
    expect(Object.fromEntries(lines)).toEqual({
      server: 2,
      'server.trust_domain': 3,
      'server.l': 4,
    });
  });
});
