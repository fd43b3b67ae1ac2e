"""The HTTP server and command line of tide-sim.

One ThreadingHTTPServer on 127.0.0.1 serves every simulated service; the
path prefix picks the service.  Each request: read the body, apply the
configured latency, consume a matching fault rule if any, check the token,
then run the service handler under the state lock.
"""

import argparse
import signal
import sys
import time
import traceback
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from . import admin, auth, bss, hwinv, k8s_api, locks, pcs, redfish, site, smd
from .state import Config, Log, State
from .web import Abort, Request, Router, problem, text_response


def build_routers():
    routers = []

    def router(prefixes, error, *modules):
        r = Router(prefixes, error)
        for module in modules:
            module.register(r)
        routers.append(r)

    def problem_error(status, detail, headers):
        return problem(status, detail, headers)

    router(("/hsm/v2",), problem_error, smd, hwinv, locks)
    router(("/boot/v1",), problem_error, bss)
    router(("/power-control/v1",), problem_error, pcs)
    router(("/redfish/v1",), redfish.router_error, redfish)
    router(("/api", "/apis", "/version"), k8s_api.router_error, k8s_api)
    router(("/sim",), problem_error, admin)
    return routers


class App:
    def __init__(self, state):
        self.state = state
        self.routers = build_routers()

    def respond(self, req):
        st = self.state
        if st.config.latency_ms:
            time.sleep(st.config.latency_ms / 1000.0)
        with st.lock:
            fault = st.faults.take(req.method, req.path)
        if fault:
            time.sleep(fault.delay_ms / 1000.0)
            if not fault.passes:
                return fault.response()
        if auth.is_token_path(req.path):
            return auth.token_endpoint(st, req)
        denied = auth.check(st, req)
        if denied:
            return denied
        for router in self.routers:
            if router.claims(req.path):
                return self._dispatch(router, req)
        return text_response(404, "404 page not found\n")

    def _dispatch(self, router, req):
        st = self.state
        with st.lock:
            try:
                return router.dispatch(st, req)
            except Abort as abort:
                return abort.response
            except Exception:
                st.log.line("tide-sim: handler failed:\n" + traceback.format_exc())
                return problem(500, "tide-sim internal error")


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive
    # Headers and body go out in separate writes; with Nagle on, the second waits for the
    # client's delayed ACK (~40 ms) on every reused connection.
    disable_nagle_algorithm = True

    def version_string(self):
        return "tide-sim"

    def log_message(self, *args):
        pass  # one line per request is written by _handle instead

    def _read_body(self):
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            data = b""
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return data
                data += self.rfile.read(size)
                self.rfile.readline()
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length else b""

    def _handle(self):
        app = self.server.app
        st = app.state
        req = Request(self.command, self.path, self.headers, self._read_body())
        resp = app.respond(req)
        st.log.line("%s %s %d" % (req.method, req.target, resp.status))
        if not req.path.startswith("/sim/"):
            st.requests.append({"method": req.method, "target": req.target,
                                "status": resp.status, "contentType": req.content_type,
                                "body": req.body[:65536].decode("utf-8", "replace")})
        if resp.drop:
            self.close_connection = True
            return
        self.send_response(resp.status)
        for name, value in resp.headers.items():
            self.send_header(name, value)
        if resp.status not in (204, 304):
            self.send_header("Content-Length", str(len(resp.body)))
        self.end_headers()
        if resp.status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(resp.body)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = do_OPTIONS = _handle


class Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open many connections at once


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="tide-sim", description="Simulated OpenCHAMI/CSM site (SMD, BSS, PCS, "
        "Redfish, Kubernetes) for testing tide.")
    parser.add_argument("--port", type=int, required=True, help="TCP port; 0 picks a free one")
    parser.add_argument("--site", help="site file (JSON) to load at start")
    parser.add_argument("--token", help="require 'Authorization: Bearer TOKEN'")
    parser.add_argument("--auth-mode", choices=("openchami", "gateway"), default="openchami",
                        help="which paths need the token: as the OpenCHAMI services "
                             "(default) or all of them, as the CSM API gateway")
    parser.add_argument("--boot-delay", type=float, default=1.0,
                        help="seconds from power-on/kexec to a booted node (default 1)")
    parser.add_argument("--latency", type=float, default=0, metavar="MS",
                        help="delay added to every request, in milliseconds")
    parser.add_argument("--hook", metavar="CMD",
                        help="run 'CMD <xname> <event> <image>' on power-on, power-off, boot")
    parser.add_argument("--log", metavar="FILE", help="log file (default: stderr)")
    return parser.parse_args(argv)


def main(argv=None):
    args = parse_args(sys.argv[1:] if argv is None else argv)
    config = Config(token=args.token, boot_delay=args.boot_delay, hook=args.hook,
                    latency_ms=args.latency, auth_mode=args.auth_mode)
    log = Log(args.log)
    state = State(config, log)
    if args.site:
        started = time.time()
        try:
            site.load_file(state, args.site)
        except (OSError, ValueError, site.SiteError) as err:
            print("tide-sim: cannot load site %s: %s" % (args.site, err), file=sys.stderr)
            return 2
        log.line("tide-sim: loaded %s: %d components, %d hardware entries, %d groups in "
                 "%.2fs" % (args.site, len(state.smd.components), len(state.hw.entries),
                            len(state.smd.groups), time.time() - started))
    server = Server(("127.0.0.1", args.port), Handler)
    server.app = App(state)
    port = server.server_address[1]
    config.base_url = "http://127.0.0.1:%d" % port
    state.start()
    # SIGTERM ends serve_forever cleanly, so the log is complete.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    ready = "tide-sim: listening on 127.0.0.1:%d" % port
    print(ready, file=sys.stderr, flush=True)
    if args.log:
        log.line(ready)
    try:
        server.serve_forever()
    except (KeyboardInterrupt, SystemExit):
        pass
    finally:
        server.server_close()
    return 0
