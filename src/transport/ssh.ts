import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { constants } from "node:fs";
import { open } from "node:fs/promises";
import { Duplex } from "node:stream";
import pLimit from "p-limit";
import { Client, type ClientChannel, type ConnectConfig } from "ssh2";
import { LabError } from "../errors.js";
import { quote } from "../plan/shell.js";
import { hostKeyName, KnownHosts } from "./known-hosts.js";
import { promptSecret } from "./prompt.js";
import type { ExecOptions, ExecResult, Held, HoldOptions, Transport, TransportStats } from "./types.js";

/** Everything needed to open one SSH connection (after lab file, inventory and flags are merged). */
export interface SshEndpoint {
  /** The lab's host name, for messages. */
  name: string;
  host: string;
  port: number;
  user: string;
  identityFile?: string;
  passphraseEnv?: string;
  agent: boolean;
  passwordEnv?: string;
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

/**
 * What lab keeps of one command's output, per stream: a host that prints without end (root on
 * it, or a runaway command) cannot exhaust the operator's memory. The rest is dropped, with a note.
 */
export const MAX_OUTPUT = 16 * 1024 * 1024;
const MAX_BEFORE_START = 64 * 1024;
class OutputBuffer {
  private text = "";
  private dropped = 0;
  add(chunk: string): void {
    const room = MAX_OUTPUT - this.text.length;
    if (chunk.length <= room) this.text += chunk;
    else {
      this.text += chunk.slice(0, Math.max(0, room));
      this.dropped += chunk.length - Math.max(0, room);
    }
  }
  includes(marker: string): boolean {
    return this.text.includes(marker);
  }
  toString(): string {
    return this.dropped ? `${this.text}\n[lab: ${this.dropped} more characters of output dropped]\n` : this.text;
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

/** A shell script that writes its stdin to `path`: temp file in the same directory, then rename. */
export function atomicWriteScript(path: string, options: { mode?: string; owner?: string } = {}): string {
  const dir = path.slice(0, path.lastIndexOf("/")) || "/";
  return [
    "set -e",
    `mkdir -p ${quote(dir)}`,
    `tmp=$(mktemp ${quote(`${path}.lab-XXXXXX`)})`,
    'cat > "$tmp"',
    `chmod ${quote(options.mode ?? "0644")} "$tmp"`,
    ...(options.owner ? [`chown ${quote(options.owner)} "$tmp"`] : []),
    // rename(2) over the target: readers see the old file or the new one, never half of one.
    `mv -f "$tmp" ${quote(path)}`,
  ].join("\n");
}

/**
 * A command with a deadline also gets it on the host: closing the channel (or a signal request,
 * which sshd may ignore) does not stop what it started there. coreutils' timeout runs it in its
 * own process group and kills the whole group (TERM, then KILL), background children included.
 */
export function boundedCommand(command: string, timeoutMs: number | undefined): string {
  if (!timeoutMs) return command;
  const seconds = Math.max(1, Math.ceil(timeoutMs / 1000));
  return `if command -v timeout >/dev/null 2>&1; then exec timeout -k 2 ${seconds} sh -c ${quote(command)}; else exec sh -c ${quote(command)}; fi`;
}

/**
 * What a host prints reaches the operator's terminal (summaries, the tree, messages): no
 * escape sequences from it (an OSC 52 one writes the clipboard; others repaint lines). Control
 * characters other than newline and tab become "?" (stdout keeps the \r of a \r\n line end, for
 * files written on Windows; a \r elsewhere would let a line overwrite what came before it).
 */
export function hostText(text: string, stream: "stdout" | "stderr"): string {
  return stream === "stdout"
    ? text.replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f]|\r(?!\n)/g, "?")
    : text.replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/g, "?");
}

/** Raised for a command whose connection ended while it ran: whether it took effect is unknown. */
class ConnectionLost extends LabError {}

/** How often a held command is tried again on a new connection (0.3 s apart). */
const RETAKE_TRIES = 10;

