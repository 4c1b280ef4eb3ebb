"""A fault-injecting TCP proxy between the code under test and RabbitMQ (toxiproxy's job, in-process).

nameko's own test-suite puts toxiproxy in front of the broker; there is no toxiproxy binary here,
so this is a small one the tests start on a free port:

    proxy = FaultProxy(("127.0.0.1", 5672)).start()
    config = {**service_config, "AMQP_URI": proxy.uri_for(service_config["AMQP_URI"])}  # same vhost
    proxy.reset()              # cut every open connection now (TCP RST both ways)
    proxy.down(); proxy.up()   # a broker restart: cut everything, refuse new connections meanwhile
    proxy.set_latency(0.2)     # every chunk, either way, arrives 200 ms late
    proxy.cut_after(5000)      # the first connection to pass 5000 more bytes upstream is cut
                               # exactly there, mid-frame (once; arm it again for another cut)
    proxy.stall(); proxy.unstall()  # a frozen broker or a partition: connections stay open and
                               # new ones are accepted, but nothing passes either way meanwhile
    proxy.blackhole()          # every connection open now goes silent for good (half-open after
                               # a partition: no reset ever comes); new connections work

It runs in a real OS thread with the unpatched socket/select modules, so it keeps forwarding
whatever the green threads of the process under test are doing (and eventlet's monkey-patching
cannot turn its blocking calls into green ones). Writes never block: each direction of each
connection has its own queue of delayed chunks. The controls return once the proxy thread has
carried them out. While down, the port stays bound (nothing else can take it): a new connection
is accepted and reset at once, which a client sees as the broker refusing it.
"""
from __future__ import annotations

import struct
import time
import traceback
from collections import deque
from urllib.parse import urlparse, urlunparse

import eventlet.patcher

_socket = eventlet.patcher.original("socket")
_select = eventlet.patcher.original("select")
_threading = eventlet.patcher.original("threading")
_time = eventlet.patcher.original("time")

CHUNK = 65536
MAX_BUFFERED = 4 * 1024 * 1024  # per direction: stop reading from a side whose peer is not keeping up
UPSTREAM = "upstream"           # client → broker
DOWNSTREAM = "downstream"       # broker → client


def _abort(sock) -> None:
    """Close with a TCP reset, as a dying broker or a broken network does."""
    try:
        sock.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    try:
        sock.close()
    except OSError:
        pass


class _Flow:
    """One direction of one proxied connection."""

    def __init__(self, src, dst, direction: str):
        self.src, self.dst, self.direction = src, dst, direction
        self.pending: deque[list] = deque()  # [due, bytes] in arrival order
        self.buffered = 0
        self.eof = False          # src sent FIN: pass it on once pending is written
        self.shut = False
        self.since_armed = 0      # bytes read since cut_after was armed
        self.cut_when_flushed = False

    def push(self, due: float, data: bytes) -> None:
        if self.pending:
            due = max(due, self.pending[-1][0])  # latency never reorders a stream
        self.pending.append([due, data])
        self.buffered += len(data)


class _Pair:
    def __init__(self, client, upstream):
        self.client, self.upstream = client, upstream
        self.up = _Flow(client, upstream, UPSTREAM)
        self.down = _Flow(upstream, client, DOWNSTREAM)
        self.closed = False
        self.silent = False  # black-holed: open, but nothing passes either way, ever

    def flows(self):
        return self.up, self.down


