// Electron's safeStorage as the credential store's fallback cipher, offered only where its key is really the system's.
import { safeStorage } from 'electron';
import type { SecretCipher } from '../services/credentials/credential-store';

/**
 * safeStorage when it encrypts with a key the OS keeps (Keychain, DPAPI, a Linux secret service or KWallet); undefined
 * otherwise. On Linux without either, Chromium falls back to a fixed, public key ('basic_text'): that is obfuscation,
 * not encryption, so memory (with its warning) is the honest choice there. Call after the app's 'ready'.
 */
export function desktopSecretCipher(): SecretCipher | undefined {
  if (!safeStorage.isEncryptionAvailable()) return undefined;
  if (process.platform === 'linux' && safeStorage.getSelectedStorageBackend() === 'basic_text') return undefined;
  return safeStorage;
}
