'use strict';
// The tbjwt emulation of the Auth0 Actions runtime for the post-login trigger.
//
// One long-lived worker loads one action and serves many cases over protocol v1 (docs/protocol.md):
// commands arrive as JSON lines on stdin, replies leave as JSON lines on file descriptor 3, so that
// whatever the action writes to stdout or stderr cannot corrupt the channel.
//
// Per case it builds `event` from the case's JSON, an `api` object that records every call made on it
// (any namespace, any method), captures console.* as util.format strings, freezes Date at the case's
// `now_ms`, and turns a throw or a rejected promise into status "threw". It also records what else the
// action does that the world could see (the outcome's `effects`): text written to process.stdout or
// process.stderr, outbound connections (net, tls, http, https, fetch, dgram) with what was written on
// them, and files written; the harness looks there for secrets. The harness on the other side enforces
// timeouts by killing the worker.
//
// The action is loaded from where it is, never copied: CommonJS actions are compiled with their own
// file name (so their sibling modules load), ES modules are imported by URL with a resolve hook that
// falls back to the dependency folder for bare specifiers, and NODE_PATH (set by the harness) lets every
// module the action requires see the declared dependencies.
//
// Usage: node runtime.js --action FILE [--modules DIR]
//   FILE     the action (CommonJS exporting onExecutePostLogin, or an ES module exporting it)
//   DIR      a node_modules folder where the action's declared dependencies are installed

const fs = require('fs');
const path = require('path');
const util = require('util');
const Module = require('module');
const readline = require('readline');
const net = require('net');
const dgram = require('dgram');

const PROTOCOL_FD = Number(process.env.TBJWT_PROTOCOL_FD || 3);
const RealDate = Date;
const realExit = process.exit;

function send(message) {
  const line = JSON.stringify(message) + '\n';
  let offset = 0;
  const buffer = Buffer.from(line, 'utf8');
  while (offset < buffer.length) {
    offset += fs.writeSync(PROTOCOL_FD, buffer, offset, buffer.length - offset);
  }
}

function parseArgs(argv) {
  const args = { action: null, modules: null, runtime: 'node22' };
  for (let i = 0; i < argv.length; i += 1) {
    if (argv[i] === '--action') args.action = argv[(i += 1)];
    else if (argv[i] === '--modules') args.modules = argv[(i += 1)];
    else if (argv[i] === '--runtime') args.runtime = argv[(i += 1)];
  }
  return args;
}

// Instances of the action kept on node22 for the cases in flight.
const KEPT_INSTANCES = 256;

// Which Auth0 Actions runtime is emulated: `node22` runs the action's module-level code once per instance
// and reuses it across executions (here: an instance per case, kept for the case's later logins);
// `node18` runs it anew for every execution. Node 22 also disables file writes (see refusedOnNode22).
let RUNTIME = 'node22';

// ---- loading the action ---------------------------------------------------------------------------

class LoadError extends Error {}

function declaredHint(request) {
  const name = request.startsWith('@') ? request.split('/').slice(0, 2).join('/') : request.split('/')[0];
  return (
    `the action requires '${name}', which is not installed: declare it among the action's dependencies ` +
    `({"name": "${name}", "version": "<version>"} in a Marketplace folder's configuration.json or a Deploy ` +
    `CLI action, or a dependencies block of Terraform's auth0_action)`
  );
}

function esmSource(filename, source) {
  return filename.endsWith('.mjs') || (/^\s*export\s/m.test(source) && !/module\.exports|exports\./.test(source));
}

// Whether the action (loaded at start) is an ES module.
function isEsm(file) {
  const read = sources.get(path.resolve(file));
  return read ? read.esm : false;
}

// A CommonJS action compiled once per process; each instance runs its module-level code anew.
const compiled = new Map();
function instantiate(filename, source, paths) {
  let body = compiled.get(filename);
  if (!body) {
    try {
      body = require('vm').compileFunction(source, ['exports', 'require', 'module', '__filename', '__dirname'], {
        filename,
      });
    } catch (e) {
      throw new LoadError(`the action failed to load: ${e && e.message ? e.message : e}`);
    }
    compiled.set(filename, body);
  }
  const mod = new Module(filename, null);
  mod.filename = filename;
  mod.paths = paths;
  const baseRequire = mod.require.bind(mod);
  const requireForAction = function requireForAction(request) {
    try {
      return baseRequire(request);
    } catch (e) {
      if (e && e.code === 'MODULE_NOT_FOUND' && !request.startsWith('.') && !path.isAbsolute(request)) {
        const wrapped = new Error(declaredHint(request));
        wrapped.code = 'MODULE_NOT_FOUND';
        throw wrapped;
      }
      throw e;
    }
  };
  requireForAction.resolve = (request, options) => Module._resolveFilename(request, mod, false, options);
  requireForAction.cache = Module._cache;
  mod.require = requireForAction;
  try {
    body.call(mod.exports, mod.exports, requireForAction, mod, filename, path.dirname(filename));
  } catch (e) {
    throw new LoadError(`the action failed to load: ${e && e.message ? e.message : e}`);
  }
  mod.loaded = true;
  return mod.exports;
}

