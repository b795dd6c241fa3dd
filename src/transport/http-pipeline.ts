import type { Duplex } from "node:stream";

/**
 * HTTP/1.1 GETs pipelined over one byte stream (the Docker Engine API behind
 * `docker system dial-stdio` on an SSH channel): every request is written at once and the
 * answers are read in order, so a host's whole Docker state costs one round trip. Node's own
 * client sends one request per round trip and wants a socket; this stream is an SSH channel.
 *
 * The host is not trusted: sizes are bounded, a malformed answer is an error, and nothing
 * read here is ever run — callers only compare it.
 */
export interface HttpAnswer {
  status: number;
  body: string;
}

/** The most one answer may hold (a host with thousands of containers still fits). */
const MAX_BODY = 32 * 1024 * 1024;
const MAX_HEAD = 64 * 1024;

export function requestText(paths: string[]): string {
  return paths.map((path) => `GET ${path} HTTP/1.1\r\nHost: docker\r\n\r\n`).join("");
}

/** Parse as many complete answers as `data` holds; returns them and how many bytes they took. */
export function parseAnswers(data: Buffer, wanted: number): { answers: HttpAnswer[]; used: number } {
  const answers: HttpAnswer[] = [];
  let at = 0;
  while (answers.length < wanted) {
    const headEnd = data.indexOf("\r\n\r\n", at);
    if (headEnd < 0) {
      if (data.length - at > MAX_HEAD) throw new Error("an answer's head is too long");
      break;
    }
    const head = data.subarray(at, headEnd).toString("latin1").split("\r\n");
    const status = /^HTTP\/1\.[01] (\d{3})( |$)/.exec(head[0] ?? "");
    if (!status) throw new Error(`not an HTTP answer: ${JSON.stringify((head[0] ?? "").slice(0, 80))}`);
    const headers = new Map(
      head.slice(1).map((line) => {
        const colon = line.indexOf(":");
        return [line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim()] as const;
      }),
    );
    const bodyStart = headEnd + 4;
    const body = /chunked/i.test(headers.get("transfer-encoding") ?? "")
      ? chunkedBody(data, bodyStart)
      : lengthBody(data, bodyStart, headers.get("content-length"));
    if (!body) break; // not all here yet
    answers.push({ status: Number(status[1]), body: body.text });
    at = body.end;
  }
  return { answers, used: at };
}

function lengthBody(
  data: Buffer,
  start: number,
  length: string | undefined,
): { text: string; end: number } | undefined {
  // Every Docker answer has a length or is chunked; a body running to the connection's end is refused.
  if (length === undefined || !/^\d{1,10}$/.test(length)) throw new Error("an answer without Content-Length");
  const size = Number(length);
  if (size > MAX_BODY) throw new Error(`an answer of ${size} bytes is too large`);
  if (data.length < start + size) return undefined;
  return { text: data.subarray(start, start + size).toString("utf8"), end: start + size };
}

function chunkedBody(data: Buffer, start: number): { text: string; end: number } | undefined {
  const parts: Buffer[] = [];
  let size = 0;
  let at = start;
  for (;;) {
    const lineEnd = data.indexOf("\r\n", at);
    if (lineEnd < 0) return undefined;
    const sizeText = data.subarray(at, lineEnd).toString("latin1").split(";")[0]!.trim();
    if (!/^[0-9a-fA-F]{1,8}$/.test(sizeText)) throw new Error("a malformed chunk size");
    const chunk = parseInt(sizeText, 16);
    size += chunk;
    if (size > MAX_BODY) throw new Error("a chunked answer is too large");
    if (chunk === 0) {
      // No trailers from Docker: the body ends with an empty line.
      if (data.length < lineEnd + 4) return undefined;
      return { text: Buffer.concat(parts).toString("utf8"), end: lineEnd + 4 };
    }
    if (data.length < lineEnd + 2 + chunk + 2) return undefined;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + chunk));
    at = lineEnd + 2 + chunk + 2;
  }
}

/**
 * Send every GET at once on `stream`, resolve with the answers in order. The stream is left
 * open (its owner ends it); it ending or erring first, or the deadline passing, is an error.
 */
export function pipelinedGets(stream: Duplex, paths: string[], timeoutMs: number): Promise<HttpAnswer[]> {
  if (paths.length === 0) return Promise.resolve([]);
  return new Promise((resolve, reject) => {
    let data = Buffer.alloc(0);
    const answers: HttpAnswer[] = [];
    const done = (err?: Error) => {
      clearTimeout(timer);
      stream.off("data", onData);
      stream.off("end", onEnd);
      stream.off("close", onEnd);
      stream.off("error", onError);
      if (err) reject(err);
      else resolve(answers);
    };
    const onData = (chunk: Buffer) => {
      data = Buffer.concat([data, chunk]);
      try {
        const parsed = parseAnswers(data, paths.length - answers.length);
        answers.push(...parsed.answers);
        data = data.subarray(parsed.used);
      } catch (err) {
        return done(err as Error);
      }
      if (answers.length === paths.length) done();
    };
    const onEnd = () => done(new Error("the Docker API connection ended before every answer came"));
    const onError = (err: Error) => done(err);
    const timer = setTimeout(() => done(new Error(`no answer from the Docker API within ${timeoutMs} ms`)), timeoutMs);
    stream.on("data", onData);
    stream.on("end", onEnd);
    stream.on("close", onEnd);
    stream.on("error", onError);
    stream.write(requestText(paths));
  });
}