class FaultProxy:
    def __init__(self, upstream: tuple[str, int] = ("127.0.0.1", 5672), host: str = "127.0.0.1"):
        self.upstream = upstream
        self.host = host
        self.port: int | None = None
        # what happened, for the tests' summaries
        self.accepted = 0
        self.refused = 0
        self.cuts = 0             # connections cut by a fault (reset, down, cut_after)
        self.bytes = {UPSTREAM: 0, DOWNSTREAM: 0}
        # faults in force
        self.latency = 0.0
        self.is_down = False
        self.stalled = False
        self._armed: tuple[str, int] | None = None
        self._pairs: list[_Pair] = []
        self._by_fd: dict[int, tuple[_Pair, object]] = {}
        self._commands: deque = deque()
        self._command_lock = _threading.Lock()
        self._running = False
        self._thread = None

    # --- lifecycle ---------------------------------------------------------------------------

    def start(self) -> FaultProxy:
        self._listener = _socket.socket(_socket.AF_INET, _socket.SOCK_STREAM)
        self._listener.setsockopt(_socket.SOL_SOCKET, _socket.SO_REUSEADDR, 1)
        self._listener.bind((self.host, 0))
        self._listener.listen(128)
        self._listener.setblocking(False)
        self.port = self._listener.getsockname()[1]
        self._wake_r, self._wake_w = _socket.socketpair()
        self._wake_r.setblocking(False)
        self._running = True
        self._thread = _threading.Thread(target=self._serve, name=f"fault-proxy-{self.port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if not self._running:
            return
        self._call(self._stop)
        self._thread.join(5)
        for sock in (self._listener, self._wake_r, self._wake_w):
            sock.close()

    def __enter__(self) -> FaultProxy:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    def uri_for(self, amqp_uri: str) -> str:
        """`amqp_uri` (credentials, vhost and all) with the proxy in place of the broker."""
        parts = urlparse(amqp_uri)
        credentials = parts.netloc.rpartition("@")[0]
        netloc = f"{credentials}@{self.host}:{self.port}" if credentials else f"{self.host}:{self.port}"
        return urlunparse(parts._replace(netloc=netloc))

    # --- faults ------------------------------------------------------------------------------

    def reset(self) -> int:
        """Cut every open connection now (RST to both ends); returns how many were cut."""
        return self._call(self._cut_all)

    def down(self) -> int:
        """The broker goes away: every open connection is cut and new ones are refused until up()."""
        def go_down():
            self.is_down = True
            return self._cut_all()
        return self._call(go_down)

    def up(self) -> None:
        def go_up():
            self.is_down = False
        self._call(go_up)

    def stall(self) -> None:
        """Stop forwarding anything, either way, without closing anything (toxiproxy's `timeout`
        toxic with no timeout): what was read stays queued, the rest waits in the sockets."""
        def apply():
            self.stalled = True
        self._call(apply)

    def unstall(self) -> None:
        def apply():
            self.stalled = False
        self._call(apply)

    def blackhole(self) -> int:
        """Every connection open now stays open but passes nothing more, either way, for good;
        returns how many. New connections are unaffected."""
        def apply():
            for pair in self._pairs:
                pair.silent = True
            return len(self._pairs)
        return self._call(apply)

    def set_latency(self, seconds: float) -> None:
        """Delay every chunk read from now on, in both directions, by `seconds` (0 removes it)."""
        def apply():
            self.latency = seconds
        self._call(apply)

    def cut_after(self, nbytes: int, direction: str = UPSTREAM) -> None:
        """Arm a one-shot cut: the first connection to carry `nbytes` more bytes in `direction`
        forwards exactly those bytes (typically ending inside a frame) and is then cut."""
        if direction not in (UPSTREAM, DOWNSTREAM):
            raise ValueError(direction)

        def arm():
            self._armed = (direction, nbytes)
            for pair in self._pairs:
                for flow in pair.flows():
                    flow.since_armed = 0
        self._call(arm)

    @property
    def armed(self) -> bool:
        return self._armed is not None

    @property
    def open_connections(self) -> int:
        return len(self._pairs)

    # --- the proxy thread --------------------------------------------------------------------

    def _call(self, fn):
        """Run `fn` in the proxy thread and return its result. Waits with time.sleep, which is
        green under eventlet, so the process under test keeps running meanwhile."""
        done: list = []
        with self._command_lock:
            self._commands.append((fn, done))
        try:
            self._wake_w.send(b"x")
        except OSError:
            pass
        deadline = time.monotonic() + 10
        while not done:
            if time.monotonic() > deadline:
                raise RuntimeError("the fault proxy did not answer")
            time.sleep(0.001)
        result, error = done[0]
        if error is not None:
            raise error
        return result

    def _stop(self):
        self._cut_all(count=False)
        self._running = False

    def _serve(self) -> None:
        while self._running:
            try:
                self._turn()
            except Exception:  # noqa: BLE001 - the proxy must outlive any one broken socket
                traceback.print_exc()

    def _turn(self) -> None:
        poller = _select.poll()
        poller.register(self._wake_r, _select.POLLIN)
        poller.register(self._listener, _select.POLLIN)
        now = _time.monotonic()
        next_due = None
        interest: dict[int, int] = {}
        for pair in [] if self.stalled else self._pairs:
            if pair.silent:
                continue
            for flow in pair.flows():
                if not flow.eof and not flow.cut_when_flushed and flow.buffered < MAX_BUFFERED:
                    interest[flow.src.fileno()] = interest.get(flow.src.fileno(), 0) | _select.POLLIN
                if flow.pending:
                    due = flow.pending[0][0]
                    if due <= now:
                        interest[flow.dst.fileno()] = interest.get(flow.dst.fileno(), 0) | _select.POLLOUT
                    else:
                        next_due = due if next_due is None else min(next_due, due)
        for fd, mask in interest.items():
            poller.register(fd, mask)
        timeout_ms = None if next_due is None else max(0, int((next_due - now) * 1000) + 1)
        events = poller.poll(timeout_ms)
        for fd, mask in events:
            if fd == self._wake_r.fileno():
                self._run_commands()
            elif fd == self._listener.fileno():
                self._accept()
            else:
                entry = self._by_fd.get(fd)
                if entry is None:
                    continue
                pair, sock = entry
                if pair.closed:
                    continue
                if mask & (_select.POLLIN | _select.POLLHUP | _select.POLLERR):
                    self._read(pair, sock)
                if not pair.closed and mask & _select.POLLOUT:
                    self._write(pair, sock)
        # chunks whose latency expired while nothing was polled
        now = _time.monotonic()
        for pair in [] if self.stalled else list(self._pairs):
            for flow in [] if pair.silent else pair.flows():
                if not pair.closed and flow.pending and flow.pending[0][0] <= now:
                    self._write(pair, flow.dst)

    def _run_commands(self) -> None:
        try:
            while self._wake_r.recv(4096):
                pass
        except BlockingIOError:
            pass
        while True:
            with self._command_lock:
                if not self._commands:
                    return
                fn, done = self._commands.popleft()
            try:
                done.append((fn(), None))
            except Exception as exc:  # noqa: BLE001 - handed back to the caller
                done.append((None, exc))

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._listener.accept()
            except (BlockingIOError, InterruptedError):
                return
            if self.is_down:
                self.refused += 1
                _abort(client)
                continue
            try:
                upstream = _socket.create_connection(self.upstream, timeout=5)
            except OSError:
                self.refused += 1
                _abort(client)
                continue
            for sock in (client, upstream):
                sock.setblocking(False)
                sock.setsockopt(_socket.IPPROTO_TCP, _socket.TCP_NODELAY, 1)
            pair = _Pair(client, upstream)
            self._pairs.append(pair)
            self._by_fd[client.fileno()] = (pair, client)
            self._by_fd[upstream.fileno()] = (pair, upstream)
            self.accepted += 1

    def _read(self, pair: _Pair, sock) -> None:
        flow = pair.up if sock is pair.client else pair.down
        if flow.eof:
            return
        try:
            data = sock.recv(CHUNK)
        except (BlockingIOError, InterruptedError):
            return
        except OSError:
            self._close(pair, abort=True)
            return
        if not data:
            flow.eof = True
            self._maybe_finish(pair)
            return
        armed = self._armed
        if armed is not None and armed[0] == flow.direction and flow.since_armed + len(data) >= armed[1]:
            data = data[:armed[1] - flow.since_armed]
            flow.cut_when_flushed = True
            self._armed = None
        flow.since_armed += len(data)
        self.bytes[flow.direction] += len(data)
        flow.push(_time.monotonic() + self.latency, data)
        if flow.cut_when_flushed and not data:
            self._close(pair, abort=True, fault=True)

    def _write(self, pair: _Pair, sock) -> None:
        flow = pair.up if sock is pair.upstream else pair.down
        now = _time.monotonic()
        while flow.pending and flow.pending[0][0] <= now:
            due, data = flow.pending[0]
            try:
                sent = sock.send(data)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:
                self._close(pair, abort=True)
                return
            flow.buffered -= sent
            if sent < len(data):
                flow.pending[0][1] = data[sent:]
                return
            flow.pending.popleft()
        if not flow.pending and flow.cut_when_flushed:
            self._close(pair, abort=True, fault=True)
            return
        self._maybe_finish(pair)

    def _maybe_finish(self, pair: _Pair) -> None:
        """Pass a FIN on once everything before it was written; close when both ways are done."""
        for flow in pair.flows():
            if flow.eof and not flow.pending and not flow.shut:
                flow.shut = True
                try:
                    flow.dst.shutdown(_socket.SHUT_WR)
                except OSError:
                    pass
        if pair.up.shut and pair.down.shut:
            self._close(pair, abort=False)

    def _close(self, pair: _Pair, abort: bool, fault: bool = False) -> None:
        if pair.closed:
            return
        pair.closed = True
        for sock in (pair.client, pair.upstream):
            self._by_fd.pop(sock.fileno(), None)
            if abort:
                _abort(sock)
            else:
                sock.close()
        self._pairs.remove(pair)
        if fault:
            self.cuts += 1

    def _cut_all(self, count: bool = True) -> int:
        cut = 0
        for pair in list(self._pairs):
            self._close(pair, abort=True, fault=count)
            cut += 1
        return cut
