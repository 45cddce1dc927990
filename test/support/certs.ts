// Test certificates made with the openssl CLI: a client CA for the workload apiserver and client
// certificates it issues (CN = user, O = group).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A CA's files. */
export interface CaFiles {
  readonly cert: string;
  readonly key: string;
}

/** Creates a self-signed CA in `dir`. */
export function createCa(dir: string, name: string): CaFiles {
  const cert = join(dir, `${name}.crt`);
  const key = join(dir, `${name}.key`);
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-subj', `/CN=${name}`, '-days', '3'], {
    stdio: 'ignore',
  });
  return { cert, key };
}

/** Issues a client certificate for `user` (and optional group) signed by `ca`; returns PEM texts. */
export function issueClientCert(ca: CaFiles, user: string, group?: string): { certPem: string; keyPem: string } {
  const dir = mkdtempSync(join(tmpdir(), 'okra-cert-'));
  try {
    const key = join(dir, 'client.key');
    const csr = join(dir, 'client.csr');
    const cert = join(dir, 'client.crt');
    const subject = group ? `/CN=${user}/O=${group}` : `/CN=${user}`;
    execFileSync('openssl', ['req', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', csr, '-subj', subject], { stdio: 'ignore' });
    writeFileSync(join(dir, 'ext.cnf'), 'extendedKeyUsage=clientAuth\n');
    execFileSync(
      'openssl',
      ['x509', '-req', '-in', csr, '-CA', ca.cert, '-CAkey', ca.key, '-CAcreateserial', '-out', cert, '-days', '1', '-extfile', join(dir, 'ext.cnf')],
      { stdio: 'ignore' },
    );
    return { certPem: readFileSync(cert, 'utf8'), keyPem: readFileSync(key, 'utf8') };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
