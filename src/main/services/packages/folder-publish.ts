// Publishing a folder from the UI: pack it (a folder on this machine, or the files a browser uploaded), say what a
// publish would do, then publish it to this registry (reading the stored tarball back to check it is what was packed)
// or to a remote registry the user added (services/remotes, which verifies its own way).
import ssri from 'ssri';
import type { CallResult } from '../../../shared/contract';
import { badRequest } from '../../errors';
import type { Principal } from '../auth/principal';
import type { PackageService } from './package-service';
import type { DownloadStats } from './downloads';
import { packageDetails, tarballListing } from './ui-views';
import { packFolder, packUpload, publishBody, type PackedFolder, type UploadLimits } from '../packer/pack-folder';
import { publishToRemote, remotePackument, type RemoteTarget } from '../remotes/publish';

/** Files as the contract carries them: '/'-separated paths and base64 bytes. */
export interface EncodedUpload {
  name: string;
  files: { path: string; data: string }[];
}

/** A folder to pack: a path on this machine (the caller checked it may be read) or an upload. */
export interface FolderSource {
  path?: string;
  upload?: EncodedUpload;
  exclude?: string[];
}

export const decodeUpload = (upload: { files: { path: string; data: string }[] }) =>
  upload.files.map((f) => ({ path: f.path, data: Buffer.from(f.data, 'base64') }));

export class FolderPublisher {
  constructor(
    private readonly packages: PackageService,
    private readonly stats: DownloadStats,
    /** This registry's address as clients reach it (known once listening). */
    private readonly registryUrl: () => string,
    private readonly uploadLimits: UploadLimits,
  ) {}

  pack(source: FolderSource): Promise<PackedFolder> {
    if (source.upload) return packUpload(decodeUpload(source.upload), this.uploadLimits, source.upload.name, source.exclude);
    if (!source.path) throw badRequest('say which folder to publish: a path, or the folder’s files');
    return packFolder(source.path, undefined, source.exclude);
  }

  /** What publishing would do: the packed files, the manifest's problems, and whether the version is already there. */
  async inspect(principal: Principal, source: FolderSource, remote?: RemoteTarget): Promise<CallResult<'publish.inspect'>> {
    const packed = await this.pack(source);
    const name = typeof packed.manifest.name === 'string' ? packed.manifest.name : null;
    const version = typeof packed.manifest.version === 'string' ? packed.manifest.version : null;
    const alreadyPublished = name !== null && version !== null && (await this.isPublished(principal, name, version, remote));
    const problems = [...packed.problems];
    if (alreadyPublished)
      problems.push(
        `${name}@${version} is already published to ${remote ? remote.url : 'this registry'}; raise "version" in package.json (npm version patch)`,
      );
    return {
      path: packed.dir,
      name,
      version,
      description: typeof packed.manifest.description === 'string' ? packed.manifest.description : null,
      problems,
      warnings: packed.warnings,
      alreadyPublished,
      registryUrl: remote ? remote.url : this.registryUrl(),
      files: packed.files,
      size: packed.tarball.length,
      unpackedSize: packed.unpackedSize,
      integrity: packed.integrity,
    };
  }

  /** Publishes the folder and checks the registry holds exactly what was packed. */
  async publish(
    principal: Principal,
    source: FolderSource,
    tag: string,
    remote?: RemoteTarget & { id: string },
  ): Promise<CallResult<'publish.run'>> {
    const packed = await this.pack(source);
    if (packed.problems.length) throw badRequest(`cannot publish: ${packed.problems.join('; ')}`);
    if (remote) {
      const published = await publishToRemote(remote, packed, tag);
      return { ...published, tag, registryId: remote.id, registryUrl: remote.url };
    }
    const name = String(packed.manifest.name);
    const update = await this.packages.update(principal, name, publishBody(packed, tag, this.registryUrl()), undefined);
    if (update.kind !== 'published') throw badRequest('the registry did not treat this as a publish');
    // Read the stored tarball back and check it is byte-for-byte what was packed.
    const listing = await tarballListing(this.packages.ctx, principal, name, update.result.version);
    const stored = await this.packages.ctx.blobs.read(listing.integrity);
    const verified = stored !== undefined && Boolean(ssri.checkData(stored, packed.integrity)) && listing.integrity === packed.integrity;
    return {
      name,
      version: update.result.version,
      tag,
      integrity: update.result.integrity,
      verified,
      registryId: 'local',
      registryUrl: this.registryUrl(),
    };
  }

  private async isPublished(principal: Principal, name: string, version: string, remote?: RemoteTarget): Promise<boolean> {
    if (remote) {
      // A registry that cannot be read now is not a blocker here; publishing will say what is wrong.
      const packument = await remotePackument(remote, name).catch(() => undefined);
      return Boolean((packument?.versions as Record<string, unknown> | undefined)?.[version]);
    }
    try {
      return (await packageDetails(this.packages.ctx, this.stats, principal, name)).versions.some((v) => v.version === version);
    } catch {
      return false;
    }
  }
}
