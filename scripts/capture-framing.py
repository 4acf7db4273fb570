#!/usr/bin/env python3
"""Record real client/server byte streams for the framing unit tests.

Starts each server from Debian's packages on a loopback port (21000-21099),
puts a recording relay in front of it, runs the server's own benchmark or
client through the relay, and asks the server (or the client's own report)
how many messages it handled. Each relayed connection is written as
tests/unit/captures/<case>-<n>.rx (client to server) and .tx (server to
client); tests/unit/captures/TRUTH gets one line per case:

    <case> <proto> <rx_msgs> <tx_msgs|-> <where the numbers come from>

test_framing.c frames the captures and compares with those numbers. Rerun
this script (as root, for PostgreSQL's user switch) to refresh them; every
server it starts is stopped at the end.
"""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "unit", "captures")
TMP = tempfile.mkdtemp(prefix="st-capture-")
started = []


def wait_port(port, timeout=15.0):
    end = time.time() + timeout
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.1)
    sys.exit(f"capture: nothing listens on 127.0.0.1:{port}")


class Relay:
    """Listens on lport, forwards to uport, records each connection."""

    def __init__(self, name, lport, uport):
        self.name, self.uport, self.n = name, uport, 0
        self.threads = []
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", lport))
        self.ls.listen(16)
        self.ls.settimeout(0.2)
        self.stop = False
        self.t = threading.Thread(target=self.accept, daemon=True)
        self.t.start()

    def accept(self):
        while not self.stop:
            try:
                c, _ = self.ls.accept()
            except socket.timeout:
                continue
            self.n += 1
            u = socket.create_connection(("127.0.0.1", self.uport))
            base = os.path.join(OUT, f"{self.name}-{self.n}")
            for src, dst, ext in ((c, u, "rx"), (u, c, "tx")):
                t = threading.Thread(target=self.pump, args=(src, dst, base + "." + ext))
                t.start()
                self.threads.append(t)

    @staticmethod
    def pump(src, dst, path):
        with open(path, "wb") as f:
            while True:
                try:
                    b = src.recv(65536)
                except OSError:
                    b = b""
                if not b:
                    try:
                        dst.shutdown(socket.SHUT_WR)
                    except OSError:
                        pass
                    return
                f.write(b)
                dst.sendall(b)

    def close(self):
        self.stop = True
        self.t.join()
        for t in self.threads:
            t.join(10)
        self.ls.close()


def start(args, stderr=subprocess.DEVNULL):
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=stderr)
    started.append(p)
    return p


def run(args, **kw):
    return subprocess.run(args, check=True, capture_output=True, text=True, timeout=120, **kw).stdout


def truth(line):
    with open(os.path.join(OUT, "TRUTH"), "a") as f:
        f.write(line + "\n")
    print("capture:", line)


def redis_calls(port):
    calls = {}
    for l in run(["redis-cli", "-p", str(port), "INFO", "commandstats"]).splitlines():
        if l.startswith("cmdstat_"):
            name, rest = l[8:].split(":", 1)
            calls[name] = int(rest.split(",")[0].split("=")[1])
    return calls


def capture_redis():
    start(["redis-server", "--port", "21010", "--bind", "127.0.0.1", "--save", "",
           "--appendonly", "no", "--dir", TMP])
    wait_port(21010)
    for case, test, pipe, n in (("redis-set-p16", ["-t", "set"], 16, 320),
                                ("redis-get-p1", ["-t", "get"], 1, 50),
                                ("redis-xadd-p16", ["XADD", "mystream", "*", "myfield", "xxx"],
                                 16, 160)):
        run(["redis-cli", "-p", "21010", "CONFIG", "RESETSTAT"])
        before = redis_calls(21010)  # what the two calls above counted
        r = Relay(case, 21011, 21010)
        run(["redis-benchmark", "-p", "21011", "-c", "1", "-n", str(n), "-P", str(pipe), "-q"] +
            test)
        r.close()
        after = redis_calls(21010)
        # this INFO and the one before it are counted by the server, not relayed
        total = sum(after.values()) - sum(before.values()) - 1
        truth(f"{case} resp {total} {total} redis INFO commandstats calls, own INFO/CONFIG excluded")