// What loading an action reads once: its source and where its requires resolve.
const sources = new Map();

async function loadAction(file, modulesDir) {
  const filename = path.resolve(file);
  let read = sources.get(filename);
  if (!read) {
    let text;
    try {
      text = fs.readFileSync(filename, 'utf8');
    } catch (e) {
      throw new LoadError(`cannot read the action ${filename}: ${e.message}`);
    }
    const modulePaths = (modulesDir ? [path.resolve(modulesDir)] : []).concat(
      Module._nodeModulePaths(path.dirname(filename)),
    );
    read = { source: text, paths: modulePaths, esm: esmSource(filename, text) };
    sources.set(filename, read);
  }
  const { source, paths } = read;
  const isEsmSource = read.esm;
  let exported;
  if (isEsmSource) {
    // ES modules resolve bare imports from their own location; a resolve hook gives them the dependency
    // folder as a fallback (nothing is written anywhere).
    if (modulesDir && typeof Module.register === 'function') {
      const fallback = require('url').pathToFileURL(path.join(path.resolve(modulesDir), '..', 'tbjwt-resolve-base.mjs')).href;
      const hooks =
        `export async function resolve(specifier, context, next) {\n` +
        `  try { return await next(specifier, context); } catch (e) {\n` +
        `    if (e && e.code === 'ERR_MODULE_NOT_FOUND' && !/^[./]|^file:|^node:/.test(specifier)) {\n` +
        `      return next(specifier, { ...context, parentURL: ${JSON.stringify(fallback)} });\n` +
        `    }\n` +
        `    throw e;\n` +
        `  }\n` +
        `}\n`;
      Module.register('data:text/javascript,' + encodeURIComponent(hooks));
    }
    try {
      exported = await import(require('url').pathToFileURL(filename).href);
    } catch (e) {
      if (e && e.code === 'ERR_MODULE_NOT_FOUND') {
        const m = /Cannot find package '([^']+)'/.exec(e.message);
        throw new LoadError(m ? declaredHint(m[1]) : e.message);
      }
      throw new LoadError(`the action failed to load: ${e && e.stack ? e.stack : e}`);
    }
  } else {
    exported = instantiate(filename, source, paths);
  }
  const handler = exported && (exported.onExecutePostLogin || (exported.default && exported.default.onExecutePostLogin));
  if (typeof handler !== 'function') {
    throw new LoadError(`${filename} does not export a function onExecutePostLogin`);
  }
  return handler;
}

// ---- per-case state ---------------------------------------------------------------------------------

let current = null; // { logs, calls, effects }

// ---- side effects -------------------------------------------------------------------------------------

const EFFECT_TEXT_LIMIT = 64 * 1024;

function text(chunk, encoding) {
  if (chunk === undefined || chunk === null) return '';
  if (typeof chunk === 'string') return chunk;
  try {
    return Buffer.from(chunk.buffer ? chunk : String(chunk)).toString(typeof encoding === 'string' ? 'utf8' : 'utf8');
  } catch (_) {
    return String(chunk);
  }
}

function cut(value) {
  return value.length > EFFECT_TEXT_LIMIT ? value.slice(0, EFFECT_TEXT_LIMIT) : value;
}

function effect(kind, entry) {
  if (!current) return null;
  current.effects[kind].push(entry);
  return entry;
}

for (const stream of [process.stdout, process.stderr]) {
  const original = stream.write.bind(stream);
  stream.write = function write(chunk, encoding, callback) {
    if (current) {
      current.effects.output.push(cut(text(chunk, encoding)));
      if (typeof encoding === 'function') encoding();
      else if (typeof callback === 'function') callback();
      return true;
    }
    return original(chunk, encoding, callback);
  };
}

