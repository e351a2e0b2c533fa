// The copy-paste check (npm run lint:dup): jscpd over src/, config/ and workers/, failing when it finds
// more than MAX_CLONES repeated blocks of six or more lines. Import lists are skipped: they repeat by nature.
// jscpd's own exit options fail on any clone or on a percentage; this counts clones from its JSON report.
/* global process, console */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const MAX_CLONES = 2;
const PATHS = ['src', 'config', 'workers'];
const outDir = mkdtempSync(join(tmpdir(), 'jscpd-'));
try {
  const run = spawnSync(
    join('node_modules', '.bin', 'jscpd'),
    [
      ...['--min-lines', '6', '--min-tokens', '30', '--format', 'typescript'],
      ...['--ignore-pattern', "import\\s[^;]*?from\\s'[^']*';"],
      ...['--reporters', 'json', '--output', outDir, '--silent', '--no-tips', '--no-colors'],
      ...PATHS,
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  );
  if (run.status !== 0) throw new Error(`jscpd exited with ${run.status ?? run.signal}`);
  const { duplicates } = JSON.parse(readFileSync(join(outDir, 'jscpd-report.json'), 'utf8'));
  for (const clone of duplicates) {
    const at = (file) => `${file.name}:${file.start}-${file.end}`;
    console.log(`${clone.lines} lines, ${clone.tokens} tokens: ${at(clone.firstFile)} = ${at(clone.secondFile)}`);
  }
  console.log(`${duplicates.length} repeated block(s) of 6+ lines in ${PATHS.join(', ')} (at most ${MAX_CLONES} allowed)`);
  if (duplicates.length > MAX_CLONES) process.exitCode = 1;
} finally {
  rmSync(outDir, { recursive: true, force: true });
}
