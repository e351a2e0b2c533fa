// Entry point of `npm run verify -- --account <id> [--user <id>] [--send-test <address>] [--json]`:
// runs the connection test with the worker's configuration and prints the checklist.
import { loadConfigOrExit } from '../config/load-config';
import { testConnection } from '../src/diagnostics/connection-test';
import {
  VERIFY_HELP,
  VerifyUsageError,
  formatConnectionReport,
  parseVerifyArgs,
  wantsVerifyHelp,
  type VerifyArgs,
} from '../src/diagnostics/verify-command';
import { GraphDraftClient } from '../src/graph/draft-client';
import { GraphMailClient } from '../src/graph/graph-mail-client';
import { MsalTokenProvider } from '../src/graph/token-provider';
import { createLogger } from '../src/logging/logger';
import { openStores } from '../src/storage/open-stores';

async function main(): Promise<void> {
  if (wantsVerifyHelp(process.argv.slice(2))) {
    process.stdout.write(`${VERIFY_HELP}\n`);
    return;
  }
  let args: VerifyArgs;
  try {
    args = parseVerifyArgs(process.argv.slice(2));
  } catch (err: unknown) {
    if (!(err instanceof VerifyUsageError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exit(2);
  }
  const config = loadConfigOrExit();
  // Log lines go to stderr, so stdout holds only the checklist (or the JSON report).
  const logger = createLogger({ level: config.logLevel, name: 'verify' }, process.stderr);
  const stores = await openStores(config, logger);
  try {
    const report = await testConnection(args, {
      settings: stores.settings,
      graphProviderValue: config.settings.shape.graphProviderValue,
      tokens: new MsalTokenProvider({ cloud: config.cloud, logger, timeoutMs: config.worker.sendTimeoutMs }),
      graph: new GraphMailClient({
        graphBaseUrl: config.cloud.graphBaseUrl,
        cloud: config.cloud.cloud,
        timeoutMs: config.worker.sendTimeoutMs,
      }),
      drafts: new GraphDraftClient({
        graphBaseUrl: config.cloud.graphBaseUrl,
        cloud: config.cloud.cloud,
        timeoutMs: config.worker.sendTimeoutMs,
      }),
      cloud: config.cloud,
      ...(config.credentials.keyring ? { currentKeyId: config.credentials.keyring.currentKeyId } : {}),
      expiryWarningDays: config.credentials.expiryWarningDays,
    });
    process.stdout.write(args.json ? `${JSON.stringify(report, null, 2)}\n` : formatConnectionReport(report));
    process.exitCode = report.ok ? 0 : 1;
  } finally {
    await stores.close();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`verify failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
