"""The worker-side half of @flowenv/dask: runs inside Dask worker processes.

The bridge loads this file as a module that is *not* in sys.modules, so Dask's pickling can only
ship it by value (cloudpickle): workers need no extra Python package, only `distributed`, Node and
the flow code. Because code objects travel as bytecode, the bridge and the workers must run the
same Python minor version (Dask requires matching versions anyway).

Each Dask task is `eval` of a one-line expression (see flowenv_dask_bridge.DISPATCH) that calls
`TaskHostPlugin.run` on the worker: the plugin's code travels once, when it is registered, and a
task carries no code object at all, which keeps Dask's per-task cost that of a plain Python task.

`TaskHostPlugin` keeps one long-lived Node task host per worker thread (a host runs one task at a
time, and a worker thread runs one task at a time). Hosts start on the first task, are reused, and
are closed when the plugin is torn down (the executor closed), when the worker stops, or after
sitting idle for `idle_seconds` (so nothing is left behind even if the bridge was killed).

Protocol with a host: one JSON request per line on its stdin; the answer on the file descriptor
named by --response-fd, as `<id>\\t<TaskState JSON>\\n`. The host's stdout and stderr are the
worker's, so what a task prints lands in the worker log and can never corrupt the protocol.
Python never parses user values: upstream states and the run description are JSON texts produced
by Node, spliced into the request line as they are.
"""

import asyncio
import json
import os
import signal
import subprocess
import threading
import time

from distributed import WorkerPlugin, get_worker


def _exit_description(code):
    if code is not None and code < 0:
        try:
            return f"was killed by {signal.Signals(-code).name}"
        except ValueError:
            return f"was killed by signal {-code}"
    return f"exited with code {code}"


def _failed_state(message, exit_code, started_at):
    now = int(time.time() * 1000)
    error = {"name": "TaskHostExited", "message": message}
    if exit_code is not None:
        error["exitCode"] = exit_code
    return json.dumps(
        {"state": "Failed", "attempts": 1, "message": message, "error": error,
         "startedAt": started_at, "finishedAt": now}
    )


class _TaskHost:
    """One `node task-host.js` process, used by one worker thread at a time."""

    def __init__(self, node, script, debug):
        read_fd, write_fd = os.pipe()
        try:
            argv = [node, script, f"--response-fd={write_fd}"]
            if debug:
                argv.append("--debug")
            self.process = subprocess.Popen(
                argv, stdin=subprocess.PIPE, stdout=None, stderr=None, pass_fds=(write_fd,), bufsize=0
            )
        except BaseException:
            os.close(read_fd)
            raise
        finally:
            os.close(write_fd)
        self.responses = os.fdopen(read_fd, "rb")
        self.lock = threading.Lock()
        self.closed = False
        self.last_used = time.monotonic()
        self.next_id = 0

    def call(self, task_name, request_tail):
        """Runs one task; returns its TaskState JSON text (a Failed state if the host died)."""
        started_at = int(time.time() * 1000)
        self.next_id += 1
        request_id = self.next_id
        line = f'{{"id":{request_id},{request_tail}}}\n'.encode()
        try:
            self.process.stdin.write(line)
            answer = self.responses.readline()
        except (BrokenPipeError, OSError):
            answer = b""
        self.last_used = time.monotonic()
        if not answer:
            self.closed = True
            code = self._wait_exit()
            self._release_pipes()
            message = f'The Node task host {_exit_description(code)} while running task "{task_name}"'
            return _failed_state(message, code, started_at)
        tab = answer.index(b"\t")
        if int(answer[:tab]) != request_id:
            raise RuntimeError(f"task host answered request {answer[:tab]!r}, expected {request_id}")
        return answer[tab + 1:].rstrip(b"\n").decode()

    def _wait_exit(self):
        try:
            return self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            return self.process.wait()

    def _release_pipes(self):
        for stream in (self.process.stdin, self.responses):
            try:
                stream.close()
            except OSError:
                pass

    def begin_close(self):
        """Asks the host to exit: it finishes the task in hand, then sees EOF on stdin."""
        self.closed = True
        try:
            self.process.stdin.close()
        except OSError:
            pass

    def finish_close(self, deadline):
        remaining = max(0.0, deadline - time.monotonic())
        try:
            self.process.wait(timeout=remaining)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self._release_pipes()


class TaskHostPlugin(WorkerPlugin):
    """Registered once per executor under a unique name; every current and future worker gets it."""

    def __init__(self, name, node, script, idle_seconds, debug):
        self.name = name
        self.node = node
        self.script = script
        self.idle_seconds = idle_seconds
        self.debug = debug

    def setup(self, worker):
        self._hosts = {}
        self._hosts_lock = threading.Lock()
        self._stopped = threading.Event()
        reaper = threading.Thread(target=self._reap_idle_hosts, name=f"{self.name}-reaper", daemon=True)
        reaper.start()

    async def teardown(self, worker):
        self._stopped.set()
        with self._hosts_lock:
            hosts = list(self._hosts.values())
            self._hosts.clear()
        for host in hosts:
            host.begin_close()
        deadline = time.monotonic() + 5
        await asyncio.get_running_loop().run_in_executor(
            None, lambda: [host.finish_close(deadline) for host in hosts]
        )

    def run(self, task_name, run_text, argument_names, upstream_states):
        """Runs one flowenv task in this thread's host and returns its TaskState JSON text. Dask
        has already replaced the upstream futures by their TaskState JSON texts."""
        upstream = ",".join(
            f"{json.dumps(name)}:{state}" for name, state in zip(argument_names, upstream_states)
        )
        request_tail = f'"task":{json.dumps(task_name)},"run":{run_text},"upstream":{{{upstream}}}'
        thread = threading.get_ident()
        while True:
            with self._hosts_lock:
                if self._stopped.is_set():
                    raise RuntimeError("the flowenv task host plugin was torn down (the executor closed)")
                host = self._hosts.get(thread)
                if host is None or host.closed:
                    host = self._hosts[thread] = _TaskHost(self.node, self.script, self.debug)
            with host.lock:
                if not host.closed:  # else: reaped between the lookup and the lock, start a fresh one
                    return host.call(task_name, request_tail)

    def _reap_idle_hosts(self):
        interval = max(0.5, min(5.0, self.idle_seconds / 4))
        while not self._stopped.wait(interval):
            now = time.monotonic()
            with self._hosts_lock:
                candidates = list(self._hosts.items())
            for thread, host in candidates:
                if host.closed or now - host.last_used < self.idle_seconds:
                    continue
                if not host.lock.acquire(blocking=False):
                    continue  # running a task
                try:
                    if now - host.last_used >= self.idle_seconds:
                        host.begin_close()
                        with self._hosts_lock:
                            if self._hosts.get(thread) is host:
                                del self._hosts[thread]
                finally:
                    host.lock.release()
                host.finish_close(time.monotonic() + 5)
