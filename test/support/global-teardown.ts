// Stops what global-setup started, and repeats which MongoDB the contract suites ran against.
export default async function globalTeardown(): Promise<void> {
  const mongo = globalThis.__TEST_MONGO__;
  if (mongo) process.stdout.write(`\n${mongo.banner}\n`);
  await Promise.all([globalThis.__TEST_REDIS__?.stop(), globalThis.__TEST_CLUSTER__?.stop(), mongo?.stop()]);
}
