// api.js — the HTTP API of docent (see API.md), with the access token.
//
// The token lives in memory and in sessionStorage (so a reload keeps the
// session, closing the tab ends it); it is only ever sent in the
// Authorization header, never in a URL.

const TOKEN_KEY = "docent.token";
let token = sessionStorage.getItem(TOKEN_KEY) || "";
let onUnauthorized = () => {};

/** ApiError is a failed request: its status and the problem's detail. */
export class ApiError extends Error {
  constructor(status, detail, fields = []) {
    super(detail);
    this.status = status;
    this.fields = fields;
  }
}

export const hasToken = () => token !== "";

export function setToken(t) {
  token = t || "";
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

/** whenUnauthorized registers what to do when the server refuses the token. */
export function whenUnauthorized(fn) {
  onUnauthorized = fn;
}

function authHeaders(extra = {}) {
  return token ? { ...extra, Authorization: "Bearer " + token } : extra;
}

// problem turns an error response into an ApiError with a readable detail.
async function problem(res) {
  let detail = `${res.status} ${res.statusText || "error"}`;
  let fields = [];
  try {
    const body = await res.json();
    if (body && typeof body.detail === "string" && body.detail) detail = body.detail;
    if (body && Array.isArray(body.errors)) fields = body.errors;
  } catch {
    // not JSON: keep the status line
  }
  return failure(res.status, detail, fields);
}

function failure(status, detail, fields) {
  if (status === 401 && token) onUnauthorized(detail);
  return new ApiError(status, detail, fields);
}

/** request sends a JSON request and returns the decoded answer (null for 204). */
export async function request(method, path, body, { signal } = {}) {
  const init = { method, headers: authHeaders({ Accept: "application/json" }), signal };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "The server cannot be reached. Check your connection and try again.");
  }
  if (!res.ok) throw await problem(res);
  if (res.status === 204) return null;
  return res.json();
}

export const get = (path, opts) => request("GET", path, undefined, opts);
export const post = (path, body, opts) => request("POST", path, body, opts);
export const put = (path, body) => request("PUT", path, body);
export const patch = (path, body) => request("PATCH", path, body);
export const del = (path) => request("DELETE", path);

/** login exchanges a username (or email) and password for a token. */
export async function login(username, password) {
  const t = await post("/api/v1/auth/token", { username, password });
  setToken(t.access_token);
  return t;
}

/**
 * upload sends one file as multipart/form-data with XMLHttpRequest, whose
 * upload progress fetch cannot report. onProgress gets 0..1; with a
 * workspace id the document goes into that workspace. Resolves with the
 * created (or duplicate) Document.
 */
export function upload(file, onProgress, workspace) {
  return new Promise((resolve, reject) => {
    const xhr = new XMLHttpRequest();
    xhr.open("POST", workspace ? `/api/v1/documents?workspace=${encodeURIComponent(workspace)}` : "/api/v1/documents");
    for (const [k, v] of Object.entries(authHeaders({ Accept: "application/json" }))) xhr.setRequestHeader(k, v);
    xhr.responseType = "json";
    xhr.upload.onprogress = (e) => {
      if (e.lengthComputable) onProgress(e.loaded / e.total);
    };
    xhr.onload = () => {
      const body = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && Array.isArray(body) && body.length) {
        onProgress(1);
        resolve(body[0]);
        return;
      }
      const detail = body && body.detail ? body.detail : `upload failed (${xhr.status || "no answer"})`;
      reject(failure(xhr.status, detail, (body && body.errors) || []));
    };
    xhr.onerror = () => reject(new ApiError(0, "The upload was interrupted: the server cannot be reached."));
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
}

/**
 * stream POSTs body to path asking for Server-Sent Events and calls
 * on[event](data) for each event (sources, delta, done, error) as it
 * arrives. Resolves when the stream ends.
 */
export async function stream(path, body, on, { signal } = {}) {
  let res;
  try {
    res = await fetch(path, {
      method: "POST",
      headers: authHeaders({ "Content-Type": "application/json", Accept: "text/event-stream" }),
      body: JSON.stringify(body),
      signal,
    });
  } catch (err) {
    if (err.name === "AbortError") throw err;
    throw new ApiError(0, "The server cannot be reached. Check your connection and try again.");
  }
  if (!res.ok) throw await problem(res);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buffer += value.replace(/\r\n?/g, "\n");
    let end;
    while ((end = buffer.indexOf("\n\n")) >= 0) {
      dispatch(buffer.slice(0, end), on);
      buffer = buffer.slice(end + 2);
    }
  }
  if (buffer.trim()) dispatch(buffer, on);
}

// dispatch parses one SSE event block ("event: x\ndata: {...}").
function dispatch(block, on) {
  let event = "message";
  const data = [];
  for (const line of block.split("\n")) {
    if (line.startsWith("event:")) event = line.slice(6).trim();
    else if (line.startsWith("data:")) data.push(line.slice(5).replace(/^ /, ""));
  }
  if (!data.length || !on[event]) return;
  let parsed;
  try {
    parsed = JSON.parse(data.join("\n"));
  } catch {
    return;
  }
  on[event](parsed);
}
