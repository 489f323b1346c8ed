// Reads what a command needs from the person or the script running it: on a terminal it asks (secrets not echoed),
// otherwise it reads standard input, so `printf %s "$PASSWORD" | shelf login …` keeps working in scripts.
export type Prompt = (question: string, options?: { silent?: boolean }) => Promise<string>;

export interface InputIO {
  /** Text on standard input (password, token); defaults to reading process.stdin. */
  stdin?: () => Promise<string>;
  /** Asks on the terminal; null when there is none. Defaults to a prompt when standard input is a terminal. */
  prompt?: Prompt | null;
}

/**
 * Asks on stderr, so stdout stays clean for --json. npm's own `read` handles raw mode, hiding the typed secret and
 * Ctrl+C; it is imported here, on first use, so commands that never ask do not load it.
 */
export const terminalPrompt: Prompt = async (question, options = {}) => {
  const { read } = await import('read');
  try {
    const answer = await read({ prompt: question, silent: options.silent, input: process.stdin, output: process.stderr });
    // A hidden answer leaves the cursor after the prompt; end the line so what follows starts on its own.
    if (options.silent) process.stderr.write('\n');
    return answer.trim();
  } catch (error) {
    // read rejects with "canceled" on Ctrl+C and "timed out"; either way nothing was entered.
    throw new Error(`no answer to "${question.trim()}" (${(error as Error).message})`);
  }
};

/** The prompt to use, or null when standard input is not a terminal (or tests give stdin text instead). */
export function promptOf(io: InputIO): Prompt | null {
  if (io.prompt !== undefined) return io.prompt;
  if (io.stdin) return null;
  return process.stdin.isTTY ? terminalPrompt : null;
}

export async function readStdin(io: InputIO): Promise<string> {
  if (io.stdin) return (await io.stdin()).trim();
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8').trim();
}

/** A secret: asked for without echo on a terminal, else read from standard input. */
export async function readSecret(io: InputIO, question: string): Promise<string> {
  const prompt = promptOf(io);
  return prompt ? prompt(question, { silent: true }) : readStdin(io);
}
