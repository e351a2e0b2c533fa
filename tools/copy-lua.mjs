// Copies every src/**/*.lua beside the compiled modules under <outDir>/src/ (tsc copies only code):
/* global process, console */
// the Lua scripts are read at module load relative to __dirname. Usage: node tools/copy-lua.mjs dist
import { cpSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const outDir = process.argv[2];
if (!outDir) throw new Error('usage: node tools/copy-lua.mjs <outDir>');
const scripts = readdirSync('src', { recursive: true }).filter((file) => String(file).endsWith('.lua'));
for (const file of scripts) cpSync(join('src', String(file)), join(outDir, 'src', String(file)));
console.log(`copied ${scripts.length} Lua scripts to ${outDir}/src`);