function destination(args) {
  const first = args[0];
  if (first && typeof first === 'object') {
    if (first.path) return String(first.path);
    return `${first.host || first.hostname || 'localhost'}:${first.port}`;
  }
  if (typeof first === 'string' && !/^\d+$/.test(first)) return first; // a socket path
  return `${typeof args[1] === 'string' ? args[1] : 'localhost'}:${first}`;
}

const realConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function connect(...args) {
  const entry = effect('network', { to: destination(Array.isArray(args[0]) ? args[0] : args), data: '' });
  if (entry) this.__tbjwtEffect = entry;
  return realConnect.apply(this, args);
};
const realSocketWrite = net.Socket.prototype.write;
net.Socket.prototype.write = function write(chunk, encoding, callback) {
  const entry = this.__tbjwtEffect;
  if (entry && entry.data.length < EFFECT_TEXT_LIMIT) entry.data = cut(entry.data + text(chunk, encoding));
  return realSocketWrite.call(this, chunk, encoding, callback);
};
const realSocketEnd = net.Socket.prototype.end;
net.Socket.prototype.end = function end(chunk, encoding, callback) {
  const entry = this.__tbjwtEffect;
  if (entry && chunk !== undefined && typeof chunk !== 'function' && entry.data.length < EFFECT_TEXT_LIMIT) {
    entry.data = cut(entry.data + text(chunk, encoding));
  }
  return realSocketEnd.call(this, chunk, encoding, callback);
};
const realSend = dgram.Socket.prototype.send;
dgram.Socket.prototype.send = function send(msg, ...rest) {
  const port = rest.find((a) => typeof a === 'number' && a > 0);
  const host = rest.find((a) => typeof a === 'string');
  effect('network', { to: `${host || 'localhost'}:${port}`, data: cut(text(msg)) });
  return realSend.call(this, msg, ...rest);
};

const fdPaths = new Map();
function pathOf(target) {
  if (typeof target === 'number') return fdPaths.get(target) || `fd ${target}`;
  return String(target instanceof URL ? target.pathname : target);
}
// Node 22 disables file writes. A write the sandbox would let through (into the process's private
// folder, its TMPDIR and HOME) is refused here as Auth0's runtime refuses it; a write anywhere else goes on
// to the sandbox, which refuses and reports it.
const PRIVATE_ROOTS = [process.env.TMPDIR, process.env.HOME].filter(Boolean).map((p) => path.resolve(p));
function refusedOnNode22(target) {
  if (RUNTIME !== 'node22' || !current || typeof target === 'number') return null;
  const resolved = path.resolve(pathOf(target));
  if (!PRIVATE_ROOTS.some((root) => resolved === root || resolved.startsWith(root + path.sep))) return null;
  const e = new Error(`EROFS: read-only file system, open '${resolved}'`);
  Object.assign(e, { code: 'EROFS', errno: -30, syscall: 'open', path: resolved });
  return e;
}
// Ends a refused call the way its form fails: a rejected promise, an error to its callback, or a throw.
function failAs(error, args, promises) {
  if (promises) return Promise.reject(error);
  if (typeof args[args.length - 1] === 'function') return process.nextTick(args[args.length - 1], error);
  throw error;
}
function writes(flags) {
  return typeof flags === 'string' ? /[wa+]/.test(flags) : typeof flags === 'number' && (flags & 3) !== 0;
}

function wrapWrite(object, name, dataIndex, promises) {
  const original = object[name];
  if (typeof original !== 'function') return;
  object[name] = function wrapped(...args) {
    if (current && !(typeof args[0] === 'number' && args[0] === PROTOCOL_FD)) {
      effect('files', { path: pathOf(args[0]), data: cut(text(args[dataIndex])) });
      const refused = refusedOnNode22(args[0]);
      if (refused) return failAs(refused, args, promises);
    }
    return original.apply(this, args);
  };
}
for (const name of ['writeFileSync', 'writeFile', 'appendFileSync', 'appendFile']) wrapWrite(fs, name, 1, false);
for (const name of ['writeFile', 'appendFile']) wrapWrite(fs.promises, name, 1, true);
wrapWrite(fs, 'writeSync', 1, false);
wrapWrite(fs, 'write', 1, false);
const realOpenSync = fs.openSync;
fs.openSync = function openSync(file, ...rest) {
  const fd = realOpenSync.call(this, file, ...rest);
  fdPaths.set(fd, pathOf(file));
  return fd;
};
// Every other way fs changes the file system, refused the same way on node22 where it touches the private
// folder: each path argument is checked (for a call `when` says changes something).
function refuseChanges(object, name, pathArgs, promises, when = () => true) {
  const original = object[name];
  if (typeof original !== 'function') return;
  object[name] = function refusing(...args) {
    const refused = when(args)
      ? pathArgs.map((i) => (args[i] === undefined ? null : refusedOnNode22(args[i]))).find(Boolean)
      : null;
    if (refused) return failAs(refused, args, promises);
    return original.apply(this, args);
  };
}
const CHANGES = {
  mkdir: [0], rename: [0, 1], copyFile: [1], cp: [1], rm: [0], rmdir: [0], unlink: [0], symlink: [1], link: [1],
  truncate: [0], chmod: [0], chown: [0], utimes: [0], mkdtemp: [0],
};
for (const [name, pathArgs] of Object.entries(CHANGES)) {
  refuseChanges(fs, name, pathArgs, false);
  refuseChanges(fs, `${name}Sync`, pathArgs, false);
  refuseChanges(fs.promises, name, pathArgs, true);
}
// Opening for writing: the sync form throws; the callback form fails only with its callback (without one,
// Node's own argument check answers).
refuseChanges(fs, 'openSync', [0], false, (args) => writes(args[1]));
refuseChanges(fs, 'open', [0], false, (args) => writes(args[1]) && typeof args[args.length - 1] === 'function');
refuseChanges(fs.promises, 'open', [0], true, (args) => writes(args[1]));

