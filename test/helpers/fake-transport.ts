import { Duplex } from "node:stream";
import type { ExecOptions, ExecResult, Transport, TransportStats } from "../../src/transport/types.js";

/** A Docker API answer for one GET path (undefined: an empty list, an empty info, a 404 tag). */
export type FakeDocker = (path: string) => { status?: number; body: unknown } | undefined;

const emptyDocker = (path: string) =>
  path.startsWith("/distribution/")
    ? { status: 404, body: { message: "manifest unknown" } }
    : { status: 200, body: path === "/info" ? {} : [] };

/** The stream a dial-stdio probe goes on to: answers each GET it is sent, as dockerd would. */
function fakeDockerStream(answer: FakeDocker, paths: string[]): Duplex {
  let pending = "";
  const stream: Duplex = new Duplex({
    read() {},
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString();
      for (let end = pending.indexOf("\r\n\r\n"); end >= 0; end = pending.indexOf("\r\n\r\n")) {
        const path = pending.slice(4, pending.indexOf(" HTTP/1.1"));
        pending = pending.slice(end + 4);
        paths.push(path);
        const { status = 200, body } = answer(path) ?? emptyDocker(path);
        const text = JSON.stringify(body);
        stream.push(`HTTP/1.1 ${status} X\r\nContent-Length: ${Buffer.byteLength(text)}\r\n\r\n${text}`);
      }
      callback();
    },
  });
  return stream;
}

/**
 * A scripted stand-in for a Transport, for the engine's logic and for fault injection.
 * Each command is answered by the first matching rule (failOn/throwOn rules come first),
 * else by the script function, else with exit 0 and no output.
 *
 * It proves nothing about SSH: no connection, no shell, no sudo. It answers each command
 * from a script (a function) or from (regex → result) rules, records every command with
 * its stdin and every file write, and can be told to fail or throw on a matching command.
 */
export type FakeReply = Partial<ExecResult>;

/** A reply, or a function of the command (undefined: fall through to the rules). */
export type FakeScript = (
  command: string,
  options: ExecOptions,
) => FakeReply | undefined | Promise<FakeReply | undefined>;

export interface FakeRule {
  match: RegExp;
  /** A fixed reply, or one computed from the command. */
  reply?: FakeReply | ((command: string, options: ExecOptions) => FakeReply | Promise<FakeReply>);
  /** Throw this instead of answering (a broken connection, a closed channel). */
  throws?: Error;
}

export interface FakeCall {
  kind: "exec" | "writeFile";
  /** exec: the command; writeFile: the path. */
  command: string;
  /** exec: what was fed on stdin; writeFile: the content. */
  stdin?: string;
  mode?: string;
  timeoutMs?: number;
}

const ok = (reply: FakeReply = {}): ExecResult => ({
  code: 0,
  stdout: "",
  stderr: "",
  timedOut: false,
  durationMs: 1,
  ...reply,
});

export class FakeTransport implements Transport {
  readonly stats: TransportStats = { connections: 1, commands: 0 };
  /** Every exec and writeFile, in order. */
  readonly calls: FakeCall[] = [];
  /** Last content written per path (writeFile only). */
  readonly files = new Map<string, string>();
  private readonly rules: FakeRule[] = [];
  private readonly writeFaults: { match: RegExp; error: Error }[] = [];
  closed = false;
  /** Docker API paths asked through dial-stdio, in order. */
  readonly dockerPaths: string[] = [];
  private dockerAnswer: FakeDocker = () => undefined;

  constructor(
    readonly host: string,
    private readonly script?: FakeScript,
    rules: FakeRule[] = [],
  ) {
    this.rules.push(...rules);
  }

  /** Commands run, in order (writes left out). */
  get commands(): string[] {
    return this.calls.filter((c) => c.kind === "exec").map((c) => c.command);
  }

  get writes(): FakeCall[] {
    return this.calls.filter((c) => c.kind === "writeFile");
  }

  /** Answer commands matching `match` (later rules are consulted after earlier ones). */
  on(match: RegExp, reply: FakeRule["reply"]): this {
    this.rules.push({ match, reply });
    return this;
  }

  /** Answer the Docker API (asked after a probe that ends in dial-stdio). */
  docker(answer: FakeDocker): this {
    this.dockerAnswer = answer;
    return this;
  }

  /** Commands matching `match` exit non-zero (takes precedence over `on`). */
  failOn(match: RegExp, result: FakeReply = {}): this {
    this.rules.unshift({ match, reply: { code: 1, stderr: "fake failure", ...result } });
    return this;
  }

  /** exec of a matching command throws (takes precedence over `on`). */
  throwOn(match: RegExp, error: Error = new Error("fake: connection lost")): this {
    this.rules.unshift({ match, throws: error });
    return this;
  }

  /** writeFile to a matching path throws. */
  failWrite(match: RegExp, error: Error = new Error("fake: cannot write")): this {
    this.writeFaults.push({ match, error });
    return this;
  }

  async exec(command: string, options: ExecOptions = {}): Promise<ExecResult> {
    this.stats.commands++;
    const stdin = options.stdin === undefined ? undefined : String(options.stdin);
    this.calls.push({ kind: "exec", command, stdin, timeoutMs: options.timeoutMs });
    for (const rule of this.rules) {
      if (!rule.match.test(command)) continue;
      if (rule.throws) throw rule.throws;
      const reply = typeof rule.reply === "function" ? await rule.reply(command, options) : rule.reply;
      return ok(reply);
    }
    const scripted = this.script ? await this.script(command, options) : undefined;
    return ok(scripted);
  }

  /** Releases of held commands, in order (the lock of a run). */
  readonly released: string[] = [];

  /** As exec; a reply holding the marker is "held" until released (recorded in `released`). */
  async hold(
    command: string,
    marker: string,
    options: ExecOptions = {},
  ): Promise<ExecResult & { release?: () => Promise<void>; stream?: Duplex }> {
    const result = await this.exec(command, options);
    if (!result.stdout.includes(marker)) return result;
    return {
      ...result,
      stream: command.includes("docker system dial-stdio")
        ? fakeDockerStream((path) => this.dockerAnswer(path), this.dockerPaths)
        : undefined,
      release: () => {
        this.released.push(command);
        return Promise.resolve();
      },
    };
  }

  writeFile(path: string, content: string | Buffer, options: { mode?: string; owner?: string } = {}): Promise<void> {
    this.calls.push({ kind: "writeFile", command: path, stdin: String(content), mode: options.mode });
    const fault = this.writeFaults.find((f) => f.match.test(path));
    if (fault) return Promise.reject(fault.error);
    this.files.set(path, String(content));
    return Promise.resolve();
  }

  close(): Promise<void> {
    this.closed = true;
    return Promise.resolve();
  }
}
