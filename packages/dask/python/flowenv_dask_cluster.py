"""The Python half of LocalDaskCluster: a child process that runs `distributed.LocalCluster` on
127.0.0.1 (the scheduler in this process, each worker in a process of its own, under a nanny) and
speaks JSON lines with its parent. Start: `python flowenv_dask_cluster.py '<settings JSON>'`.

parent -> manager   {"op":"scale","id":I,"workers":N}   {"op":"adapt","id":I,"minimum":A,"maximum":B}
                    {"op":"workers","id":I}             {"op":"close"}
manager -> parent   {"op":"ready","address":A,"workers":[…]}   {"op":"reply","id":I,"workers":[…]}
                    {"op":"failed","id":I,"message":M}  {"op":"fatal","kind":K,"message":M,...}
A worker is {"name":…,"address":…,"pid":…} (pid: the worker process, not its nanny).

End of input (the parent died, however it died) or SIGTERM closes the cluster. If this process is
killed outright, each worker process notices that its parent is gone and exits (distributed does
that for processes it starts), so nothing outlives the cluster either way.
"""

import asyncio
import json
import logging
import os
import signal
import sys
import traceback


def main():
    protocol = os.fdopen(os.dup(1), "w", encoding="utf-8")
    # Nothing else may write to the protocol: not a stray print(), and not the worker processes
    # (and their task hosts), which inherit fd 1.
    os.dup2(2, 1)
    sys.stdout = sys.stderr

    def emit(message):
        protocol.write(json.dumps(message) + "\n")
        protocol.flush()

    try:
        from distributed import LocalCluster
        from distributed.security import Security
    except ImportError as error:
        emit({"op": "fatal", "kind": "missing-module", "message": str(error),
              "module": (error.name or "distributed").split(".")[0]})
        sys.exit(3)

    settings = json.loads(sys.argv[1])

    def security():
        tls = settings.get("security")
        if not tls:
            return None
        ca, cert, key = tls["caFile"], tls["certFile"], tls["keyFile"]
        # One certificate for every role, as `dask scheduler/worker --tls-cert` does.
        return Security(
            tls_ca_file=ca,
            tls_scheduler_cert=cert, tls_scheduler_key=key,
            tls_worker_cert=cert, tls_worker_key=key,
            tls_client_cert=cert, tls_client_key=key,
            require_encryption=bool(tls.get("requireEncryption", True)),
        )

    def describe_workers(cluster):
        workers = []
        for name, nanny in cluster.workers.items():
            process = getattr(getattr(nanny, "process", None), "process", None)
            workers.append({
                "name": str(name),
                "address": getattr(nanny, "worker_address", None),
                "pid": getattr(process, "pid", None),
            })
        return workers

    async def run():
        level = logging.DEBUG if settings.get("debug") else logging.WARNING
        tls = security()
        try:
            cluster = await LocalCluster(
                n_workers=settings["workers"],
                threads_per_worker=settings["threadsPerWorker"],
                processes=True,
                host=settings.get("host", "127.0.0.1"),
                scheduler_port=settings.get("schedulerPort", 0),
                dashboard_address=None,
                worker_dashboard_address=None,
                silence_logs=level,
                asynchronous=True,
                security=tls,
                protocol="tls://" if tls else "tcp://",
            )
        except Exception as error:  # noqa: BLE001 - reported to the parent
            emit({"op": "fatal", "kind": "start-failed", "message": "".join(traceback.format_exception(error))})
            sys.exit(4)

        emit({"op": "ready", "address": cluster.scheduler_address, "workers": describe_workers(cluster)})
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(signal_number, stop.set)

        async def handle(message):
            op = message.get("op")
            try:
                if op == "scale":
                    cluster.scale(message["workers"])
                    await cluster  # waits until the worker processes match the new spec
                elif op == "adapt":
                    cluster.adapt(minimum=message["minimum"], maximum=message["maximum"])
                emit({"op": "reply", "id": message.get("id"), "workers": describe_workers(cluster)})
            except Exception as error:  # noqa: BLE001
                emit({"op": "failed", "id": message.get("id"), "message": f"{type(error).__name__}: {error}"})

        async def read_requests():
            reader = asyncio.StreamReader(limit=1 << 24)
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
            try:
                while True:
                    line = await reader.readline()
                    if not line:
                        break
                    message = json.loads(line)
                    if message.get("op") == "close":
                        break
                    await handle(message)
            finally:
                stop.set()

        requests = asyncio.ensure_future(read_requests())
        await stop.wait()
        requests.cancel()
        try:
            await asyncio.wait_for(cluster.close(), 30)
        except Exception as error:  # noqa: BLE001
            print(f"flowenv LocalDaskCluster: close failed: {error!r}", file=sys.stderr)

    asyncio.run(run())


if __name__ == "__main__":
    main()
