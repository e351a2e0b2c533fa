// `ops hash-password`: reads a password from stdin and prints the scrypt hash for DASHBOARD_USERS.
import { hashPassword, MIN_PASSWORD_LENGTH } from '../../dashboard/password-hash';
import { EXIT_OK, UsageError, type CommandContext } from './cli-context';

async function readFirstLine(stream: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0] ?? '';
}

export async function hashPasswordCommand(ctx: CommandContext): Promise<number> {
  if (ctx.positionals.length > 0)
    throw new UsageError('The password is read from stdin, not from the command line (it would stay in the shell history).');
  const stdin = ctx.io.stdin as NodeJS.ReadableStream & { isTTY?: boolean };
  if (stdin.isTTY) ctx.io.stderr.write('Password (visible as you type; or pipe it in): ');
  const password = await readFirstLine(stdin);
  if (password.length < MIN_PASSWORD_LENGTH)
    throw new UsageError(`Use at least ${MIN_PASSWORD_LENGTH} characters for a dashboard password.`);
  const hash = await hashPassword(password);
  ctx.emitJson({ hash });
  ctx.say(hash);
  // The hint goes to stderr so `$(ops hash-password)` captures the hash alone.
  if (!ctx.json) ctx.io.stderr.write(`Put it in DASHBOARD_USERS as name:role:hash, e.g. anna:operator:${hash.slice(0, 24)}…\n`);
  return EXIT_OK;
}
