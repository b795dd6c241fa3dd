import { randomBytes } from "node:crypto";
import { Duplex } from "node:stream";
import pLimit from "p-limit";
import type { Client, ClientChannel } from "ssh2";
import { LabError } from "../errors.js";
import { quote } from "../plan/shell.js";
import { atomicWriteScript, boundedCommand, hostText, MAX_BEFORE_START, OutputBuffer } from "./remote-text.js";
import { openWithRetries, type SshEndpoint, type SshOptions } from "./ssh-open.js";
import { trace } from "./trace.js";
import type { ExecOptions, ExecResult, Held, HoldOptions, Transport, TransportStats } from "./types.js";

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
          const client = await openWithRetries(this.endpoint, this.options, this.jumpTransport);
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
      trace(endpoint.name, "connecting");
      const client = await openWithRetries(endpoint, options, jump, (n) => (attempts = n));
      trace(endpoint.name, "connected");
      const transport = new SshTransport(endpoint, client, options);
      transport.stats.connections = attempts;
      transport.jumpTransport = jump;
      return transport;
    } catch (err) {
      await jump?.close();
      throw err;
    }
  }

  /** A TCP stream to host:port opened from this host (for jump hosts). */
  async forward(host: string, port: number): Promise<Duplex> {
    await this.ensureConnected();
    return new Promise((resolve, reject) => {
      this.client.forwardOut("127.0.0.1", 0, host, port, (err, stream) =>
        err ? reject(new Error(`jump via ${this.host}: ${err.message}`)) : resolve(stream),
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
          trace(this.host, `done in ${result.durationMs} ms (exit ${result.code}): ${command}`);
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
        // Once held: what the command prints after its marker, and what lab writes to it.
        let after: Duplex | undefined;
        // ssh2 emits close only once both streams are consumed.
        stream.on("data", (d: Buffer) => {
          if (after) {
            after.push(d);
            return;
          }
          stdout.add(d.toString());
          options.onOutput?.(hostText(d.toString(), "stderr"), "stdout");
          if (holdMarker !== undefined && !settled && stdout.includes(holdMarker)) {
            settled = true;
            clearTimeout(timer);
            // Bytes after the marker belong to what follows it (an API stream), not to its output.
            const raw = Buffer.from(String(stdout));
            const end = raw.indexOf(holdMarker) + Buffer.byteLength(holdMarker);
            after = heldStream(stream);
            if (end < raw.length) after.push(raw.subarray(end));
            const release = () =>
              new Promise<void>((done) => {
                stream.once("close", () => done());
                stream.end();
                // A host that does not answer must not keep lab from ending.
                setTimeout(done, 5000).unref();
              });
            trace(this.host, `held after ${Date.now() - started} ms: ${command}`);
            resolve({
              code: null,
              stdout: hostText(raw.subarray(0, end).toString(), "stdout"),
              stderr: hostText(String(stderr), "stderr"),
              timedOut: false,
              durationMs: Date.now() - started,
              release,
              stream: after,
            });
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
        trace(this.host, `run: ${command}`);
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

/**
 * What a held command prints after its marker, as a stream, and its input: lab speaks to
 * it (the Docker API behind `docker system dial-stdio`) until `release` ends the input.
 */
function heldStream(channel: ClientChannel): Duplex {
  const duplex = new Duplex({
    read() {},
    write(chunk, _encoding, callback) {
      channel.write(chunk, callback);
    },
  });
  channel.once("close", () => duplex.push(null));
  return duplex;
}
