import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { scratchDir } from "./scratch-dir.js";

/**
 * The CLI in a real pseudo-terminal of a given size, as a person runs it: tmux owns the
 * terminal (its own server on a private socket), draws what the program writes, and takes
 * keys (Ctrl-C goes through the terminal's line discipline, to the foreground process group).
 * `screen()` is what the terminal shows, scrollback included.
 */
const repo = resolve(import.meta.dirname, "..", "..");

/** Why terminal tests cannot run here, or undefined when they can. */
export function terminalUnavailable(): string | undefined {
  const r = spawnSync("tmux", ["-V"], { encoding: "utf8" });
  return r.status === 0 ? undefined : "needs tmux (bash scripts/install-deps.sh installs it)";
}

export class Terminal {
  private constructor(
    private readonly socket: string,
    private readonly rcFile: string,
  ) {}

  /**
   * Start `lab <args>` in `cwd` on a terminal of cols × rows. The environment is the test's,
   * less CI (a person's terminal is not CI), so the CLI picks its terminal behaviour.
   */
  static lab(cwd: string, args: string[], size = { cols: 120, rows: 40 }): Terminal {
    const dir = scratchDir("tty");
    const socket = join(dir, "tmux.sock");
    const rcFile = join(dir, "rc");
    const config = join(dir, "tmux.conf");
    writeFileSync(config, "set -g history-limit 20000\nset -g status off\n");
    // node --import tsx runs the TypeScript in one process, as node runs dist/ for a user
    // (the tsx launcher would put a second process between the terminal and lab).
    const command = [
      "node",
      "--import",
      pathToFileURL(join(repo, "node_modules/tsx/dist/loader.mjs")).href,
      join(repo, "src/cli/main.ts"),
      ...args,
    ]
      .map(shellQuote)
      .join(" ");
    // Like a person's interactive shell, the wrapper survives Ctrl-C (a plain `sh -c` would
    // die of it and take the terminal with it); lab, in the same process group, gets it too.
    const script = `trap : INT; cd ${shellQuote(cwd)} && env -u CI ${command}; echo $? > ${shellQuote(rcFile)}; exec sleep 3600`;
    execFileSync(
      "tmux",
      [
        "-S",
        socket,
        "-f",
        config,
        "new-session",
        "-d",
        "-x",
        String(size.cols),
        "-y",
        String(size.rows),
        "sh",
        "-c",
        script,
      ],
      {
        env: { ...process.env, TERM: "xterm-256color" },
      },
    );
    return new Terminal(socket, rcFile);
  }

  /** Everything the terminal shows, scrollback first, trailing blank lines dropped. */
  screen(): string {
    const text = execFileSync("tmux", ["-S", this.socket, "capture-pane", "-p", "-J", "-S", "-"], { encoding: "utf8" });
    return text.replace(/\s+$/, "") + "\n";
  }

  /** Wait until the screen matches, or fail showing the screen. */
  async waitFor(pattern: RegExp, timeoutMs: number): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const screen = this.screen();
      if (pattern.test(screen)) return screen;
      if (Date.now() > deadline)
        throw new Error(`the terminal never showed ${pattern} in ${timeoutMs} ms; it shows:\n${screen}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  /** Keys as tmux names them: "C-c", "Enter", or literal text. */
  press(...keys: string[]): void {
    execFileSync("tmux", ["-S", this.socket, "send-keys", ...keys]);
  }

  /** The program's exit code once it ends; fails (showing the screen) if it hangs past the timeout. */
  async exitCode(timeoutMs: number): Promise<number> {
    const deadline = Date.now() + timeoutMs;
    while (!existsSync(this.rcFile) || readFileSync(this.rcFile, "utf8").trim() === "") {
      if (Date.now() > deadline)
        throw new Error(`lab did not end within ${timeoutMs} ms (a hang); the terminal shows:\n${this.screen()}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    return Number(readFileSync(this.rcFile, "utf8").trim());
  }

  close(): void {
    spawnSync("tmux", ["-S", this.socket, "kill-server"]);
  }
}

function shellQuote(s: string): string {
  return /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}
