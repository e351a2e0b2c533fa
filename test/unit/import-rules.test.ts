// The import rules `npm run lint` keeps: no import cycle (lint:cycles, madge, exits non-zero on one,
// a type-only one included), and src/ never imports config/ (eslint's no-restricted-imports).
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '../..');
const scripts = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { scripts: Record<string, string> }).scripts;

/** lint:cycles' own command with its folders replaced by `dir`. */
function runCycleCheck(dir: string): Promise<{ code: number; output: string }> {
  const words = (scripts['lint:cycles'] ?? '').split(' ');
  const lastFlag = words.indexOf('tsconfig.json');
  const [command = '', ...flags] = words.slice(0, lastFlag + 1);
  return new Promise((resolve) => {
    execFile(join(ROOT, 'node_modules/.bin', command), [...flags, dir], { cwd: ROOT }, (err, stdout, stderr) => {
      resolve({ code: typeof err?.code === 'number' ? err.code : 0, output: `${stdout}${stderr}` });
    });
  });
}

describe('the import-cycle check', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'cycles-'));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('is part of npm run lint and covers src, config, workers, the client package and tools', () => {
    expect(scripts.lint).toContain('lint:cycles');
    expect(scripts['lint:cycles']).toMatch(/^madge --circular .* src config workers packages\/client\/src tools$/);
  });

  it('fails on two modules that import each other, even by type only', async () => {
    writeFileSync(join(dir, 'job.ts'), "import type { Outcome } from './outcome';\nexport interface Job { last?: Outcome }\n");
    writeFileSync(join(dir, 'outcome.ts'), "import type { Job } from './job';\nexport interface Outcome { job: Job }\n");
    const { code, output } = await runCycleCheck(dir);
    expect(code).not.toBe(0);
    expect(output).toContain('job.ts > outcome.ts');
  }, 60_000);

  it('passes when the shared types live in one file both import', async () => {
    writeFileSync(join(dir, 'interfaces.ts'), 'export interface Job { last?: Outcome }\nexport interface Outcome { job: Job }\n');
    writeFileSync(join(dir, 'job.ts'), "import type { Job } from './interfaces';\nexport const jobs: Job[] = [];\n");
    writeFileSync(join(dir, 'outcome.ts'), "import type { Outcome } from './interfaces';\nexport const outcomes: Outcome[] = [];\n");
    const { code, output } = await runCycleCheck(dir);
    expect(output).toContain('No circular dependency found');
    expect(code).toBe(0);
  }, 60_000);
});

describe('the config/src direction', () => {
  /** The no-restricted-imports messages eslint (the repo's own config, run as `npm run lint` runs it) gives `code` at `path`. */
  const restrictedImports = (path: string, code: string) =>
    new Promise<string[]>((resolve, reject) => {
      const child = execFile(
        join(ROOT, 'node_modules/.bin/eslint'),
        ['--format', 'json', '--stdin', '--stdin-filename', path],
        { cwd: ROOT },
        (err, stdout) => {
          try {
            const results = JSON.parse(stdout) as { messages: { ruleId: string | null; message: string }[] }[];
            resolve(
              results
                .flatMap((result) => result.messages)
                .filter((m) => m.ruleId === 'no-restricted-imports')
                .map((m) => m.message),
            );
          } catch {
            reject(err ?? new Error(`eslint printed no JSON: ${stdout}`));
          }
        },
      );
      child.stdin?.end(code);
    });

  it('refuses an import of config/ in src/ and in the client package', async () => {
    expect(await restrictedImports('src/ops/example.ts', "export { loadConfig } from '../../config/load-config';\n")).toHaveLength(1);
    expect(await restrictedImports('src/example.ts', "export type { Env } from '../config/env-schema';\n")).toHaveLength(1);
    expect(await restrictedImports('packages/client/src/example.ts', "export * from '../../../config/env-values';\n")).toHaveLength(1);
  }, 60_000);

  it('lets config/ import src/, and src/ import its own config types', async () => {
    expect(await restrictedImports('config/example.ts', "export { CLOUD_NAMES } from '../src/graph/clouds';\n")).toEqual([]);
    expect(await restrictedImports('src/ops/example.ts', "export type { Config } from '../service-config';\n")).toEqual([]);
  }, 60_000);
});
