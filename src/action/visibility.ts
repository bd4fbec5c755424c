// Whether the workflow's repository is public, from the event the runner wrote (GITHUB_EVENT_PATH): there the job
// summary and the annotations are public, and an artifact can be downloaded by any signed-in GitHub user.
import { open } from 'node:fs/promises';

/** An event payload larger than this is not read for it (a push of many commits): the note is left out. */
const MAX_EVENT = 8 << 20;

export async function repositoryIsPublic(env: NodeJS.ProcessEnv): Promise<boolean> {
  const path = env['GITHUB_EVENT_PATH'];
  if (!path) return false;
  try {
    const fh = await open(path, 'r');
    try {
      if ((await fh.stat()).size > MAX_EVENT) return false;
      const event = JSON.parse(await fh.readFile('utf8')) as { repository?: { private?: unknown; visibility?: unknown } };
      return event.repository?.visibility === 'public' || event.repository?.private === false;
    } finally {
      await fh.close();
    }
  } catch {
    return false; // no event file, or not JSON: say nothing rather than guess
  }
}

/** Said at the end of the summary in a public repository; the artifact is named only when one was uploaded. */
export function publicNote(artifact: boolean): string {
  const who = artifact
    ? 'anyone can read this summary, the annotations and the step\'s log, and any signed-in GitHub user can download the artifact while it is kept (`retention-days`). The summary and annotations show the database\'s log text with passwords as `***`; the artifact holds the files as logged, passwords included'
    : 'anyone can read this summary, the annotations and the step\'s log. They show the database\'s log text with passwords as `***`';
  return `> [!NOTE]\n> This repository is public: ${who} (the action's docs/SECURITY.md, "What the logs hold").`;
}