interface HeldCommand {
  command: string;
  marker: string;
  options: HoldOptions;
  current: Held;
}

/**
 * One ssh2 connection with host key checking, retries, a channel limit and sudo. A connection
 * that drops is opened again for the next command; a command it cut off fails naming the host
 * (or runs again, when it only reads).
 */
export class SshTransport implements Transport {
  readonly stats: TransportStats = { connections: 0, commands: 0 };
  private readonly limit: ReturnType<typeof pLimit>;
  private jumpTransport?: SshTransport;
  /** Why the current connection ended, once it has (and lab did not end it). */
  private lost?: string;
  private closing = false;
  private reconnecting?: Promise<void>;
  /** Commands held for the run (the host's lock), taken again on a new connection. */
  private readonly held = new Set<HeldCommand>();
  /** Set when a held command could not be taken again: then nothing more runs here. */
  private heldLost?: string;

  private constructor(
    readonly endpoint: SshEndpoint,
    private client: Client,
    private readonly options: SshOptions,
  ) {
    this.limit = pLimit(options.maxChannels ?? 8);
    this.watch(client);
  }

  /** Notice when the host, the network or a keepalive timeout ends the connection. */
  private watch(client: Client): void {
    const gone = (why: string) => {
      if (this.client === client && !this.closing) this.lost ??= why;
    };
    client.on("error", (err: Error) => gone(err.message));
    client.on("end", () => gone("the connection was closed by the other side"));
    client.on("close", () => gone("the connection closed"));
  }

  /** Open the connection again if it dropped (the jump host's first). Shared by concurrent callers. */
  private async ensureConnected(): Promise<void> {
    if (this.closing) throw new LabError("the connection is closed", "connection-closed", this.host);
    if (this.heldLost) throw new LabError(this.heldLost, "lock-lost", this.host);
    // While a new connection is made and the lock taken again, nothing else runs.
    if (this.reconnecting) return this.reconnecting;
    if (this.lost === undefined) return;
    this.reconnecting ??= (async () => {
      const why = this.lost!;
      this.options.log?.(`${this.host}: connection lost (${why}); connecting again`);
      try {
        try {
          await this.jumpTransport?.ensureConnected();
          const client = await SshTransport.openWithRetries(this.endpoint, this.options, this.jumpTransport);
          this.client = client;
          this.lost = undefined;
          this.stats.connections++;
          this.watch(client);
        } catch (err) {
          throw new LabError(
            `connection lost (${why}) and could not be opened again: ${(err as Error).message}`,
            "reconnect-failed",
            this.host,
          );
        }
        await this.retakeHeld(why);
      } finally {
        this.reconnecting = undefined;
      }
    })();
    return this.reconnecting;
  }

  get host(): string {
    return this.endpoint.name;
  }

  static async connect(endpoint: SshEndpoint, options: SshOptions): Promise<SshTransport> {
    let jump: SshTransport | undefined;
    if (endpoint.jump) jump = await SshTransport.connect(endpoint.jump, options);
    let attempts = 0;
    try {
      const client = await SshTransport.openWithRetries(endpoint, options, jump, (n) => (attempts = n));
      const transport = new SshTransport(endpoint, client, options);
      transport.stats.connections = attempts;
      transport.jumpTransport = jump;
      return transport;
    } catch (err) {
      await jump?.close();
      throw err;
    }
  }

  /** Open a connection, retrying transient failures with backoff; `onAttempt` counts tries. */
  private static async openWithRetries(
    endpoint: SshEndpoint,
    options: SshOptions,
    jump?: SshTransport,
    onAttempt?: (n: number) => void,
  ): Promise<Client> {
    const retries = options.retries ?? 3;
    for (let attempt = 0; ; attempt++) {
      onAttempt?.(attempt + 1);
      try {
        return await SshTransport.open(endpoint, options, jump);
      } catch (err) {
        const message = (err as Error).message;
        if (err instanceof LabError || attempt >= retries || !TRANSIENT.test(message)) {
          throw err instanceof LabError ? err : SshTransport.explain(endpoint, err as Error);
        }
        const delay = 250 * 2 ** attempt;
        options.log?.(`${endpoint.name}: connect: ${message}; retrying in ${delay} ms`);
        await new Promise((r) => setTimeout(r, delay));
      }
    }
  }

