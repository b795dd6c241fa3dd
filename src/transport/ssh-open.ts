import { spawn } from "node:child_process";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { Duplex } from "node:stream";
import { Client, type ConnectConfig } from "ssh2";
import { LabError } from "../errors.js";
import type { SshTarget } from "../labfile/model.js";
import { fingerprint, hostKeyName, keyType, type KnownHosts } from "./known-hosts.js";
import { promptSecret } from "./prompt.js";

// Opening one SSH connection: endpoint, authentication, host key check, retries.

/** Everything needed to open one SSH connection (after lab file, inventory and flags are merged). */
export interface SshEndpoint extends Pick<
  SshTarget,
  "host" | "port" | "user" | "identityFile" | "passphraseEnv" | "agent" | "passwordEnv"
> {
  /** The lab's host name, for messages. */
  name: string;
  /** A program whose stdin/stdout is the connection (like OpenSSH's ProxyCommand). */
  proxyCommand?: string[];
  jump?: SshEndpoint;
  connectTimeoutS: number;
  /** How commands get root: none (already root), sudo -n, or sudo -S with a password from the environment. */
  sudo: false | { passwordEnv?: string };
}

export interface SshOptions {
  knownHosts: KnownHosts;
  hostKeyPolicy: "accept-new" | "strict";
  /** Below sshd's MaxSessions (10 by default). */
  maxChannels?: number;
  retries?: number;
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

/** What a jump host offers the connection behind it: a TCP stream opened from there. */
export interface JumpHost {
  forward(host: string, port: number): Promise<Duplex>;
}

const TRANSIENT =
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EAI_AGAIN|Timed out while waiting for handshake|Connection lost before handshake|banner exchange|Socket closed|proxy command/i;

function proxySocket(command: string[]): Duplex {
  // Its own process group: a Ctrl-C at the terminal must reach lab, not cut the connection.
  const child = spawn(command[0]!, command.slice(1), { stdio: ["pipe", "pipe", "pipe"], detached: true });
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += String(d)));
  const duplex = Duplex.from({ readable: child.stdout, writable: child.stdin });
  child.on("exit", (code) => {
    if (code !== 0 && code !== null)
      duplex.destroy(new Error(`proxy command ${command.join(" ")} exited ${code}: ${stderr.trim()}`));
  });
  child.on("error", (err) => duplex.destroy(new Error(`proxy command ${command.join(" ")}: ${err.message}`)));
  duplex.on("close", () => child.kill());
  return duplex;
}

/** Private keys are a few KiB: a device (/dev/zero) or a huge file is refused, never read whole. */
const MAX_KEY_FILE = 64 * 1024;
async function readKeyFile(path: string): Promise<Buffer> {
  // O_NONBLOCK: a FIFO must not block the open; it is refused below as not a regular file.
  const file = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const info = await file.stat();
    if (!info.isFile()) throw new Error("not a regular file");
    if (info.size > MAX_KEY_FILE) throw new Error(`${info.size} bytes, more than a key file holds (${MAX_KEY_FILE})`);
    return await file.readFile();
  } finally {
    await file.close();
  }
}

const prompted = new Map<string, Promise<string>>();
let promptQueue: Promise<string> = Promise.resolve("");

async function authConfig(
  endpoint: SshEndpoint,
  env: NodeJS.ProcessEnv,
): Promise<Partial<ConnectConfig> & { tried: string[] }> {
  const config: Partial<ConnectConfig> & { tried: string[] } = { tried: [] };
  if (endpoint.identityFile) {
    const path = endpoint.identityFile.replace(/^~(?=\/)/, env.HOME ?? "");
    try {
      config.privateKey = await readKeyFile(path);
      if (endpoint.passphraseEnv) config.passphrase = env[endpoint.passphraseEnv];
      config.tried.push(`key ${path}`);
    } catch (err) {
      // Like OpenSSH: a missing key is fatal only when nothing else could log in.
      if (!endpoint.agent && !endpoint.passwordEnv) {
        throw new LabError(
          `cannot read identity file ${path}: ${(err as Error).message}`,
          "identity-file",
          endpoint.name,
          "connect",
        );
      }
    }
  }
  if (endpoint.agent) {
    if (!env.SSH_AUTH_SOCK)
      throw new LabError(
        "agent: true, but SSH_AUTH_SOCK is not set (start ssh-agent and ssh-add your key)",
        "no-agent",
        endpoint.name,
        "connect",
      );
    config.agent = env.SSH_AUTH_SOCK;
    config.tried.push("agent");
  }
  if (endpoint.passwordEnv) {
    let password = env[endpoint.passwordEnv];
    // On a terminal, ask instead; in CI and pipes, say which variable is missing.
    if (password === undefined && process.stdin.isTTY && !env.CI) {
      // One question per variable, one at a time, even when hosts connect in parallel.
      const asked =
        prompted.get(endpoint.passwordEnv) ??
        (promptQueue = promptQueue.then(() =>
          promptSecret(
            `password for ${endpoint.user}@${endpoint.host} (${endpoint.name}; $${endpoint.passwordEnv} is not set): `,
          ),
        ));
      prompted.set(endpoint.passwordEnv, asked);
      password = await asked;
    }
    if (password === undefined)
      throw new LabError(
        `password_env: ${endpoint.passwordEnv} is not set in the environment`,
        "no-password",
        endpoint.name,
        "connect",
      );
    config.password = password;
    config.tried.push(`password from $${endpoint.passwordEnv}`);
  }
  return config;
}

