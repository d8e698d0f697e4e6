// Stops the per-worker Mosquitto brokers that global-setup.cjs started.
module.exports = async function globalTeardown() {
  const brokers = globalThis.__TM_TEST_BROKERS__ ?? [];
  await Promise.all(
    brokers.map(
      ({ child }) =>
        new Promise((resolve) => {
          if (child.exitCode !== null) return resolve();
          child.once('exit', resolve);
          child.kill('SIGTERM');
        }),
    ),
  );
};
