// Each flow-control Lua script is named <name>-<numKeys>.lua and its header documents every KEYS and ARGV entry it reads.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadLuaScript } from '../../src/flow/lua-script';

const LUA_DIR = join(__dirname, '../../src/flow/lua');
const files = readdirSync(LUA_DIR).filter((file) => file.endsWith('.lua'));

function indexes(text: string, table: 'KEYS' | 'ARGV'): number[] {
  return [...new Set([...text.matchAll(new RegExp(`${table}\\[(\\d+)\\]`, 'g'))].map((m) => Number(m[1])))].sort((a, b) => a - b);
}

describe('flow-control Lua scripts', () => {
  it('are found', () => {
    expect(files).toEqual(expect.arrayContaining(['admit-send-8.lua', 'release-send-4.lua', 'reserve-upload-1.lua']));
  });

  it.each(files)('%s uses exactly the keys its name counts and documents every KEYS and ARGV entry in its header', (file) => {
    const text = readFileSync(join(LUA_DIR, file), 'utf8');
    const header = text.slice(0, text.indexOf(']]'));
    const body = text.slice(text.indexOf(']]'));
    const { numberOfKeys } = loadLuaScript(file);
    expect(indexes(body, 'KEYS')).toEqual(Array.from({ length: numberOfKeys }, (_, i) => i + 1));
    expect(indexes(header, 'KEYS')).toEqual(indexes(body, 'KEYS'));
    expect(indexes(header, 'ARGV')).toEqual(expect.arrayContaining(indexes(body, 'ARGV')));
    expect(header).toMatch(/Output/);
  });

  it('names the ioredis command after the file', () => {
    expect(loadLuaScript('admit-send-8.lua')).toMatchObject({ name: 'admitSend', numberOfKeys: 8 });
    expect(() => loadLuaScript('admitSend.lua')).toThrow(/<name>-<numKeys>\.lua/);
  });
});
