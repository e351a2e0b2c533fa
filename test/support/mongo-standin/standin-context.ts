// What every stand-in command runs with: the data, the open cursors, and the database the command names ($db).
import type { StandinCatalog } from './collections';
import type { CursorRegistry } from './read-commands';

export interface CommandContext {
  catalog: StandinCatalog;
  cursors: CursorRegistry;
  database: string;
  connectionId: number;
}