  private static explain(endpoint: SshEndpoint, err: Error): LabError {
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

  private static async open(endpoint: SshEndpoint, options: SshOptions, jump?: SshTransport): Promise<Client> {
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
          void options.knownHosts.verify(hostKeyName(endpoint.host, endpoint.port), key, options.hostKeyPolicy).then(
            (verdict) => {
              if (!verdict.ok)
                hostKeyError = new LabError(verdict.message, `host-key-${verdict.reason}`, endpoint.name, "connect");
              else if (verdict.added)
                options.log?.(`${endpoint.name}: added its host key to ${options.knownHosts.file}`);
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
      } as ConnectConfig);
    });
  }

  /** A TCP stream to host:port opened from this host (for jump hosts). */
  async forward(host: string, port: number): Promise<Duplex> {
    await this.ensureConnected();
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
        err ? reject(new Error(`jump via ${this.host}: ${err.message}`)) : resolve(stream as unknown as Duplex),
      );
    });
  }

  /**
   * The command as this host runs it as root. With a sudo password, sudo asks with a prompt
   * unique to this command, and the command announces its start with a marker of its own:
   * the password is written only in answer to that prompt (where sudo does not ask — NOPASSWD,
   * cached credentials — the command would read it as its input), the input only after the start.
   */
  private wrapSudo(command: string): { command: string; sudo?: { password: string; prompt: string; started: string } } {
    const sudo = this.endpoint.sudo;
    if (sudo === false) return { command };
    if (!sudo.passwordEnv) return { command: `sudo -n sh -c ${quote(command)}` };
    const password = (this.options.env ?? process.env)[sudo.passwordEnv];
    if (password === undefined)
      throw new LabError(`sudo password_env: ${sudo.passwordEnv} is not set`, "sudo", this.host);
    const nonce = randomBytes(8).toString("hex");
    const prompt = `[lab-sudo-${nonce}]`;
    const started = `[lab-started-${nonce}]`;
    const announce = `printf '%s\\n' ${quote(started)} >&2; exec sh -c "$1"`;
    return {
      command: `sudo -S -p ${quote(prompt)} sh -c ${quote(announce)} sh ${quote(command)}`,
      sudo: { password, prompt, started },
    };
  }

  exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    return this.limit(async () => {
      let reruns = 0;
      for (let attempt = 0; ; attempt++) {
        await this.ensureConnected();
        try {
          return await this.execNow(command, options);
        } catch (err) {
          // A command that only reads runs again, once, on a new connection.
          if (err instanceof ConnectionLost && options.retrySafe && reruns++ === 0) continue;
          // The channel never opened because the connection had just dropped: nothing ran.
          if (err instanceof LabError && err.code === "channel" && this.lost !== undefined && attempt < 6) continue;
          // sshd may still count a just-closed channel against MaxSessions: retry an open refusal.
          if (!(err instanceof LabError) || err.code !== "channel" || attempt >= 6) throw err;
          await new Promise((r) => setTimeout(r, 25 * 2 ** attempt));
        }
      }
    });
  }

  /**
   * Run a command that keeps running once it has printed `marker` (e.g. one holding a lock):
   * resolves then, with what it printed so far and `release`, which closes its input so it
   * ends. A command that exits before the marker resolves as `exec` would, with nothing held.
   */
  hold(command: string, marker: string, options: HoldOptions = {}): Promise<Held> {
    return this.limit(async () => {
      for (let attempt = 0; ; attempt++) {
        await this.ensureConnected();
        try {
          const held = await this.execNow(command, options, marker);
          if (!held.release) return held;
          const entry: HeldCommand = { command, marker, options, current: held };
          this.held.add(entry);
          return {
            ...held,
            release: async () => {
              this.held.delete(entry);
              if (this.held.size === 0) this.heldLost = undefined;
              await entry.current.release();
            },
          };
        } catch (err) {
          if (err instanceof ConnectionLost && options.retrySafe && attempt === 0) continue;
          throw err;
        }
      }
    });
  }

  /**
   * A held command (the host's lock) ends with the connection that ran it: on a new
   * connection it is taken again before anything else runs. If it cannot be (another run took
   * the lock meanwhile), no command runs on this host until it is released.
   */
  private async retakeHeld(why: string): Promise<void> {
    for (const entry of this.held) {
      let again: Partial<Held> & ExecResult = { code: null, stdout: "", stderr: "", timedOut: false, durationMs: 0 };
      // The command that held it on the old connection may take a moment to notice its end.
      for (let attempt = 0; attempt < RETAKE_TRIES && !again.release; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, 300));
        try {
          again = await this.execNow(entry.command, entry.options, entry.marker);
        } catch (err) {
          again = { code: null, stdout: "", stderr: (err as Error).message, timedOut: false, durationMs: 0 };
        }
      }
      if (again.release) {
        const changed = entry.options.retakeCheck?.(again.stdout);
        if (!this.held.has(entry) || changed) await again.release();
        if (!this.held.has(entry)) continue; // released meanwhile
        if (!changed) {
          entry.current = again as Held;
          continue;
        }
        this.heldLost = `the connection was lost (${why}); lab took this host's lock again, but ${changed}; nothing more runs here in this run`;
        throw new LabError(this.heldLost, "lock-lost", this.host);
      }
      const said = `${again.stdout}\n${again.stderr}`.trim().split("\n").slice(-2).join(" / ").slice(0, 300);
      this.heldLost = `the connection was lost (${why}), and with it what lab held on this host (its lock), which could not be taken again${said ? `: ${said}` : ""}; nothing more runs here in this run`;
      throw new LabError(this.heldLost, "lock-lost", this.host);
    }
  }

  private execNow(command: string, options: ExecOptions): Promise<ExecResult>;
  private execNow(command: string, options: ExecOptions, holdMarker: string): Promise<Held>;
  private execNow(command: string, options: ExecOptions, holdMarker?: string): Promise<ExecResult | Held> {
    const started = Date.now();
    const wrapped = this.wrapSudo(holdMarker === undefined ? boundedCommand(command, options.timeoutMs) : command);
    this.stats.commands++;
    const client = this.client;
    return new Promise((resolve, reject) => {
      const onChannel = (err: Error | undefined, stream: ClientChannel) => {
        if (err) return reject(new LabError(`cannot start a command: ${err.message}`, "channel", this.host));
        const stdout = new OutputBuffer();
        const stderr = new OutputBuffer();
        let settled = false;
        const finish = (result: ExecResult) => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          resolve(result);
        };
        // sshd may ignore the signal request; the caller gets its answer at the deadline anyway.
        const timer = options.timeoutMs
          ? setTimeout(() => {
              stream.signal("KILL");
              stream.close();
              finish({
                code: null,
                signal: undefined,
                stdout: hostText(String(stdout), "stdout"),
                stderr: hostText(String(stderr), "stderr"),
                timedOut: true,
                durationMs: Date.now() - started,
              });
            }, options.timeoutMs)
          : undefined;
        // ssh2 emits close only once both streams are consumed.
        stream.on("data", (d: Buffer) => {
          stdout.add(d.toString());
          options.onOutput?.(hostText(d.toString(), "stderr"), "stdout");
          if (holdMarker !== undefined && !settled && stdout.includes(holdMarker)) {
            settled = true;
            clearTimeout(timer);
            const release = () =>
              new Promise<void>((done) => {
                stream.once("close", () => done());
                stream.end();
                // A host that does not answer must not keep lab from ending.
                setTimeout(done, 5000).unref();
              });
            resolve({
              code: null,
              stdout: hostText(String(stdout), "stdout"),
              stderr: hostText(String(stderr), "stderr"),
              timedOut: false,
              durationMs: Date.now() - started,
              release,
            } as Held);
          }
        });
        // A held command reads its input until released: it is never ended here.
        const endInput = () =>
          holdMarker === undefined
            ? stream.end(options.stdin ?? "")
            : options.stdin !== undefined && stream.write(options.stdin);
        // Until sudo has started the command: answer its prompt once, hold the input back.
        let beforeStart = wrapped.sudo ? "" : undefined;
        let answered = false;
        stream.stderr.on("data", (d: Buffer) => {
          if (beforeStart !== undefined && wrapped.sudo) {
            const { prompt, started: startMark, password } = wrapped.sudo;
            beforeStart += d.toString();
            // sudo prints a prompt or a line or two before the start mark: a host that streams
            // more is cut off (never answered, never given the input).
            if (beforeStart.length > MAX_BEFORE_START) {
              stderr.add(beforeStart.slice(0, 2000));
              stderr.add("\n[lab: too much output before the command started; stopped]\n");
              beforeStart = "";
              stream.close();
              return;
            }
            const at = beforeStart.indexOf(`${startMark}\n`);
            if (at >= 0) {
              const after = beforeStart.slice(at + startMark.length + 1);
              stderr.add(beforeStart.slice(0, at).split(prompt).join(""));
              beforeStart = undefined;
              endInput();
              if (after) {
                stderr.add(after);
                options.onOutput?.(hostText(after, "stderr"), "stderr");
              }
            } else if (beforeStart.includes(prompt)) {
              const prompts = beforeStart.split(prompt).length - 1;
              // A second prompt: the password was refused. No more input, so sudo gives up.
              if (prompts === 1 && !answered) stream.write(`${password}\n`);
              else if (prompts > 1) stream.end();
              answered = true;
            }
            return;
          }
          stderr.add(d.toString());
          options.onOutput?.(hostText(d.toString(), "stderr"), "stderr");
        });
        stream.on("close", (code: number | null, signal?: string) => {
          // A channel closed by the connection ending has neither exit code nor signal.
          if (code == null && signal == null && this.client === client && this.lost !== undefined && !settled) {
            settled = true;
            clearTimeout(timer);
            return reject(
              new ConnectionLost(
                `connection lost while the command ran (${this.lost}); whether it took effect is unknown`,
                "connection-lost",
                this.host,
              ),
            );
          }
          // sudo's own messages (a refused password, say) without its prompt.
          if (beforeStart !== undefined && wrapped.sudo) stderr.add(beforeStart.split(wrapped.sudo.prompt).join(""));
          finish({
            code: code ?? null,
            signal: signal ?? undefined,
            stdout: hostText(String(stdout), "stdout"),
            stderr: hostText(String(stderr), "stderr"),
            timedOut: false,
            durationMs: Date.now() - started,
          });
        });
        if (!wrapped.sudo) endInput();
      };
      try {
        client.exec(wrapped.command, onChannel);
      } catch (err) {
        // ssh2 throws "Not connected" at once when the socket has just gone.
        reject(new LabError(`cannot start a command: ${(err as Error).message}`, "channel", this.host));
      }
    });
  }

  async writeFile(
    path: string,
    content: string | Buffer,
    options: { mode?: string; owner?: string } = {},
  ): Promise<void> {
    const r = await this.exec(atomicWriteScript(path, options), { stdin: content });
    if (r.code !== 0)
      throw new LabError(`cannot write ${path}: ${r.stderr.trim() || `exit ${r.code}`}`, "write", this.host);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.client.end();
    await this.jumpTransport?.close();
  }
}
