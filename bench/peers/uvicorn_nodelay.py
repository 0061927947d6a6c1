"""uvicorn with TCP_NODELAY on every accepted connection.

uvicorn 0.17 leaves Nagle on for the connections its --workers N children
accept (the listening socket is created by the supervisor and handed
over), which with wrk's pipelined keep-alive requests adds delayed-ACK
stalls: ~680 requests/s with 2 workers against ~900 with 1.  This wrapper
keeps uvicorn's own supervisor and shared listening socket (exactly what
`uvicorn --workers 2` does) and only sets TCP_NODELAY in connection_made,
as uvicorn 0.17 does itself for a single worker.  The patch runs at import,
so the spawned workers (multiprocessing "spawn" re-imports this file as
__mp_main__) get it too.

    python3 bench/peers/uvicorn_nodelay.py [uvicorn options] APP
"""
import socket

from uvicorn.protocols.http import h11_impl, httptools_impl


def _nodelay(cls):
    made = cls.connection_made

    def connection_made(self, transport):
        sock = transport.get_extra_info("socket")
        if sock is not None and sock.family in (socket.AF_INET, socket.AF_INET6):
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return made(self, transport)

    cls.connection_made = connection_made


_nodelay(h11_impl.H11Protocol)
_nodelay(httptools_impl.HttpToolsProtocol)

if __name__ == "__main__":
    from uvicorn.main import main

    main()