/** Open a connection, retrying transient failures with backoff; `onAttempt` counts tries. */
export async function openWithRetries(
  endpoint: SshEndpoint,
  options: SshOptions,
  jump?: JumpHost,
  onAttempt?: (n: number) => void,
): Promise<Client> {
  const retries = options.retries ?? 3;
  for (let attempt = 0; ; attempt++) {
    onAttempt?.(attempt + 1);
    try {
      return await openClient(endpoint, options, jump);
    } catch (err) {
      const message = (err as Error).message;
      if (err instanceof LabError || attempt >= retries || !TRANSIENT.test(message)) {
        throw err instanceof LabError ? err : explain(endpoint, err as Error);
      }
      const delay = 250 * 2 ** attempt;
      options.log?.(`${endpoint.name}: connect: ${message}; retrying in ${delay} ms`);
      await new Promise((r) => setTimeout(r, delay));
    }
  }
}

function explain(endpoint: SshEndpoint, err: Error): LabError {
  const where = `${endpoint.user}@${endpoint.host}:${endpoint.port}`;
  if (/authentication methods failed/i.test(err.message)) {
    return new LabError(
      `authentication failed for ${where}: the host refused every method tried (${(err as { tried?: string[] }).tried?.join(", ") || "none configured"})`,
      "auth",
      endpoint.name,
      "connect",
    );
  }
  if (/passphrase|Encrypted private key|Cannot parse privateKey/i.test(err.message)) {
    return new LabError(
      `cannot use the identity file ${endpoint.identityFile}: ${err.message} (set passphrase_env for an encrypted key)`,
      "identity-file",
      endpoint.name,
      "connect",
    );
  }
  return new LabError(`cannot reach ${where}: ${err.message}`, "unreachable", endpoint.name, "connect");
}

async function openClient(endpoint: SshEndpoint, options: SshOptions, jump?: JumpHost): Promise<Client> {
  const env = options.env ?? process.env;
  const { tried, ...auth } = await authConfig(endpoint, env);
  let hostKeyError: LabError | undefined;
  const sock = endpoint.proxyCommand
    ? proxySocket(endpoint.proxyCommand)
    : jump
      ? await jump.forward(endpoint.host, endpoint.port)
      : undefined;
  return new Promise<Client>((resolve, reject) => {
    const client = new Client();
    let settled = false;
    const fail = (err: Error) => {
      if (settled) return;
      settled = true;
      client.end();
      sock?.destroy();
      reject(hostKeyError ?? Object.assign(err, { tried }));
    };
    client.on("ready", () => {
      settled = true;
      resolve(client);
    });
    client.on("error", fail);
    client.on("close", () => fail(new Error("Connection lost before handshake")));
    client.connect({
      host: endpoint.host,
      port: endpoint.port,
      username: endpoint.user,
      sock,
      readyTimeout: endpoint.connectTimeoutS * 1000,
      keepaliveInterval: 15_000,
      keepaliveCountMax: 3,
      ...auth,
      // As OpenSSH does: ask first for the key types known_hosts records for this host, so
      // a recorded key is what the host shows (any other key is then refused as changed).
      algorithms: {
        serverHostKey: options.knownHosts.preferredHostKeyAlgorithms(hostKeyName(endpoint.host, endpoint.port)),
      },
      // ssh2 accepts any host key unless told otherwise: check known_hosts ourselves.
      hostVerifier: (key: Buffer, verify: (ok: boolean) => void) => {
        const name = hostKeyName(endpoint.host, endpoint.port);
        // A password goes only to a host whose key is already known: accepting a new key and
        // sending the password in the same breath would hand it to whoever answered first.
        const policy = auth.password !== undefined ? "strict" : options.hostKeyPolicy;
        void options.knownHosts.verify(name, key, policy).then(
          (verdict) => {
            // The host chose its key's type name: only a plain one goes into the message.
            const type = /^[A-Za-z0-9@.-]{1,64}$/.test(keyType(key)) ? keyType(key) : "(unknown type)";
            if (!verdict.ok && verdict.reason === "unknown" && policy !== options.hostKeyPolicy)
              hostKeyError = new LabError(
                `${name} is not in ${options.knownHosts.file}, and lab sends a password ($${endpoint.passwordEnv}) only to a host whose key it already knows. ` +
                  `Check the key on the host (ssh-keygen -lf /etc/ssh/ssh_host_${type.replace(/^ssh-|-.*$/g, "")}_key.pub shows ${fingerprint(key)}), ` +
                  `then add this line to ${options.knownHosts.file}: ${name} ${type} ${key.toString("base64")} (or log in with a key)`,
                "host-key-unknown",
                endpoint.name,
                "connect",
              );
            else if (!verdict.ok)
              hostKeyError = new LabError(verdict.message, `host-key-${verdict.reason}`, endpoint.name, "connect");
            else if (verdict.added) options.log?.(`${endpoint.name}: added its host key to ${options.knownHosts.file}`);
            verify(verdict.ok);
          },
          (err: Error) => {
            hostKeyError = new LabError(
              `cannot check the host key: ${err.message}`,
              "host-key-unreadable",
              endpoint.name,
              "connect",
            );
            verify(false);
          },
        );
      },
    });
  });
}
