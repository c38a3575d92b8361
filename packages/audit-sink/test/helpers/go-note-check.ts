/**
 * Runs test/go-note-check (a small Go program over golang.org/x/mod/sumdb/note and .../tlog, the
 * reference implementations of C2SP signed notes and of RFC 6962 record proofs) on our
 * checkpoints and proofs. `go` fetches golang.org/x/mod through the Go module proxy the first time.
 */
import { execFile, execFileSync } from 'node:child_process';
import { join } from 'node:path';

export interface GoCheckInput {
  verifier_key: string;
  signer_key: string;
  note: string;
  text_to_sign: string;
  leaf_data: string;
  leaf_index: number;
  tree_size: number;
  path: string[];
  root: string;
}

export interface GoCheckOutput {
  opened_text: string;
  open_error: string;
  signed_by_our_key: string;
  go_signer_key: string;
  go_verifier_key: string;
  go_signed_note: string;
  leaf_hash: string;
  proof_error: string;
}

export function goAvailable(): boolean {
  try {
    execFileSync('go', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export function runGoCheck(input: GoCheckInput): Promise<GoCheckOutput> {
  return new Promise((resolve, reject) => {
    const child = execFile('go', ['run', '.'], {
      cwd: join(__dirname, '..', 'go-note-check'),
      env: { ...process.env, GOFLAGS: '-mod=mod' },
      timeout: 300_000,
    }, (err, stdout, stderr) => {
      if (err) reject(new Error(`go run failed: ${err.message}\n${stderr}`));
      else resolve(JSON.parse(stdout) as GoCheckOutput);
    });
    child.stdin!.end(JSON.stringify(input));
  });
}
