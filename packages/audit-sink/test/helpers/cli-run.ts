/** Runs the CLI in-process and captures what it prints. */
import { runCli } from '../../src/cli';

export async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await runCli(args, { out: (s) => (out += s), err: (s) => (err += s), env: { ...env } });
  return { code, out, err };
}
