// Run inside a D-Bus session with an unlocked gnome-keyring (see credential-store.test.ts): a real keychain round trip.
import { openCredentialStore } from '../../../src/main/services/credentials/credential-store';

async function main(): Promise<void> {
  const store = await openCredentialStore();
  console.log(`backend=${store.backend}`);
  await store.set('upstream:http://127.0.0.1:9/', 's3cr3t-token');
  console.log(`read=${await store.get('upstream:http://127.0.0.1:9/')}`);
  await store.delete('upstream:http://127.0.0.1:9/');
  console.log(`after-delete=${await store.get('upstream:http://127.0.0.1:9/')}`);
}

main().catch((error) => {
  console.log(`error=${(error as Error).message}`);
  process.exit(1);
});
