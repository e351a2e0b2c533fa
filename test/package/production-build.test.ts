// dist is built from what production runs: the entry points and what they import, never test, demo or simulator code.
import { execFileSync } from 'node:child_process';
import { relative, resolve } from 'node:path';

const root = resolve(__dirname, '../..');

function filesInProductionBuild(): string[] {
  const listed = execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--listFilesOnly'], {
    cwd: root,
    encoding: 'utf8',
  });
  return listed
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((file) => relative(root, file))
    .filter((file) => !file.startsWith('..') && !file.includes('node_modules'));
}

describe('the production build (tsconfig.build.json)', () => {
  it('compiles the four process entry points and the library entry, and nothing from test/, tools/, bench/ or the demo', () => {
    const files = filesInProductionBuild();

    expect(files).toEqual(
      expect.arrayContaining([
        'src/index.ts',
        'workers/email-worker.ts',
        'workers/dashboard.ts',
        'workers/ops-cli.ts',
        'workers/verify.ts',
      ]),
    );
    expect(files.filter((file) => /^(test|tools|bench)\//.test(file) || file === 'workers/demo.ts')).toEqual([]);
  });
});
