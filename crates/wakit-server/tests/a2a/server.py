"""A real A2A agent built with the official Python SDK (a2a-sdk, pinned in
requirements.txt): an echo agent that remembers each context's messages.

Usage: server.py MODE, MODE = "v1" (A2A 1.0 only: `SendMessage`) or "compat"
(1.0 with the SDK's v0.3 compatibility: `message/send` too). Answers each message with a
completed task whose artifact says `Echo #N: <text>` (N counts the context's messages). It
listens on a port of its own choosing (bound before it says so: no other process can take
it in between), prints `{"ready": URL}`, then every request's method, contextId and metadata
as one JSON line to stdout."""

import json
import socket
import sys

import uvicorn
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware

from a2a.helpers.proto_helpers import new_text_artifact, new_task_from_user_message
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes.jsonrpc_routes import create_jsonrpc_routes
from a2a.server.tasks import InMemoryTaskStore, TaskUpdater
from a2a.types import a2a_pb2 as pb

seen: dict[str, int] = {}


class Echo(AgentExecutor):
    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task or new_task_from_user_message(context.message)
        await event_queue.enqueue_event(task)
        n = seen.get(task.context_id, 0) + 1
        seen[task.context_id] = n
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        artifact = new_text_artifact(name="answer", text=f"Echo #{n}: {context.get_user_input()}")
        await updater.add_artifact(list(artifact.parts), name="answer")
        await updater.complete()

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        raise NotImplementedError


class Log(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        body = await request.body()
        try:
            rpc = json.loads(body)
            params = rpc.get("params", {})
            line = {
                "method": rpc.get("method"),
                "context_id": params.get("message", {}).get("contextId"),
                "metadata": params.get("metadata"),
                "authorization": request.headers.get("authorization"),
                "version": request.headers.get("a2a-version"),
            }
            print(json.dumps(line), flush=True)
        except ValueError:
            pass
        return await call_next(request)


def main() -> None:
    mode = sys.argv[1]
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    url = f"http://127.0.0.1:{port}/"
    card = pb.AgentCard(
        name="echo",
        description="Echoes what it is told",
        version="1.0",
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain"],
    )
    card.capabilities.streaming = False
    card.skills.add(id="echo", name="echo", description="Echoes", tags=["echo"])
    card.supported_interfaces.add(url=url, protocol_binding="JSONRPC", protocol_version="1.0")
    handler = DefaultRequestHandler(
        agent_executor=Echo(), task_store=InMemoryTaskStore(), agent_card=card
    )
    routes = create_jsonrpc_routes(handler, "/", enable_v0_3_compat=(mode == "compat"))
    app = Starlette(routes=routes)
    app.add_middleware(Log)
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning"))
    print(json.dumps({"ready": url}), flush=True)
    server.run(sockets=[sock])


if __name__ == "__main__":
    main()
