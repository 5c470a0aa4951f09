import { rotateCheckpointKeys } from '../lib/checkpoint-key.ts';
import { existsSync } from 'node:fs';
import { loadConfig } from '../config.ts';
import { databasePath, openDatabase } from '../db/client.ts';
import { unlockKeys } from '../domain/keys/keyring.ts';
import { countPinHashes, countUnreadable, rotateKeys } from '../domain/keys/rotate.ts';
import { isCryptoProfile } from '../lib/crypto.ts';
import { CliFailure, type Command, holdRestoreLock, openExisting } from './support.ts';

/** Operator commands on the encryption keys: checking them and rotating them. */

export const keysCommands: Record<string, Command> = {
  'keys check': {
    usage: 'keys check',
    summary: 'check that the keys (secrets.json or the variables) open every ID number and card token in the database',
    async run() {
      const config = loadConfig();
      const db = openExisting();
      try {
        const secrets = unlockKeys(db, config.dataDirectory, { requestedProfile: config.cryptoProfile });
        const { checked, unreadable } = countUnreadable(db, secrets);
        if (unreadable > 0) {
          console.error(`keys BAD (${secrets.cryptoProfile}): ${unreadable} of ${checked} encrypted values do not open with these keys`);
          return 1;
        }
        const pins = countPinHashes(db, secrets);
        if (pins.missingKey > 0) {
          console.error(`keys BAD (${secrets.cryptoProfile}): ${pins.missingKey} PIN hashes were made under a PIN key these keys do not hold`);
          return 1;
        }
        console.log(`keys ok (${secrets.cryptoProfile}): all ${checked} encrypted values open with these keys`);
        console.log(`PINs: ${pins.current} under the current PIN key, ${pins.retired} under a previous one and ${pins.argon2id} argon2id (each moves to the current key on its next use)`);
        return 0;
      } finally {
        db.$client.close();
      }
    },
  },
  'keys rotate': {
    usage: 'keys rotate [--profile P]',
    summary: 'new keys: re-encrypt ID numbers and card tokens, re-key lookup hashes in one transaction (server stopped); P = international or guomi',
    async run(args) {
      const index = args.indexOf('--profile');
      const targetProfile = index >= 0 ? args[index + 1] : undefined;
      if (targetProfile !== undefined && !isCryptoProfile(targetProfile)) {
        console.error('--profile must be international or guomi');
        return 2;
      }
      const config = loadConfig();
      // Like restore: the exclusive lock on DATA_DIR/server.lock, refused while any server or command holds it.
      holdRestoreLock(config.dataDirectory, 'rotating the keys', 'rotate the keys');
      const path = databasePath(config.dataDirectory);
      if (!existsSync(path)) throw new CliFailure(`No database at ${path}. Start the app once (npm start) or set DATA_DIR.`, 2);
      const db = openDatabase(path);
      try {
        const result = rotateKeys(db, config.dataDirectory, { targetProfile, nowMs: Date.now() });
        // A new checkpoint signing key; the old public key stays listed, so published signatures still verify.
        rotateCheckpointKeys(config.dataDirectory);
        console.log(`keys rotated (${result.cryptoProfile}): ${result.idNumbers} ID numbers, ${result.cardTokens} card tokens, ${result.importFiles} roster files, ${result.objectionPhones} objection phones re-encrypted; `
          + `old keys kept in ${result.backupFile} (store it with the backups made before today). Everyone must sign in again.`);
        console.log(`PINs: a new PIN key; ${result.pinsToMove} PINs move to it on their next use (secrets.json keeps the previous PIN key until then).`);
        return 0;
      } finally {
        db.$client.close();
      }
    },
  },
};
