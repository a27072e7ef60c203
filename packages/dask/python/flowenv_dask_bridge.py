"""The client-side half of @flowenv/dask: a child process of the TypeScript DaskExecutor.

It drives a Dask cluster through the public `distributed.Client` API and speaks JSON lines with
its parent: requests on stdin, events on stdout (anything else this process prints goes to stderr,
so the protocol stays clean). Start: `python flowenv_dask_bridge.py '<settings JSON>'`.

parent -> bridge
  {"op":"run","run":R,"runText":"<JSON text: flowLocation, parameters, runContext>"}
  {"op":"submit","run":R,"tasks":[{"key":K,"task":NAME,"upstream":[[ARGUMENT,UPSTREAM_KEY],...]}]}
  {"op":"release","run":R}       forget a run's futures (cancels those still running)
  {"op":"close"}                 unregister the worker plugin (closes the task hosts), disconnect, exit
bridge -> parent
  {"op":"connecting","python":V,"distributed":V}      imports done, connecting now
  {"op":"ready","scheduler":ADDRESS,"workers":N,"python":V,"distributed":V}
  {"op":"done","key":K,"state":<the task's TaskState, as the Node task host wrote it>}
  {"op":"error","key":K,"name":N,"message":M,"traceback":T}    a Dask-level failure of that task
  {"op":"fatal","kind":"missing-module"|"connect-failed"|"version-mismatch"|"internal","message":M,...}

End of input (the parent died) or SIGTERM does what "close" does. Values are never parsed here:
TaskState texts go from worker to parent untouched.
"""

import asyncio
import json
import os
import signal
import sys
import traceback
import types

HERE = os.path.dirname(os.path.abspath(__file__))
_protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
# Nothing else may write to the protocol: not a stray print(), not a child process inheriting fd 1.
os.dup2(2, 1)
sys.stdout = sys.stderr


def emit_raw(line):
    _protocol.write(line)
    _protocol.write("\n")


def emit(message):
    emit_raw(json.dumps(message))


def flush():
    _protocol.flush()


def fatal(kind, message, code, **extra):
    emit({"op": "fatal", "kind": kind, "message": message, **extra})
    flush()
    sys.exit(code)


try:
    import distributed
    from distributed import Client
    from distributed.security import Security
except ImportError as error:  # pragma: no cover - exercised through the TS error mapping
    fatal("missing-module", str(error), 3, module=(error.name or "distributed").split(".")[0])

PYTHON_VERSION = ".".join(str(part) for part in sys.version_info[:3])


# The Dask task of one flowenv task. `eval` is importable everywhere, so it pickles by reference:
# no code object travels with each task, and neither the scheduler nor the worker unpickles one
# (a function pickled by value with every task cost about a third more per task, measured).
# The names are filled in by the task's globals: p plugin name, t task name, r run description (JSON
# text), n argument names, u upstream states (futures, replaced by their JSON texts by Dask).
DISPATCH = "__import__('distributed').get_worker().plugins[p].run(t, r, n, u)"


def load_worker_module():
    """flowenv_dask_worker as a module outside sys.modules: Dask can only pickle it by value."""
    path = os.path.join(HERE, "flowenv_dask_worker.py")
    module = types.ModuleType("flowenv_dask_worker")
    module.__file__ = path
    with open(path, encoding="utf-8") as source:
        exec(compile(source.read(), path, "exec"), module.__dict__)
    return module


def build_security(settings):
    security = settings.get("security")
    if not security:
        return None
    return Security(
        tls_ca_file=security.get("caFile"),
        tls_client_cert=security.get("certFile"),
        tls_client_key=security.get("keyFile"),
        require_encryption=bool(security.get("requireEncryption", True)),
    )


async def register_worker_plugin(client, plugin, name):
    # distributed >= 2023.9.2 has register_plugin; older ones only register_worker_plugin (which
    # newer ones removed).
    register = getattr(client, "register_plugin", None)
    if register is not None:
        await register(plugin, name=name)
    else:
        await client.register_worker_plugin(plugin, name=name)


def python_minor(version_text):
    return ".".join(str(version_text).split(".")[:2])


async def check_worker_pythons(client):
    """Code travels by value (bytecode): every worker must run this Python minor version."""
    versions = await client.get_versions(check=False)
    ours = python_minor(PYTHON_VERSION)
    others = {}
    for worker, info in (versions.get("workers") or {}).items():
        python = (info.get("host") or {}).get("python")
        if python and python_minor(python) != ours:
            others[worker] = python
    return others


def describe_exception(error, tb):
    return "".join(traceback.format_exception(type(error), error, tb))


