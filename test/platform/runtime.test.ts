// Which Node.js versions the entry points accept: 22 and later run, older ones stop with one line
// that says what to do (the SQLite driver would otherwise crash them with a segmentation fault).
import { describe, expect, it } from 'vitest';
import { unsupportedNode } from '../../src/platform/runtime.js';

describe('unsupportedNode', () => {
  it.each(['22.0.0', '22.23.3', '24.21.0', '26.1.0'])('accepts %s', (version) => {
    expect(unsupportedNode(version)).toBeNull();
  });

  it.each(['20.20.2', '21.7.3', '18.20.4'])('refuses %s, naming it and the way out', (version) => {
    expect(unsupportedNode(version)).toBe(
      `delivr needs Node.js 22 or later (22 and 24 are supported), this is ${version}; on this machine, scripts/with-node.sh 22 <command> runs a command with Node 22 from the npm registry`,
    );
  });

  it('accepts the Node running this test (CI runs it on each supported line)', () => {
    expect(unsupportedNode()).toBeNull();
  });
});
