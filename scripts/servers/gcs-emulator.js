// Starts the Firebase Storage emulator (GCS JSON API) without the firebase CLI, which needs
// Java 21 and downloads a rules jar at run time. The JSON API path never evaluates security
// rules, so the rules runtime is replaced by no-ops. Module paths are internal to
// firebase-tools: package.json pins the exact version.
//   NODE_PATH-independent: FIREBASE_TOOLS_DIR points at node_modules/firebase-tools.
'use strict';
const path = require('path');
const dir = process.env.FIREBASE_TOOLS_DIR;
const { StorageEmulator } = require(path.join(dir, 'lib/emulator/storage'));
const { EmulatorRegistry } = require(path.join(dir, 'lib/emulator/registry'));

const host = process.env.GCS_HOST || '127.0.0.1';
const port = Number(process.env.GCS_PORT || 9199);
const emu = new StorageEmulator({ projectId: 'demo-test', host, port, rules: [], auto_download: false });
const noop = async () => {};
for (const part of [emu._rulesRuntime, emu._rulesManager]) {
  if (part) {
    part.start = noop;
    part.stop = noop;
  }
}
EmulatorRegistry.start(emu).then(
  () => console.log(`gcs emulator on http://${host}:${port}`),
  (err) => { console.error(`gcs emulator failed: ${err}`); process.exit(1); });
const shutdown = () => { emu.stop().finally(() => process.exit(0)); };
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
