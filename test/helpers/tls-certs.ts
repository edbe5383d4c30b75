import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

const exec = promisify(execFile);

export interface TestPki {
  caCertFile: string;
  caCert: string;
  serverKey: string;
  serverCert: string;
  serverKeyFile: string;
  serverCertFile: string;
}

/**
 * A private CA and a server certificate for 127.0.0.1/localhost, made with the real openssl CLI into `dir`:
 * what an organisation's intranet CA looks like to the agent (a root no public trust store knows).
 */
export async function makeTestPki(dir: string, name = 'Appwacht Test'): Promise<TestPki> {
  const f = (n: string) => join(dir, n);
  await exec('openssl', [
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-days',
    '2',
    '-subj',
    `/CN=${name} Root CA`,
    '-keyout',
    f('ca.key'),
    '-out',
    f('ca.pem'),
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ]);
  await exec('openssl', [
    'req',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:prime256v1',
    '-nodes',
    '-subj',
    '/CN=127.0.0.1',
    '-keyout',
    f('server.key'),
    '-out',
    f('server.csr'),
  ]);
  await writeFile(
    f('server.ext'),
    'subjectAltName=IP:127.0.0.1,DNS:localhost\nextendedKeyUsage=serverAuth\nbasicConstraints=CA:FALSE\n',
  );
  await exec('openssl', [
    'x509',
    '-req',
    '-in',
    f('server.csr'),
    '-CA',
    f('ca.pem'),
    '-CAkey',
    f('ca.key'),
    '-CAcreateserial',
    '-days',
    '2',
    '-extfile',
    f('server.ext'),
    '-out',
    f('server.pem'),
  ]);
  return {
    caCertFile: f('ca.pem'),
    caCert: await readFile(f('ca.pem'), 'utf8'),
    serverKeyFile: f('server.key'),
    serverCertFile: f('server.pem'),
    serverKey: await readFile(f('server.key'), 'utf8'),
    serverCert: await readFile(f('server.pem'), 'utf8'),
  };
}
