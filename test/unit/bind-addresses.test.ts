// Where the worker's and the dashboard's servers listen: loopback unless told otherwise, each server
// with its own setting, and the container set-up opening exactly what must be reached.
import { readFileSync } from 'node:fs';
import { loadConfig } from '../../config/load-config';

const base = { STORE: 'memory', SETTINGS_FILE: 'x.json' };
const hostsOf = (env: Record<string, string>) => {
  const { ops } = loadConfig({ ...base, ...env });
  return { dashboard: ops.dashboard.host, dashboardMetrics: ops.dashboard.metricsHost, workerMetrics: ops.worker.metricsHost };
};

describe('bind addresses', () => {
  it('every server listens on 127.0.0.1 unless told otherwise', () => {
    expect(hostsOf({})).toEqual({ dashboard: '127.0.0.1', dashboardMetrics: '127.0.0.1', workerMetrics: '127.0.0.1' });
    expect(loadConfig(base).ops.deprecations).toEqual([]);
  });

  it('each server has its own setting', () => {
    expect(hostsOf({ DASHBOARD_HOST: '0.0.0.0' })).toEqual({
      dashboard: '0.0.0.0',
      dashboardMetrics: '127.0.0.1',
      workerMetrics: '127.0.0.1',
    });
    expect(hostsOf({ DASHBOARD_METRICS_HOST: '10.0.0.5', WORKER_METRICS_HOST: '::' })).toEqual({
      dashboard: '127.0.0.1',
      dashboardMetrics: '10.0.0.5',
      workerMetrics: '::',
    });
  });

  it('OPS_HTTP_HOST still works where no server setting is given, and says it is deprecated', () => {
    expect(hostsOf({ OPS_HTTP_HOST: '0.0.0.0', DASHBOARD_HOST: '127.0.0.1' })).toEqual({
      dashboard: '127.0.0.1',
      dashboardMetrics: '0.0.0.0',
      workerMetrics: '0.0.0.0',
    });
    expect(loadConfig({ ...base, OPS_HTTP_HOST: '0.0.0.0' }).ops.deprecations).toEqual([
      expect.stringMatching(/^OPS_HTTP_HOST is deprecated: .*DASHBOARD_HOST, DASHBOARD_METRICS_HOST and WORKER_METRICS_HOST/),
    ]);
  });
});

describe('the container set-up opens what must be reached', () => {
  const compose = readFileSync(`${__dirname}/../../docker-compose.yml`, 'utf8');
  const dockerfile = readFileSync(`${__dirname}/../../Dockerfile`, 'utf8');
  /** The lines of one service's block in docker-compose.yml. */
  const service = (name: string) => {
    const start = compose.indexOf(`\n  ${name}:\n`);
    const next = compose.slice(start + 1).search(/\n {2}[a-z-]+:\n/);
    return compose.slice(start, next === -1 ? undefined : start + 1 + next);
  };

  it('the image listens on all interfaces of its container, where only published ports are reachable', () => {
    expect(dockerfile).toMatch(/ENV [^\n]*WORKER_METRICS_HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/ENV [^\n]*DASHBOARD_HOST=0\.0\.0\.0/);
    expect(dockerfile).toMatch(/ENV [^\n]*DASHBOARD_METRICS_HOST=0\.0\.0\.0/);
  });

  it('compose sets them explicitly and publishes the board on the host loopback only', () => {
    expect(service('dashboard')).toContain('DASHBOARD_HOST: ${DASHBOARD_HOST:-0.0.0.0}');
    expect(service('dashboard')).toContain('DASHBOARD_METRICS_HOST: ${DASHBOARD_METRICS_HOST:-127.0.0.1}');
    expect(service('dashboard')).toMatch(/ports: \['127\.0\.0\.1:[^']+'\]/);
    expect(service('worker')).toContain('WORKER_METRICS_HOST: ${WORKER_METRICS_HOST:-0.0.0.0}');
    expect(service('worker')).not.toMatch(/ports:/);
  });
});
