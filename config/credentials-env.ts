// Environment variables for secrets at rest and credential checks. Merged into the one schema by env-schema.ts.
import { z } from 'zod';
import { KEY_ID_PATTERN, SecretKeyringError, parseKeyring } from '../src/secrets/secret-keyring';
import type { CredentialsConfig } from '../src/service-config';
import { boolean, optionalString as optionalSecret, positiveInt, problemWith } from './env-values';

export const credentialsEnvSchema = z.object({
  SETTINGS_ENCRYPTION_KEYS: optionalSecret,
  SETTINGS_ENCRYPTION_KEY: optionalSecret,
  SETTINGS_ENCRYPTION_KEY_ID: z.string().regex(KEY_ID_PATTERN, '1-32 letters, digits, - or _').default('k1'),
  SETTINGS_REQUIRE_ENCRYPTED: boolean.default(false),
  CREDENTIAL_EXPIRY_WARNING_DAYS: positiveInt.max(365).default(30),
  CREDENTIAL_EXPIRY_CHECK_INTERVAL_HOURS: positiveInt.max(24 * 7).default(24),
});

export type CredentialsEnv = z.infer<typeof credentialsEnvSchema>;

export const credentialsEnvExamples: Record<keyof CredentialsEnv, string> = {
  SETTINGS_ENCRYPTION_KEYS: 'k2:<openssl rand -base64 32>,k1:<the previous key>',
  SETTINGS_ENCRYPTION_KEY: '<openssl rand -base64 32>',
  SETTINGS_ENCRYPTION_KEY_ID: 'k1',
  SETTINGS_REQUIRE_ENCRYPTED: 'true',
  CREDENTIAL_EXPIRY_WARNING_DAYS: '30',
  CREDENTIAL_EXPIRY_CHECK_INTERVAL_HOURS: '24',
};

const problem = problemWith(credentialsEnvExamples);

/** Turns the parsed variables into typed config; push cross-field problems onto `problems`. */
export function readCredentialsConfig(env: CredentialsEnv, problems: string[]): CredentialsConfig {
  const config: CredentialsConfig = {
    requireEncrypted: env.SETTINGS_REQUIRE_ENCRYPTED,
    expiryWarningDays: env.CREDENTIAL_EXPIRY_WARNING_DAYS,
    expiryCheckIntervalMs: env.CREDENTIAL_EXPIRY_CHECK_INTERVAL_HOURS * 3600_000,
  };
  if (env.SETTINGS_ENCRYPTION_KEYS !== undefined && env.SETTINGS_ENCRYPTION_KEY !== undefined) {
    problems.push(
      problem(
        'SETTINGS_ENCRYPTION_KEY',
        'set either SETTINGS_ENCRYPTION_KEYS (several keys, for rotation) or SETTINGS_ENCRYPTION_KEY, not both',
      ),
    );
    return config;
  }
  const name = env.SETTINGS_ENCRYPTION_KEYS !== undefined ? 'SETTINGS_ENCRYPTION_KEYS' : 'SETTINGS_ENCRYPTION_KEY';
  const spec = env[name];
  if (spec === undefined) {
    // Without keys no secret could be read at all: encrypted ones need a key, plaintext ones are refused.
    if (env.SETTINGS_REQUIRE_ENCRYPTED) {
      problems.push(problem('SETTINGS_REQUIRE_ENCRYPTED', 'is true, so SETTINGS_ENCRYPTION_KEYS must hold the keys the ERP encrypts with'));
    }
    return config;
  }
  if (name === 'SETTINGS_ENCRYPTION_KEY' && spec.includes(':')) {
    problems.push(problem(name, 'holds one base64 key without an id; use SETTINGS_ENCRYPTION_KEYS for "<id>:<key>" entries'));
    return config;
  }
  try {
    config.keyring = parseKeyring(spec, env.SETTINGS_ENCRYPTION_KEY_ID);
  } catch (err: unknown) {
    if (!(err instanceof SecretKeyringError)) throw err;
    // The keyring's messages name entries and ids, never key material.
    problems.push(problem(name, err.message));
  }
  return config;
}
