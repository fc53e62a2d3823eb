/**
 * A throwaway self-signed certificate for 127.0.0.1 and localhost, made by the `openssl`
 * binary in a temporary directory, so a test can serve HTTPS and trust exactly that certificate.
 */
import { execFile, execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";

const run = promisify(execFile);

export interface SelfSignedCert {
  certFile: string;
  keyFile: string;
  /** The PEM certificate, to trust as the only CA of a client. */
  cert: Buffer;
  /** Deletes the temporary directory. */
  remove(): Promise<void>;
}

/** True when an `openssl` binary can be run. */
export function opensslAvailable(): boolean {
  try {
    execFileSync("openssl", ["version"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

export async function createSelfSignedCert(): Promise<SelfSignedCert> {
  const dir = await mkdtemp(join(tmpdir(), "portrait-tls-"));
  const certFile = join(dir, "cert.pem");
  const keyFile = join(dir, "key.pem");
  const remove = () => rm(dir, { recursive: true, force: true });
  try {
    await run("openssl", [
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:prime256v1",
      "-nodes",
      "-days",
      "1",
      "-subj",
      "/CN=127.0.0.1",
      "-addext",
      "subjectAltName=IP:127.0.0.1,DNS:localhost",
      "-keyout",
      keyFile,
      "-out",
      certFile,
    ]);
    return { certFile, keyFile, cert: await readFile(certFile), remove };
  } catch (error) {
    await remove();
    throw error;
  }
}
