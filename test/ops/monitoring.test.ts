// The shipped monitoring: alert rules unit-tested with promtool (each alert fires on a series that
// should fire it and stays silent on one that should not), and the alert rules and the Grafana
// dashboard query only metrics the worker and the dashboard really export on /metrics.
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { hashPassword } from '../../src/dashboard/password-hash';
import { logLine, loggedPort, spawnEntryProcess } from '../support/worker-processes';

const DOCS = join(__dirname, '../../docs');
const RULES_FILE = join(DOCS, 'alerts/email-worker.yml');
const RULE_TESTS_FILE = join(DOCS, 'alerts/email-worker.test.yml');
const GRAFANA_FILE = join(DOCS, 'grafana/email-worker.json');
/** Series Prometheus makes itself for every scrape target, not exported by any process. */
const PROMETHEUS_OWN = new Set(['up']);

interface AlertRule {
  alert: string;
  expr: string;
}
interface RuleTests {
  rule_files: string[];
  tests: { name: string; alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
}

const rules = (parse(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);
const grafana = JSON.parse(readFileSync(GRAFANA_FILE, 'utf8')) as {
  panels: { id: number; type: string; datasource?: { uid?: string }; targets?: { expr: string; datasource?: { uid?: string } }[] }[];
  templating: { list: { name: string; type: string; definition?: string }[] };
};

// CI must run these tests; .ci/run installs promtool (Debian's prometheus package) and sets CI=true.
const inCi = ['true', '1'].includes((process.env.CI ?? '').toLowerCase());
const promtoolFound = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;
if (!promtoolFound && !inCi) {
  console.warn(
    "\n*** SKIPPING the alert rule tests: promtool is missing. Install Debian's package " +
      '(apt-get install -y --no-install-recommends prometheus) to run them; CI fails without it. ***\n',
  );
}

function promtool(...args: string[]): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { cwd: join(DOCS, 'alerts'), encoding: 'utf8' });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

// Skipped, loudly (above), on a developer machine without promtool; in CI the first test fails instead.
const describeWithPromtool = promtoolFound || inCi ? describe : describe.skip;

describeWithPromtool('the alert rules (promtool)', () => {
  it('promtool is installed', () => {
    expect({ promtoolFound, hint: 'apt-get install -y --no-install-recommends prometheus' }).toEqual({
      promtoolFound: true,
      hint: expect.any(String),
    });
  });

  it('are valid rules', () => {
    const check = promtool('check', 'rules', 'email-worker.yml');
    expect({ status: check.status, output: check.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('pass their unit tests: each alert fires on a series that should fire it, and stays silent on one that should not', () => {
    const test = promtool('test', 'rules', 'email-worker.test.yml');
    expect({ status: test.status, output: test.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('fail their unit tests when an alert does not fire as expected (the test is not vacuous)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'omikai-rules-'));
    try {
      // The same tests against rules whose EmailQueueStuck ignores a paused queue, as it once did.
      const broken = readFileSync(RULES_FILE, 'utf8').replace(
        /\n\s+unless on \(queue\) max by \(queue\) \(omikai_email_queue_paused\) == 1/,
        '',
      );
      expect(broken).not.toEqual(readFileSync(RULES_FILE, 'utf8'));
      await writeFile(join(dir, 'email-worker.yml'), broken);
      await writeFile(join(dir, 'email-worker.test.yml'), readFileSync(RULE_TESTS_FILE, 'utf8'));
      const run = spawnSync('promtool', ['test', 'rules', 'email-worker.test.yml'], { cwd: dir, encoding: 'utf8' });
      expect(run.status).toBe(1);
      expect(`${run.stdout}${run.stderr}`).toContain('alertname: EmailQueueStuck');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the alert rule tests', () => {
  it('cover every alert both ways: a series that fires it and one that leaves it silent', () => {
    const tests = parse(readFileSync(RULE_TESTS_FILE, 'utf8')) as RuleTests;
    expect(tests.rule_files).toEqual(['email-worker.yml']);
    const cases = tests.tests.flatMap((test) => test.alert_rule_test ?? []);
    const coverage = rules.map(({ alert }) => ({
      alert,
      fires: cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length > 0),
      silent: cases.some((c) => c.alertname === alert && (c.exp_alerts ?? []).length === 0),
    }));
    expect(coverage).toEqual(rules.map(({ alert }) => ({ alert, fires: true, silent: true })));
  });
});

/** The metric names a PromQL expression reads (functions, keywords, labels and durations left out). */
function metricNamesIn(expr: string): string[] {
  const bare = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ')
    .replace(/\$\{?\w+\}?/g, ' ');
  const keywords = new Set(['by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool', 'and', 'or', 'unless']);
  const names: string[] = [];
  for (const match of bare.matchAll(/(?<![\w.])[a-zA-Z_:][\w:]*(?!\w)/g)) {
    const after = bare.slice((match.index ?? 0) + match[0].length);
    if (/^\s*\(/.test(after) || keywords.has(match[0])) continue;
    names.push(match[0]);
  }
  return names;
}

/** Every series name a /metrics page can hold: counters and gauges as typed, histograms with their suffixes. */
function exportedNames(metricsText: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of metricsText.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    if (!name) continue;
    names.add(name);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

function grafanaQueries(): string[] {
  const targets = grafana.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));
  const variables = grafana.templating.list.flatMap((variable) => {
    const labelValues = /^label_values\(([^,]+),/.exec(variable.definition ?? '');
    return labelValues?.[1] ? [labelValues[1]] : [];
  });
  return [...targets, ...variables];
}

describe('the metrics the alert rules and the Grafana dashboard query', () => {
  let exported: Set<string>;
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'omikai-metrics-'));
    const settingsFile = join(dir, 'settings.json');
    await writeFile(settingsFile, JSON.stringify({ accounts: [], users: [] }));
    const base = {
      STORE: 'memory',
      SETTINGS_FILE: settingsFile,
      REDIS_URL: process.env.REDIS_URL!,
      EMAIL_QUEUE_NAME: `test-${randomUUID()}`,
      OPS_HTTP_HOST: '127.0.0.1',
    };
    const worker = spawnEntryProcess('email-worker.ts', { ...base, WORKER_METRICS_PORT: 'auto' });
    const dashboard = spawnEntryProcess('dashboard.ts', {
      ...base,
      DASHBOARD_USERS: `olga:operator:${await hashPassword('operator-password-1', { N: 2 ** 15, r: 8, p: 1 })}`,
      DASHBOARD_PORT: 'auto',
      DASHBOARD_METRICS_PORT: 'auto',
    });
    try {
      // Each process reports the ports it bound; logLine fails with the process's output if it never starts.
      const [workerStarted, dashboardStarted] = await Promise.all([
        logLine(worker, 'e-mail worker started'),
        logLine(dashboard, 'dashboard started'),
      ]);
      const [workerPort, dashboardMetricsPort] = [loggedPort(workerStarted, 'metricsPort'), loggedPort(dashboardStarted, 'metricsPort')];
      const pages = await Promise.all(
        [workerPort, dashboardMetricsPort].map(async (port) => (await fetch(`http://127.0.0.1:${port}/metrics`)).text()),
      );
      exported = new Set(pages.flatMap((page) => [...exportedNames(page)]));
    } finally {
      for (const child of [worker.child, dashboard.child]) child.kill('SIGTERM');
      await Promise.all([worker.exited, dashboard.exited]);
    }
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('reads metric names out of PromQL, leaving functions, labels, durations and variables out', () => {
    expect(
      metricNamesIn(
        'histogram_quantile(0.95, sum by (le) (rate(a_bucket{outcome="sent", x=~"$queue"}[$__rate_interval]))) / ' +
          'max by (queue) (b) > 15 * 60 unless on (queue) c offset 5m == 1 and absent(up{job="w"})',
      ),
    ).toEqual(['a_bucket', 'b', 'c', 'up']);
  });

  it('are all exported by the worker or the dashboard (up is Prometheus own)', () => {
    const queried = new Set([...rules.map((rule) => rule.expr), ...grafanaQueries()].flatMap(metricNamesIn));
    expect(queried.size).toBeGreaterThan(8);
    const unknown = [...queried].filter((name) => !exported.has(name) && !PROMETHEUS_OWN.has(name));
    expect(unknown).toEqual([]);
  });

  it("cover every metric of the project's own on the Grafana dashboard", () => {
    const onDashboard = new Set(grafanaQueries().flatMap(metricNamesIn));
    const ours = [...exported].filter((name) => name.startsWith('omikai_') && !/_(bucket|sum|count)$/.test(name));
    expect(ours.length).toBeGreaterThan(8);
    const missing = ours.filter((name) => ![name, `${name}_bucket`, `${name}_sum`, `${name}_count`].some((n) => onDashboard.has(n)));
    expect(missing).toEqual([]);
  });
});

describe('the Grafana dashboard', () => {
  it('has unique panel ids, and every query goes to the chosen Prometheus data source', () => {
    const ids = grafana.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(grafana.templating.list.map((variable) => [variable.name, variable.type])).toEqual([
      ['datasource', 'datasource'],
      ['queue', 'query'],
    ]);
    for (const panel of grafana.panels.filter((p) => p.type !== 'row')) {
      expect({ id: panel.id, uid: panel.datasource?.uid }).toEqual({ id: panel.id, uid: '${datasource}' });
      for (const target of panel.targets ?? []) expect(target.datasource?.uid).toBe('${datasource}');
    }
  });
});
