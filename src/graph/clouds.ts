// Microsoft's national clouds: which login host, Graph host and token scope each one uses.

/** The values of MS_GRAPH_CLOUD. */
export const CLOUD_NAMES = ['global', 'usgov', 'usgov-dod', 'china'] as const;
export type CloudName = (typeof CLOUD_NAMES)[number];

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

export function isCloudName(value: string): value is CloudName {
  return Object.hasOwn(NATIONAL_CLOUDS, value);
}

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

/**
 * The endpoints for one account. The configured ones (MS_GRAPH_CLOUD with its base-URL overrides)
 * serve every account of that cloud; an account in another cloud goes to that cloud's own hosts,
 * because the overrides are meant for the configured cloud and tokens do not cross clouds.
 */
export function endpointsForAccount(configured: CloudEndpoints, accountCloud: CloudName | undefined): CloudEndpoints {
  return accountCloud === undefined || accountCloud === configured.cloud ? configured : resolveCloudEndpoints(accountCloud);
}

/** The cloud whose Microsoft Graph host a base URL is, if it is one. */
export function cloudOfGraphBaseUrl(graphBaseUrl: string): CloudName | undefined {
  const normalized = graphBaseUrl.replace(/\/+$/, '');
  return (Object.keys(NATIONAL_CLOUDS) as CloudName[]).find((cloud) => NATIONAL_CLOUDS[cloud].graphBaseUrl === normalized);
}
