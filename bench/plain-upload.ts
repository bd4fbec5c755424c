// The baseline for the end-to-end figure: the same files uploaded with the artifact client, nothing else.
// Usage: node bench/plain-upload.ts <name> <root> <file>...   (environment: the artifact service's)
import { DefaultArtifactClient } from '@actions/artifact';

const [name, root, ...files] = process.argv.slice(2);
await new DefaultArtifactClient().uploadArtifact(name!, files, root!, { compressionLevel: 6 });