def capture_mqtt():
    conf = os.path.join(TMP, "mosquitto.conf")
    with open(conf, "w") as f:
        f.write("listener 21020 127.0.0.1\nallow_anonymous true\npersistence false\n")
    start(["mosquitto", "-c", conf])
    wait_port(21020)
    for case, qos in (("mqtt-pub-qos0", "0"), ("mqtt-pub-qos1", "1")):
        r = Relay(case, 21021, 21020)
        lines = "".join(f"reading {i} {'x' * (i % 300)}\n" for i in range(100))
        subprocess.run(["mosquitto_pub", "-p", "21021", "-t", "sensors/temp", "-q", qos, "-l"],
                       input=lines, text=True, check=True, timeout=60)
        r.close()
        # CONNECT, 100 PUBLISH, DISCONNECT; CONNACK and, at QoS 1, 100 PUBACK
        rx, tx = 102, 1 + (100 if qos == "1" else 0)
        truth(f"{case} mqtt {rx} {tx} mosquitto_pub -l with 100 lines at QoS {qos}")


def capture_nats():
    start(["nats-server", "-a", "127.0.0.1", "-p", "21030", "-m", "21032"])
    wait_port(21030)
    wait_port(21032)

    def varz():
        import json
        import urllib.request
        v = json.load(urllib.request.urlopen("http://127.0.0.1:21032/varz", timeout=5))
        return v["in_msgs"], v["out_msgs"]

    in0, out0 = varz()
    r = Relay("nats-pub-sub", 21031, 21030)
    c = socket.create_connection(("127.0.0.1", 21031))
    got = b""
    while b"\r\n" not in got:
        got += c.recv(65536)
    ops = [b'CONNECT {"verbose":true,"pedantic":false,"name":"capture","lang":"python",'
           b'"version":"0.1","protocol":1,"headers":true}\r\n', b"SUB foo 1\r\n"]
    for i in range(50):
        body = b"m" * (i * 7 % 200)
        ops.append(b"PUB foo %d\r\n%s\r\n" % (len(body), body))
    for i in range(5):
        hdr = b"NATS/1.0\r\nX-Seq: %d\r\n\r\n" % i
        body = b"payload %d" % i
        ops.append(b"HPUB foo reply.%d %d %d\r\n%s%s\r\n" % (i, len(hdr), len(hdr) + len(body),
                                                          hdr, body))
    ops.append(b"PING\r\n")
    c.sendall(b"".join(ops))
    while b"PONG\r\n" not in got:
        got += c.recv(65536)
    c.close()
    r.close()
    time.sleep(0.3)
    in1, out1 = varz()
    pubs, msgs = in1 - in0, out1 - out0
    # RX: CONNECT, SUB, PING and the publishes the server counted; TX: INFO,
    # +OK for each op but PING (verbose), the deliveries it counted, PONG
    truth(f"nats-pub-sub nats {pubs + 3} {1 + pubs + 2 + msgs + 1} nats-server /varz in_msgs "
          f"{pubs}, out_msgs {msgs}; verbose client")


