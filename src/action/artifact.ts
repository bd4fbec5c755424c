// Upload through the real @actions/artifact client, with the failures it leaves to its callers handled here.
import type { Clock } from '../core/clock.ts';
import type { ArtifactUploader, Logger, UploadedArtifact, UploadOptions } from '../core/ports.ts';
import { errorMessage } from '../core/errors.ts';

export class ArtifactError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArtifactError';
  }
}

// The client throws at once on these, without a retry of its own.
const NETWORK_CODES = ['ECONNRESET', 'ETIMEDOUT', 'ECONNREFUSED', 'EHOSTUNREACH', 'ENOTFOUND'];
const ATTEMPTS = 3;
/** How long the upload waits to learn whether its name is taken already. */
const EXISTENCE_CHECK_MS = 5_000;

/** The client's answer for a name it does not find. */
function isNotFound(e: unknown): boolean {
  return (e as Error)?.name === 'ArtifactNotFoundError' || /not found|ArtifactNotFound/i.test(errorMessage(e));
}

export function createArtifactUploader(logger: Logger, clock: Clock): ArtifactUploader {
  return {
    async upload(name: string, files: string[], rootDir: string, o: UploadOptions): Promise<UploadedArtifact> {
      // Loaded on first use: the client and its Azure SDK are most of the bundle, and not needed to start.
      const { DefaultArtifactClient } = await import('@actions/artifact');
      const client = new DefaultArtifactClient();
      if (o.overwrite) {
        try {
          await client.deleteArtifact(name);
          logger.info(`deleted the earlier artifact named ${name} ('overwrite' is true)`);
        } catch (e) {
          if (!isNotFound(e)) {
            throw new ArtifactError(`could not delete the earlier artifact '${name}' for 'overwrite': ${errorMessage(e)}`);
          }
        }
      }
      // Whether an artifact of the name exists before this upload: if not, one found after an answer was lost
      // was made meanwhile. Unknown (undefined) when the listing failed, or is still retrying after a few
      // seconds (the client retries a failing listing for about 30 s; the upload does not wait for that).
      const existedBefore = o.overwrite ? false : await Promise.race([
        client.getArtifact(name).then(() => true, (e: unknown) => ((e as Error)?.name === 'ArtifactNotFoundError' ? false : undefined)),
        clock.sleep(EXISTENCE_CHECK_MS).then(() => undefined),
      ]);
      for (let attempt = 1; ; attempt++) {
        try {
          // Awaited here: the client does not await inside its own try, so its async failures need catching here.
          const res = await client.uploadArtifact(name, files, rootDir, {
            compressionLevel: o.compressionLevel,
            ...(o.retentionDays !== undefined ? { retentionDays: o.retentionDays } : {}),
          });
          if (res.id === undefined) throw new ArtifactError(`the artifact service did not confirm artifact '${name}'`);
          return { id: res.id, size: res.size ?? 0, digest: res.digest };
        } catch (e) {
          const msg = errorMessage(e);
          const conflict = /\(409\)|already exists/i.test(msg);
          if (conflict && attempt > 1 && existedBefore === false) {
            // No artifact had the name when this upload began, so one now was made meanwhile: most likely by an
            // earlier attempt that finished before its answer was lost. Another job of the run uploading the same
            // name in those seconds cannot be told apart (the service does not say which job made it): said so.
            const found = await client.getArtifact(name).then((r) => r.artifact, () => undefined);
            if (found) {
              logger.warning(
                `The artifact service's answer to the upload was lost; artifact '${name}' (id ${found.id}), which did not exist when this upload began, is taken as this upload. If another job of this run uploads an artifact of the same name, it may be that one`,
                { title: 'Artifact taken as uploaded' },
              );
              // The listing writes the digest as `sha256:<hex>`, the upload's answer as the hex alone: as the latter.
              return { id: found.id, size: found.size ?? 0, digest: found.digest?.replace(/^sha256:/, '') };
            }
          }
          if (conflict) {
            throw new ArtifactError(
              `an artifact named '${name}' already exists in this workflow run. Set 'overwrite: true' to replace it, or choose another 'artifact-name' (e.g. add \${{ strategy.job-index }} in matrix jobs)`,
            );
          }
          // The client wraps its NetworkError ("Failed to CreateArtifact: Unable to make request: ECONNRESET").
          const code = (e as { code?: string })?.code ?? NETWORK_CODES.find((c) => msg.includes(c));
          if (code && NETWORK_CODES.includes(code) && attempt < ATTEMPTS) {
            logger.info(`artifact upload: attempt ${attempt} failed (${code}); retrying in ${attempt * 2}s`);
            await clock.sleep(attempt * 2_000);
            continue;
          }
          if (e instanceof ArtifactError) throw e;
          throw new ArtifactError(`uploading artifact '${name}' failed: ${msg.split('\n')[0]}`);
        }
      }
    },
  };
}
