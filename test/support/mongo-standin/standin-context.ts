// What every stand-in command runs with: the data, the open cursors, and the database the command names ($db).
import type { StandinCatalog } from './collections';
import { CommandError } from './command-error';
import type { CursorRegistry } from './read-commands';

export interface CommandContext {
  catalog: StandinCatalog;
  cursors: CursorRegistry;
  database: string;
  connectionId: number;
  /** Features this stand-in refuses, to imitate a MongoDB-compatible server that lacks them. */
  lacks: ReadonlySet<StandinFeature>;
}

export type StandinFeature = 'update-pipelines' | 'wildcard-indexes';

/** How a server without the feature answers (Amazon DocumentDB and Cosmos DB answer with their own codes and words). */
export function checkFeature(context: CommandContext, feature: StandinFeature): void {
  if (context.lacks.has(feature)) {
    throw new CommandError(
      'NotImplementedByStandin',
      `${feature} are not supported by this server (the stand-in imitates a server without them)`,
    );
  }
}
