// `ops settings reencrypt`: moves every stored secret to the current encryption key (after a rotation) and to format v2.
import { reencryptSettings } from '../../secrets/reencrypt-settings';
import {
  EXIT_INCOMPLETE,
  EXIT_OK,
  EXIT_USAGE,
  flagOption,
  UsageError,
  type CommandContext,
  type SettingsSecretsAccess,
} from './cli-context';

export async function settingsReencrypt(ctx: CommandContext, access: () => Promise<SettingsSecretsAccess>): Promise<number> {
  if (ctx.positionals.length > 0) throw new UsageError(`Unexpected argument ${ctx.positionals[0]}`);
  const { rewriter, keyring } = await access();
  if (!keyring) {
    ctx.io.stderr.write('SETTINGS_ENCRYPTION_KEYS is not set: there is no key to re-encrypt to (see docs/setup.md).\n');
    return EXIT_USAGE;
  }
  const report = await reencryptSettings(rewriter, {
    keyring,
    dryRun: flagOption(ctx, 'dry-run'),
    encryptPlaintext: flagOption(ctx, 'encrypt-plaintext'),
  });
  ctx.emitJson(report);
  ctx.say(
    `${report.dryRun ? 'Dry run: ' : ''}${report.scanned} secret(s) scanned; ${report.reencrypted} ${report.dryRun ? 'to move' : 'moved'} to key ` +
      `${report.currentKeyId}, ${report.upgraded} ${report.dryRun ? 'to upgrade' : 'upgraded'} from format v1 to v2 (bound to their account), ` +
      `${report.alreadyCurrent} already current, ${report.plaintext} in plaintext` +
      `${report.encryptedPlaintext ? ` (${report.encryptedPlaintext} encrypted now)` : ''}; ${report.written} written, ${report.conflicts} changed meanwhile.`,
  );
  for (const failure of report.failed) ctx.say(`  account ${failure.accountId} ${failure.setting}: ${failure.problem}`);
  return report.failed.length > 0 || report.conflicts > 0 ? EXIT_INCOMPLETE : EXIT_OK;
}
