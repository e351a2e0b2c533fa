// Microsoft's national clouds: which login host, Graph host and token scope each one uses.
import type { CloudName } from '../../config/env-schema';

export interface CloudEndpoints {
  cloud: CloudName;
  loginBaseUrl: string;
  graphBaseUrl: string;
  /** Tokens do not cross clouds: the scope follows the Graph host. */
  scope: string;
}

const NATIONAL_CLOUDS: Record<CloudName, { loginBaseUrl: string; graphBaseUrl: string }> = {
  global: { loginBaseUrl: 'https://login.microsoftonline.com', graphBaseUrl: 'https://graph.microsoft.com' },
  usgov: { loginBaseUrl: 'https://login.microsoftonline.us', graphBaseUrl: 'https://graph.microsoft.us' },
  'usgov-dod': { loginBaseUrl: 'https://login.microsoftonline.us', graphBaseUrl: 'https://dod-graph.microsoft.us' },
  china: { loginBaseUrl: 'https://login.chinacloudapi.cn', graphBaseUrl: 'https://microsoftgraph.chinacloudapi.cn' },
};

/** The hosts for a cloud; the overrides point the worker somewhere else (a proxy, or the simulator). */
export function resolveCloudEndpoints(cloud: CloudName, overrides: { loginBaseUrl?: string; graphBaseUrl?: string } = {}): CloudEndpoints {
  const hosts = NATIONAL_CLOUDS[cloud];
  const graphBaseUrl = overrides.graphBaseUrl ?? hosts.graphBaseUrl;
  return {
    cloud,
    loginBaseUrl: overrides.loginBaseUrl ?? hosts.loginBaseUrl,
    graphBaseUrl,
    scope: `${graphBaseUrl}/.default`,
  };
}