class Bridge:
    def __init__(self, client, plugin_name):
        self.client = client
        self.plugin_name = plugin_name
        self.runs = {}  # run id -> {"text": run JSON text, "futures": {key: Future}, "reporter": Task}
        self.futures = {}  # key -> Future, every run
        self.closing = False

    def start_run(self, message):
        self.runs[message["run"]] = {"text": message["runText"], "futures": {}, "reporter": None}

    async def submit(self, message):
        run = self.runs[message["run"]]
        for index, task in enumerate(message["tasks"]):
            if index % 200 == 199:
                await asyncio.sleep(0)  # let the client send what it has: the cluster starts meanwhile
            names = [argument for argument, _ in task["upstream"]]
            upstream = [self.futures[key] for _, key in task["upstream"]]
            scope = {"p": self.plugin_name, "t": task["task"], "r": run["text"], "n": names, "u": upstream}
            future = self.client.submit(eval, DISPATCH, scope, key=task["key"], pure=False)
            run["futures"][task["key"]] = future
            self.futures[task["key"]] = future
        if run["reporter"] is None:
            run["reporter"] = asyncio.ensure_future(self.report_run(message["run"]))

    async def report_run(self, run_id):
        """Waits for every task of the run, then fetches all results in one gather (as a Python
        user's client.gather would) and reports each task."""
        try:
            futures = list(self.runs[run_id]["futures"].values())
            values = await self.client.gather(futures, errors="skip")
            for future, value in zip(futures, values):
                if future.status == "finished" and value is not None:
                    emit_raw(f'{{"op":"done","key":{json.dumps(future.key)},"state":{value}}}')
                else:
                    await self.report_one(future)
            flush()
        except asyncio.CancelledError:
            raise
        except Exception as error:  # noqa: BLE001 - without a report the parent would wait forever
            emit({"op": "fatal", "kind": "internal", "message": describe_exception(error, error.__traceback__)})
            flush()

    async def release(self, message):
        run = self.runs.pop(message["run"], None)
        if run is None:
            return
        if run["reporter"] is not None and not run["reporter"].done():
            run["reporter"].cancel()
        futures = list(run["futures"].values())
        for key in run["futures"]:
            self.futures.pop(key, None)
        pending = [future for future in futures if not future.done()]
        if pending:
            await self.client.cancel(pending)

    async def report_one(self, future):
        key = future.key
        try:
            value = await future.result()
        except asyncio.CancelledError:
            raise
        except BaseException as error:  # noqa: BLE001 - reported to the parent, never raised here
            name = type(error).__name__
            if future.status == "cancelled" or name in ("CancelledError", "FutureCancelledError"):
                message = f"Dask cancelled the task ({error})"
            else:
                message = str(error) or name
            emit({"op": "error", "key": key, "name": name, "message": message,
                  "traceback": describe_exception(error, error.__traceback__)})
        else:
            emit_raw(f'{{"op":"done","key":{json.dumps(key)},"state":{value}}}')

    async def close(self):
        if self.closing:
            return
        self.closing = True
        for run in self.runs.values():
            if run["reporter"] is not None:
                run["reporter"].cancel()
        pending = [future for future in self.futures.values() if not future.done()]
        try:
            if pending:
                await asyncio.wait_for(self.client.cancel(pending), 10)
            await asyncio.wait_for(self.client.unregister_worker_plugin(self.plugin_name), 15)
        except Exception as error:  # noqa: BLE001 - best effort: the hosts also exit when idle
            print(f"flowenv bridge: could not unregister the task host plugin: {error!r}", file=sys.stderr)
        self.runs.clear()
        self.futures.clear()
        try:
            await asyncio.wait_for(self.client.close(), 10)
        except Exception as error:  # noqa: BLE001
            print(f"flowenv bridge: closing the client failed: {error!r}", file=sys.stderr)


async def read_requests(bridge, stop):
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 30)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    try:
        while not stop.is_set():
            line = await reader.readline()
            if not line:
                break  # the parent went away
            message = json.loads(line)
            op = message.get("op")
            if op == "run":
                bridge.start_run(message)
            elif op == "submit":
                await bridge.submit(message)
            elif op == "release":
                await bridge.release(message)
            elif op == "close":
                break
    except Exception as error:  # noqa: BLE001 - a broken request stream ends the bridge, loudly
        emit({"op": "fatal", "kind": "internal", "message": describe_exception(error, error.__traceback__)})
        flush()
    finally:
        stop.set()


async def main(settings):
    import logging

    logging.getLogger("distributed").setLevel(logging.DEBUG if settings.get("debug") else logging.WARNING)
    emit({"op": "connecting", "python": PYTHON_VERSION, "distributed": distributed.__version__})
    flush()
    address = settings["address"]
    timeout = settings["connectTimeoutSeconds"]
    try:
        client = await asyncio.wait_for(
            Client(address, security=build_security(settings), asynchronous=True, timeout=timeout,
                   set_as_default=False, name="flowenv-dask-bridge"),
            timeout + 5,
        )
    except BaseException as error:  # noqa: BLE001 - every failure to connect is reported the same way
        fatal("connect-failed", f"{type(error).__name__}: {error}", 4)

    mismatched = await check_worker_pythons(client)
    if mismatched:
        await client.close()
        fatal("version-mismatch", f"this Python is {PYTHON_VERSION}, workers run {mismatched}", 5,
              python=PYTHON_VERSION, workers=mismatched)

    worker_module = load_worker_module()
    plugin_name = settings["pluginName"]
    plugin = worker_module.TaskHostPlugin(
        plugin_name, settings["workerNode"], settings["taskHostScript"], settings["hostIdleSeconds"],
        bool(settings.get("debug")),
    )
    await register_worker_plugin(client, plugin, plugin_name)

    workers = await client.nthreads()
    emit({"op": "ready", "scheduler": client.scheduler.address, "workers": len(workers),
          "python": PYTHON_VERSION, "distributed": distributed.__version__})
    flush()

    bridge = Bridge(client, plugin_name)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    requests = asyncio.ensure_future(read_requests(bridge, stop))
    await stop.wait()
    requests.cancel()
    await bridge.close()


if __name__ == "__main__":
    try:
        asyncio.run(main(json.loads(sys.argv[1])))
    except SystemExit:
        raise
    except BaseException as error:  # noqa: BLE001
        fatal("internal", describe_exception(error, error.__traceback__), 1)
    flush()
