// `ops queue pause|resume|status`: stop or restart sending for every worker at once, or look at the counts.
import { QUEUE_STATES } from '../queue-metrics';
import { EXIT_OK, UsageError, type CommandContext } from './cli-context';

export async function queueCommand(ctx: CommandContext, action: string): Promise<number> {
  if (ctx.positionals.length > 0) throw new UsageError(`Unexpected argument ${ctx.positionals[0]}`);
  const queue = ctx.queue();
  if (action === 'pause') await queue.pause();
  else if (action === 'resume') await queue.resume();
  else if (action !== 'status') throw new UsageError('ops queue pause | resume | status');
  const [paused, counts] = await Promise.all([queue.isPaused(), queue.getJobCounts(...QUEUE_STATES)]);
  ctx.emitJson({ queue: queue.name, paused, counts });
  const verb =
    action === 'pause'
      ? 'paused: workers finish what they hold and start nothing new'
      : action === 'resume'
        ? 'resumed'
        : paused
          ? 'paused'
          : 'running';
  ctx.say(`Queue ${queue.name} ${verb}.`);
  ctx.say(QUEUE_STATES.map((state) => `${state} ${counts[state] ?? 0}`).join(', '));
  return EXIT_OK;
}
