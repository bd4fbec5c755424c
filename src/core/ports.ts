// What the core needs from its surroundings. main.ts plugs in @actions/*; tests and the CLI plug in their own.

export interface AnnotationProps {
  title?: string;
  file?: string;
}

export interface Logger {
  info(message: string): void;
  warning(message: string, props?: AnnotationProps): void;
  error(message: string, props?: AnnotationProps): void;
  debug(message: string): void;
  /** Registers a secret with the log masker before it can be printed anywhere. */
  mask(secret: string): void;
  group<T>(name: string, fn: () => Promise<T>): Promise<T>;
}

export interface UploadOptions {
  retentionDays: number | undefined;
  compressionLevel: number;
  overwrite: boolean;
}

export interface UploadedArtifact {
  id: number;
  size: number;
  digest: string | undefined;
}

export interface ArtifactUploader {
  /** `signal`: the upload is given up when it aborts (its reason is the error). */
  upload(name: string, files: string[], rootDir: string, o: UploadOptions, signal?: AbortSignal): Promise<UploadedArtifact>;
}
