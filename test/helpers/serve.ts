import { spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';

/** `strata serve` on a free loopback port (store memory: unless env says otherwise); resolves once it listens. */
export async function startServer(bin: string, env: Record<string, string> = {}, args: string[] = []): Promise<{ base: string; child: ChildProcess; exited: () => boolean }> {
  const child = spawn(process.execPath, [bin, 'serve', '--port', '0', ...args], { env: { ...process.env, STRATA_STORE: 'memory:', ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let exited = false;
  child.on('exit', () => { exited = true; });
  const base = await new Promise<string>((resolve, reject) => {
    let err = '';
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString();
      const m = /serving .* on (http:\/\/\S+)/.exec(err);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`strata serve exited (${String(code)}): ${err}`)));
  });
  return { base, child, exited: () => exited };
}
