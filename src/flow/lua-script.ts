// Reads a Lua script of flow control from src/flow/lua/<name>-<numKeys>.lua (BullMQ's naming), once,
// when the module that runs it loads. Each file's header lists its KEYS, ARGV and return values.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface LuaScript {
  /** The ioredis command name, e.g. "admitSend" for admit-send-8.lua. */
  name: string;
  numberOfKeys: number;
  lua: string;
}

const FILE_NAME = /^([a-z]+(?:-[a-z]+)*)-(\d+)\.lua$/;

/** The build copies src/flow/lua/ beside the compiled modules (tools/copy-lua.mjs), so this finds it in dist/ too. */
export function loadLuaScript(fileName: string): LuaScript {
  const match = FILE_NAME.exec(fileName);
  if (!match?.[1] || !match[2]) throw new Error(`A Lua script's file is named <name>-<numKeys>.lua, not ${fileName}.`);
  const name = match[1].replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
  return { name, numberOfKeys: Number(match[2]), lua: readFileSync(join(__dirname, 'lua', fileName), 'utf8') };
}