const realCreateWriteStream = fs.createWriteStream;
fs.createWriteStream = function createWriteStream(file, ...rest) {
  const refused = refusedOnNode22(file);
  if (refused) {
    effect('files', { path: pathOf(file), data: '' });
    const stream = new (require('stream').Writable)({ write: (_chunk, _encoding, done) => done(refused) });
    process.nextTick(() => stream.destroy(refused));
    return stream;
  }
  const stream = realCreateWriteStream.call(this, file, ...rest);
  const entry = effect('files', { path: pathOf(file), data: '' });
  if (entry) {
    const write = stream.write.bind(stream);
    stream.write = (chunk, encoding, callback) => {
      if (entry.data.length < EFFECT_TEXT_LIMIT) entry.data = cut(entry.data + text(chunk, encoding));
      return write(chunk, encoding, callback);
    };
  }
  return stream;
};

function effectsOf(effects) {
  const out = {};
  for (const kind of ['output', 'network', 'files']) if (effects[kind].length) out[kind] = effects[kind];
  return Object.keys(out).length ? out : undefined;
}

function toJson(value) {
  try {
    const text = JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v));
    return text === undefined ? null : JSON.parse(text);
  } catch (_) {
    return String(value);
  }
}

for (const level of ['log', 'info', 'warn', 'error', 'debug', 'trace']) {
  const original = console[level].bind(console);
  console[level] = (...args) => {
    if (current) current.logs.push(util.format(...args));
    else original(...args);
  };
}

// One class for every case (a class made per case costs time and deoptimises the action's calls to Date):
// the case sets the instant it reads.
let frozenMs = 0;
class FrozenDate extends RealDate {
  constructor(...args) {
    if (args.length === 0) super(frozenMs);
    else super(...args);
  }
  static now() {
    return frozenMs;
  }
}

function freezeClock(ms) {
  frozenMs = ms;
  globalThis.Date = FrozenDate;
}

// Methods whose real return value is not the api itself.
const RETURNS = {
  'cache.get': () => undefined,
  'cache.set': () => ({ type: 'success' }),
  'cache.delete': () => ({ type: 'success' }),
  'redirect.encodeToken': () => 'tbjwt-encoded-token',
  'redirect.validateToken': () => ({}),
};

const IGNORED_KEYS = new Set(['then', 'toJSON', 'inspect', 'constructor', 'valueOf', 'toString']);

function makeApi() {
  const namespaces = new Map();
  const api = new Proxy(
    {},
    {
      get(_target, ns) {
        if (typeof ns !== 'string' || IGNORED_KEYS.has(ns)) return undefined;
        if (!namespaces.has(ns)) namespaces.set(ns, makeNamespace(ns));
        return namespaces.get(ns);
      },
    },
  );
  function makeNamespace(ns) {
    const methods = new Map();
    return new Proxy(
      {},
      {
        get(_target, method) {
          if (typeof method !== 'string' || IGNORED_KEYS.has(method)) return undefined;
          const name = `${ns}.${method}`;
          if (!methods.has(name)) {
            methods.set(name, (...args) => {
              if (current) current.calls.push({ api: name, args: args.map(toJson) });
              return RETURNS[name] ? RETURNS[name]() : api;
            });
          }
          return methods.get(name);
        },
      },
    );
  }
  return api;
}