def capture_http():
    conf = os.path.join(TMP, "nginx.conf")
    os.makedirs(os.path.join(TMP, "www"), exist_ok=True)
    with open(os.path.join(TMP, "www", "index.html"), "w") as f:
        f.write("<html>" + "hello " * 100 + "</html>\n")
    with open(conf, "w") as f:
        f.write(f"""daemon off; pid {TMP}/nginx.pid; error_log {TMP}/error.log;
events {{}}
http {{ access_log off; client_body_temp_path {TMP}; proxy_temp_path {TMP};
  fastcgi_temp_path {TMP}; uwsgi_temp_path {TMP}; scgi_temp_path {TMP};
  server {{ listen 127.0.0.1:21040; root {TMP}/www;
    location = /status {{ stub_status; }}
    location = /upload {{ return 204; }} }} }}
""")
    start(["nginx", "-c", conf, "-e", os.path.join(TMP, "error.log")])
    wait_port(21040)

    def requests():
        s = run(["curl", "-s", "http://127.0.0.1:21040/status"])
        return int(s.split("\n")[2].split()[2])

    r0 = requests()
    r = Relay("http-curl-keepalive", 21041, 21040)
    urls = [f"http://127.0.0.1:21041/index.html?i={i}" for i in range(20)]
    run(["curl", "-s", "-o", "/dev/null"] + sum((["-o", "/dev/null", u] for u in urls[1:]), [])
        + [urls[0]])
    # a chunked upload on the same kind of connection
    run(["curl", "-s", "-o", "/dev/null", "-H", "Transfer-Encoding: chunked", "--data-binary",
         "@" + os.path.join(TMP, "www", "index.html"), "http://127.0.0.1:21041/upload"])
    r.close()
    n = requests() - r0 - 1  # the second status request is counted
    truth(f"http-curl-keepalive http1 {n} {n} nginx stub_status requests, own status requests excluded")


def capture_pg():
    if os.geteuid() != 0:
        print("capture: PostgreSQL needs root (to run the server as postgres): skipped")
        return
    data = os.path.join(TMP, "pg")
    os.makedirs(data)
    shutil.chown(TMP, "postgres")
    shutil.chown(data, "postgres")
    bindir = "/usr/lib/postgresql/15/bin"
    su = ["runuser", "-u", "postgres", "--"]
    run(su + [f"{bindir}/initdb", "-D", data, "-A", "trust", "-U", "postgres"])
    start(su + [f"{bindir}/postgres", "-D", data, "-p", "21050", "-k", TMP, "-c",
                "listen_addresses=127.0.0.1", "-c", "log_statement=all", "-c",
                "logging_collector=off", "-c", "log_destination=stderr"],
          stderr=open(os.path.join(TMP, "pg.log"), "w"))
    wait_port(21050)
    time.sleep(1)
    run(["pgbench", "-h", "127.0.0.1", "-p", "21050", "-U", "postgres", "-i", "-s", "1", "-q",
         "postgres"])
    logf = os.path.join(TMP, "pg.log")
    for case, mode in (("pg-pgbench-simple", "simple"), ("pg-pgbench-extended", "extended")):
        time.sleep(0.5)
        at = os.path.getsize(logf)
        r = Relay(case, 21051, 21050)
        run(["pgbench", "-h", "127.0.0.1", "-p", "21051", "-U", "postgres", "-n", "-c", "1",
             "-t", "20", "-M", mode, "postgres"])
        r.close()
        time.sleep(0.5)
        with open(logf) as f:
            f.seek(at)
            logged = [l for l in f if "LOG:  statement: " in l or "LOG:  execute " in l]
        # Every statement the server ran (its log, log_statement=all) is one
        # unit; each connection adds SSLRequest (libpq's sslmode=prefer),
        # startup and Terminate on RX, and the 'N' answer and the
        # ReadyForQuery after authentication on TX.
        st = len(logged)
        truth(f"{case} postgres {st + 3 * r.n} {st + 2 * r.n} server log: {st} statements "
              f"on {r.n} connections (pgbench -t 20 -M {mode})")


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        os.remove(os.path.join(OUT, f))
    try:
        capture_redis()
        capture_mqtt()
        capture_nats()
        capture_http()
        capture_pg()
    finally:
        for p in started:
            p.send_signal(signal.SIGTERM)
        for p in started:
            try:
                p.wait(10)
            except subprocess.TimeoutExpired:
                p.kill()
        shutil.rmtree(TMP, ignore_errors=True)


if __name__ == "__main__":
    main()
