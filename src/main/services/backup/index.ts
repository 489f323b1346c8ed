// Backup and restore of a data folder: the public face of this folder, used by `shelf backup`/`shelf restore` and the UI.
export { createBackup, type BackupProgress, type BackupSummary, type CreateBackupOptions } from './create-backup';
export { restoreBackup, type RestoreOptions, type RestoreProgress, type RestoreSummary } from './restore-backup';
export { BACKUP_FORMAT_VERSION, SETTINGS_FILES } from './manifest';
export { BACKUPS_FOLDER, backupDownload, backupFromUi, restoreFromUi } from './ui-backup';