class ExitCalled extends Error {}

function errorOf(e) {
  if (e instanceof Error || (e && typeof e === 'object' && 'message' in e)) {
    return { name: String(e.name || (e.constructor && e.constructor.name) || 'Error'), message: String(e.message) };
  }
  return { name: typeof e, message: String(e) };
}

async function runCase(handler, message) {
  // `now_ms` (milliseconds) since the clock became an input; `now` (whole seconds) before that.
  const nowMs = message.now_ms !== undefined ? Number(message.now_ms) : Number(message.now) * 1000;
  current = { logs: [], calls: [], effects: { output: [], network: [], files: [] } };
  const effects = current.effects;
  freezeClock(nowMs);
  let exitCode = null;
  process.exit = (code) => {
    exitCode = code === undefined ? 0 : code;
    throw new ExitCalled(`the action called process.exit(${exitCode})`);
  };
  const outcome = { status: 'completed', error: null, logs: current.logs, calls: current.calls };
  try {
    await handler(message.event, makeApi());
  } catch (e) {
    if (exitCode !== null) {
      return { seq: message.seq, errored: { message: `the action called process.exit(${exitCode})` } };
    }
    outcome.status = 'threw';
    outcome.error = errorOf(e);
  } finally {
    current = null;
    globalThis.Date = RealDate;
    process.exit = realExit;
  }
  if (exitCode !== null) {
    return { seq: message.seq, errored: { message: `the action called process.exit(${exitCode})` } };
  }
  const seen = effectsOf(effects);
  if (seen) outcome.effects = seen;
  return { seq: message.seq, outcome };
}

// ---- protocol loop ------------------------------------------------------------------------------------

async function main() {
  const args = parseArgs(process.argv.slice(2));
  RUNTIME = args.runtime;
  let processInstance = null;
  let loadError = null;
  // The instance loaded at start, not yet used by any execution (the first one takes it).
  let unused = true;
  const instances = new Map();
  try {
    if (!args.action) throw new LoadError('usage: node runtime.js --action FILE [--modules DIR]');
    processInstance = await loadAction(args.action, args.modules);
  } catch (e) {
    loadError = e instanceof LoadError ? e.message : `the action failed to load: ${e && e.stack ? e.stack : e}`;
  }
  process.on('unhandledRejection', () => {});
  const lines = readline.createInterface({ input: process.stdin, crlfDelay: Infinity });
  for await (const line of lines) {
    if (!line.trim()) continue;
    let message;
    try {
      message = JSON.parse(line);
    } catch (e) {
      send({ errored: { message: `the harness sent a line that is not JSON: ${e.message}` } });
      continue;
    }
    if (message.cmd === 'start') {
      if (loadError) send({ ready: false, errored: { message: loadError } });
      else send({ ready: true, name: path.basename(args.action), language: 'javascript', runtime: `node ${process.version}` });
    } else if (message.cmd === 'run') {
      if (loadError) {
        send({ seq: message.seq, errored: { message: loadError } });
        continue;
      }
      // The instance of the action the execution runs in (its module-level code run anew for a new one):
      // on node18 every execution is one; on node22 executions with the same `instance` id share one (a
      // case and its later logins), and one without an id runs in the process's own. An ES module is
      // loaded once per process (Auth0's runtimes take CommonJS; an instance per case would pile up).
      let instance = processInstance;
      if (!isEsm(args.action) && (RUNTIME === 'node18' || message.instance !== undefined)) {
        instance = RUNTIME === 'node22' ? instances.get(message.instance) : undefined;
        if (instance === undefined) {
          try {
            instance = unused ? processInstance : await loadAction(args.action, args.modules);
          } catch (e) {
            send({ seq: message.seq, errored: { message: e instanceof LoadError ? e.message : String(e) } });
            continue;
          }
          if (RUNTIME === 'node22') {
            instances.set(message.instance, instance);
            // Kept for the cases in flight (a batch of first logins comes before their later logins).
            if (instances.size > KEPT_INSTANCES) instances.delete(instances.keys().next().value);
          }
        }
      }
      unused = false;
      send(await runCase(instance, message));
    } else if (message.cmd === 'stop') {
      break;
    } else {
      send({ seq: message.seq, errored: { message: `unknown command ${JSON.stringify(message.cmd)}` } });
    }
  }
  realExit(0);
}

main().catch((e) => {
  try {
    send({ errored: { message: `the runtime itself failed: ${e && e.stack ? e.stack : e}` } });
  } finally {
    realExit(70);
  }
});
