#!/usr/bin/python3 -I
"""pytess: an ocrbox OCR engine plugin written in Python.

It shows that an engine plugin need not be written in Go: ocrbox starts it
with hashicorp/go-plugin, and it answers with the plugin contract in
plugins/sdk/proto/ocrbox.proto over gRPC, using Debian's python3-grpcio and
python3-protobuf. The engine is the `tesseract` command line program, run
once per page with its TSV output (words, boxes, confidences) - a different
route to the same OCR than ocrbox's built-in engine, which links libtesseract.

ocrbox starts this file; run by hand it only explains itself. To check it:

    ocrbox plugin check /path/to/plugin.py

See README.md beside this file for the handshake and the configuration.
"""

import os
import sys

# The generated protobuf/gRPC modules live beside this file. -I in the
# shebang keeps out PYTHON* variables, the user's site-packages and the
# current directory; the directory of this file is put back explicitly.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.realpath(__file__)))

import difflib  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import signal  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402
import zlib  # noqa: E402
from concurrent import futures  # noqa: E402
from datetime import datetime, timezone  # noqa: E402

PLUGIN_VERSION = "0.1.0"

# go-plugin handshake (plugins/sdk/sdk.go Handshake): the host sets the
# cookie in the environment; core protocol 1 is go-plugin's own, app
# protocol 1 is sdk.ProtocolVersion.
MAGIC_COOKIE_KEY = "OCRBOX_PLUGIN"
MAGIC_COOKIE_VALUE = "9d3c1f7e-ocrbox-plugin-handshake-5b2a"
CORE_PROTOCOL_VERSION = 1
APP_PROTOCOL_VERSION = 1

# sdk.MaxMessageBytes: one page image or response, each way.
MAX_MESSAGE_BYTES = 256 << 20

OUTPUTS = ["txt", "hocr", "json"]  # the host builds hOCR and JSON from words
IMAGE_TYPES = ["image/png", "image/jpeg", "image/tiff", "image/bmp", "image/gif",
               "image/webp", "image/x-portable-anymap"]

# tesseract's messages for a file it could not decode.
BAD_IMAGE_MARKERS = ("cannot be read", "Error in pixRead", "Unsupported image type",
                     "truncated file", "Error in pixReadStream")


# ---------------------------------------------------------------- logging

_log_lock = threading.Lock()


def log(level, msg, **fields):
    """Writes one hclog-style JSON line to stderr; go-plugin parses it and
    the host logs it with its level, tagged with the plugin's name."""
    entry = {"@level": level, "@message": msg,
             "@timestamp": datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"}
    entry.update(fields)
    line = json.dumps(entry, default=str)
    with _log_lock:
        sys.stderr.write(line + "\n")
        sys.stderr.flush()


# ---------------------------------------------------------------- images

class BadImage(Exception):
    """The page bytes are not an image this plugin can read."""


def inspect_image(data):
    """Returns (extension, width, height) of an encoded image after checking
    its structure, or raises BadImage. The check runs before tesseract sees
    the bytes: tesseract reads a file it does not recognise as a list of
    image paths, which must never happen with uploaded bytes."""
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return ("png",) + _inspect_png(data)
    if data.startswith(b"\xff\xd8\xff"):
        return ("jpg",) + _inspect_jpeg(data)
    if data[:4] in (b"II*\x00", b"MM\x00*"):
        return ("tif",) + _inspect_tiff(data)
    if data.startswith(b"BM") and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return ("bmp",) + _dims(width, abs(height))
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        return ("gif",) + _dims(*struct.unpack("<HH", data[6:10]))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp", 0, 0
    if len(data) > 2 and data[0:1] == b"P" and data[1:2] in b"123456" and data[2:3].isspace():
        return "pnm", 0, 0
    raise BadImage("not a PNG, JPEG, TIFF, BMP, GIF, WebP or PNM image")


def _dims(width, height):
    if width <= 0 or height <= 0 or width > 1 << 16 or height > 1 << 16:
        raise BadImage("implausible image size %dx%d" % (width, height))
    return width, height


def _inspect_png(data):
    """Walks every chunk (lengths, CRCs) and inflates the pixel data."""
    pos, width, height = 8, 0, 0
    inflate, seen_end, seen_data = zlib.decompressobj(), False, False
    while pos < len(data):
        if pos + 12 > len(data):
            raise BadImage("PNG: truncated chunk header at byte %d" % pos)
        length, ctype = struct.unpack(">I4s", data[pos:pos + 8])
        end = pos + 8 + length
        if end + 4 > len(data):
            raise BadImage("PNG: chunk %r of %d bytes runs past the end of the file" % (ctype, length))
        body = data[pos + 8:end]
        crc = zlib.crc32(body, zlib.crc32(ctype))
        if crc != struct.unpack(">I", data[end:end + 4])[0]:
            raise BadImage("PNG: bad CRC in chunk %r" % ctype)
        if pos == 8:
            if ctype != b"IHDR" or length != 13:
                raise BadImage("PNG: first chunk is not IHDR")
            width, height = _dims(*struct.unpack(">II", body[:8]))
        elif ctype == b"IDAT":
            seen_data = True
            try:
                while body:
                    inflate.decompress(body, 1 << 20)
                    body = inflate.unconsumed_tail
            except zlib.error as e:
                raise BadImage("PNG: corrupt pixel data: %s" % e) from None
        elif ctype == b"IEND":
            seen_end = True
            break
        pos = end + 4
    if not seen_data or not inflate.eof:
        raise BadImage("PNG: truncated pixel data")
    if not seen_end:
        raise BadImage("PNG: no IEND chunk (truncated file)")
    return width, height


def _inspect_jpeg(data):
    """Finds the frame header (SOFn) for the size."""
    pos = 2
    while pos + 4 <= len(data):
        if data[pos] != 0xFF:
            raise BadImage("JPEG: bad marker at byte %d" % pos)
        marker = data[pos + 1]
        if marker == 0xFF:
            pos += 1
            continue
        if marker in (0x01,) or 0xD0 <= marker <= 0xD7:
            pos += 2
            continue
        (length,) = struct.unpack(">H", data[pos + 2:pos + 4])
        if marker in (0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF):
            if pos + 9 > len(data):
                break
            height, width = struct.unpack(">HH", data[pos + 5:pos + 9])
            return _dims(width, height)
        pos += 2 + length
    raise BadImage("JPEG: no frame header (truncated or corrupt)")


def _inspect_tiff(data):
    """Reads the first IFD for ImageWidth (256) and ImageLength (257)."""
    order = "<" if data[:2] == b"II" else ">"
    (ifd,) = struct.unpack(order + "I", data[4:8])
    if ifd < 8 or ifd + 2 > len(data):
        raise BadImage("TIFF: first directory outside the file")
    (count,) = struct.unpack(order + "H", data[ifd:ifd + 2])
    if ifd + 2 + 12 * count > len(data):
        raise BadImage("TIFF: truncated directory")
    dims = {}
    for i in range(count):
        tag, typ, _, value = struct.unpack(order + "HHI4s", data[ifd + 2 + 12 * i:ifd + 14 + 12 * i])
        if tag in (256, 257):
            dims[tag] = struct.unpack(order + ("H" if typ == 3 else "I"), value[:2 if typ == 3 else 4])[0]
    if 256 not in dims or 257 not in dims:
        raise BadImage("TIFF: no image size in the first directory")
    return _dims(dims[256], dims[257])


# ---------------------------------------------------------------- engine

def parse_tsv(tsv):
    """Turns tesseract's TSV into (words, width, height). Block, paragraph and
    line are numbered from 1 across the page and only advance when a word is
    emitted, as the built-in engine numbers them."""
    words, width, height = [], 0, 0
    last, counters = None, [0, 0, 0]
    for row in tsv.splitlines()[1:]:
        cols = row.split("\t")
        if len(cols) < 12:
            continue
        level = cols[0]
        left, top, w, h = (int(c) for c in cols[6:10])
        if level == "1":
            width, height = w, h
            continue
        text = "\t".join(cols[11:]).strip()
        if level != "5" or not text:
            continue
        key = (cols[2], cols[3], cols[4])  # block_num, par_num, line_num
        if last is None or key[0] != last[0]:
            counters[0] += 1
        if last is None or key[:2] != last[:2]:
            counters[1] += 1
        if last is None or key != last:
            counters[2] += 1
        last = key
        conf = float(cols[10])
        words.append(dict(text=text, x0=left, y0=top, x1=left + w, y1=top + h,
                          confidence=min(conf, 100.0) if conf >= 0 else -1.0,
                          block=counters[0], paragraph=counters[1], line=counters[2]))
    return words, width, height


class Engine:
    """The OCREngine service: Configure, Info, Recognize."""

    def __init__(self, pb2, grpc):
        self.pb2, self.grpc = pb2, grpc
        self.lock = threading.Lock()
        self.tesseract = None
        self.psm = "3"
        self.timeout = 300.0
        self.tessdata = ""
        self.version = ""
        self.languages = []

    # Settings from [plugins.engine.settings].
    SETTINGS = ("tesseract", "psm", "timeout_seconds", "tessdata_dir")

    def Configure(self, request, context):
        settings = dict(request.settings)
        # Refuse unknown keys, as sdk.DecodeSettings does for Go plugins: a
        # typo must fail the start, not leave a default in place.
        for key in sorted(settings):
            if key not in self.SETTINGS:
                near = difflib.get_close_matches(key, self.SETTINGS, n=1)
                hint = 'did you mean "%s"?' % near[0] if near else "known: " + ", ".join(self.SETTINGS)
                context.abort(self.grpc.StatusCode.INVALID_ARGUMENT,
                              'pytess: unknown setting "%s" (%s)' % (key, hint))
        exe = shutil.which(settings.get("tesseract", "tesseract"))
        if exe is None:
            context.abort(self.grpc.StatusCode.FAILED_PRECONDITION,
                          "pytess: the tesseract program was not found (Debian: apt install tesseract-ocr)")
        psm = settings.get("psm", "3")
        if not psm.isdigit() or int(psm) > 13:
            context.abort(self.grpc.StatusCode.INVALID_ARGUMENT, "pytess: psm must be 0..13, got %r" % psm)
        try:
            timeout = float(settings.get("timeout_seconds", "300"))
        except ValueError:
            timeout = -1
        if timeout <= 0:
            context.abort(self.grpc.StatusCode.INVALID_ARGUMENT, "pytess: timeout_seconds must be a positive number")
        tessdata = settings.get("tessdata_dir", "")
        extra = ["--tessdata-dir", tessdata] if tessdata else []
        try:
            ver = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=30)
            langs = subprocess.run([exe, "--list-langs"] + extra, capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as e:
            context.abort(self.grpc.StatusCode.FAILED_PRECONDITION, "pytess: run %s: %s" % (exe, e))
        first = (ver.stdout or ver.stderr).strip().splitlines()
        version = first[0].split()[-1] if first else ""
        languages = sorted(l.strip() for l in langs.stdout.splitlines()[1:]
                           if l.strip() and l.strip() != "osd")
        if langs.returncode != 0 or not languages or not version:
            context.abort(self.grpc.StatusCode.FAILED_PRECONDITION,
                          "pytess: tesseract lists no languages (Debian: apt install tesseract-ocr-eng): %s"
                          % (langs.stderr.strip() or langs.stdout.strip()))
        with self.lock:
            self.tesseract, self.psm, self.timeout, self.tessdata = exe, psm, timeout, tessdata
            self.version, self.languages = version, languages
        log("info", "configured", tesseract=exe, tesseract_version=version,
            languages=",".join(languages), psm=psm)
        return self.pb2.ConfigureResponse()

    def Info(self, request, context):
        with self.lock:
            if self.tesseract is None:
                context.abort(self.grpc.StatusCode.FAILED_PRECONDITION, "pytess: Configure was not called")
            return self.pb2.EngineInfo(
                name="pytess", version=self.version, languages=self.languages,
                image_types=IMAGE_TYPES, outputs=OUTPUTS, protocol_version=APP_PROTOCOL_VERSION,
                supports_confidence=True)

    def Recognize(self, request, context):
        code = self.grpc.StatusCode
        with self.lock:
            exe, psm, timeout, tessdata, known = self.tesseract, self.psm, self.timeout, self.tessdata, self.languages
        if exe is None:
            context.abort(code.FAILED_PRECONDITION, "pytess: Configure was not called")
        langs = [l for item in request.languages for l in item.split("+") if l] or ["eng"]
        for lang in langs:
            if lang not in known:
                context.abort(code.FAILED_PRECONDITION, "pytess: language %r is not installed for tesseract "
                              "(installed: %s)" % (lang, ", ".join(known)))
        image = request.image  # one copy: every access copies the bytes
        try:
            ext, _, _ = inspect_image(image)
        except BadImage as e:
            context.abort(code.INVALID_ARGUMENT, "pytess: unreadable image: %s" % e)
        t0 = time.monotonic()
        with tempfile.TemporaryDirectory(prefix="ocrbox-pytess-") as tmp:
            src = os.path.join(tmp, "page." + ext)
            with open(src, "wb") as f:
                f.write(image)
            del image
            cmd = [exe, src, os.path.join(tmp, "out"), "-l", "+".join(langs), "--psm", psm]
            if tessdata:
                cmd += ["--tessdata-dir", tessdata]
            if request.dpi > 0:
                cmd += ["--dpi", str(request.dpi)]
            cmd += ["txt", "tsv"]
            # setpriv kills tesseract if this plugin dies mid-page.
            if shutil.which("setpriv"):
                cmd = ["setpriv", "--pdeathsig", "KILL", "--"] + cmd
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE, cwd=tmp)

            def kill():
                if proc.poll() is None:
                    proc.kill()

            # The callback runs when the call ends for any reason, including
            # the host cancelling it: the page's tesseract dies with it.
            context.add_callback(kill)
            try:
                _, err = proc.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.communicate()
                context.abort(code.DEADLINE_EXCEEDED, "pytess: tesseract took longer than %gs" % timeout)
            if not context.is_active():
                log("debug", "page cancelled", page=request.page_number)
                context.abort(code.CANCELLED, "pytess: cancelled")
            err = err.decode("utf-8", "replace").strip()
            if proc.returncode != 0:
                if any(m in err for m in BAD_IMAGE_MARKERS):
                    context.abort(code.INVALID_ARGUMENT, "pytess: tesseract cannot read the image: %s" % last_line(err))
                if "Failed loading language" in err:
                    context.abort(code.FAILED_PRECONDITION, "pytess: %s" % last_line(err))
                context.abort(code.INTERNAL, "pytess: tesseract exited with status %d: %s"
                              % (proc.returncode, last_line(err)))
            with open(os.path.join(tmp, "out.txt"), encoding="utf-8", errors="replace") as f:
                text = f.read().replace("\f", "")
            with open(os.path.join(tmp, "out.tsv"), encoding="utf-8", errors="replace") as f:
                words, width, height = parse_tsv(f.read())
        confs = [w["confidence"] for w in words if w["confidence"] >= 0]
        log("debug", "page recognised", page=request.page_number, words=len(words),
            elapsed_ms=int((time.monotonic() - t0) * 1000))
        return self.pb2.RecognizeResponse(
            text=text, words=[self.pb2.Word(**w) for w in words], width=width, height=height,
            mean_confidence=sum(confs) / len(confs) if confs else 0.0)


def last_line(s):
    lines = [l for l in s.splitlines() if l.strip()]
    return lines[-1] if lines else "(no message)"


# ---------------------------------------------------------------- go-plugin services

def add_go_plugin_services(grpc, server, stop):
    """Registers what go-plugin's host side calls besides the engine. Their
    messages are tiny, so they are coded by hand rather than by depending on
    grpcio-health-checking (not packaged in Debian 12) or go-plugin's protos."""

    def health_check(request, context):
        # grpc.health.v1.Health/Check: go-plugin pings service "plugin".
        service = b""
        if request[:1] == b"\x0a" and len(request) >= 2:  # field 1, length-delimited
            service = request[2:2 + request[1]]
        if service not in (b"", b"plugin"):
            context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
        return b"\x08\x01"  # status: SERVING

    def shutdown(request, context):
        # plugin.GRPCController/Shutdown: the host's graceful kill. Answer
        # first, then stop.
        threading.Timer(0.05, stop).start()
        return b""

    def stream_stdio(request, context):
        # plugin.GRPCStdio/StreamStdio: this plugin writes to its real
        # stderr, so the stream ends at once (go-plugin takes that calmly).
        return iter(())

    raw = dict(request_deserializer=None, response_serializer=None)
    server.add_generic_rpc_handlers((
        grpc.method_handlers_generic_handler("grpc.health.v1.Health", {
            "Check": grpc.unary_unary_rpc_method_handler(health_check, **raw)}),
        grpc.method_handlers_generic_handler("plugin.GRPCController", {
            "Shutdown": grpc.unary_unary_rpc_method_handler(shutdown, **raw)}),
        grpc.method_handlers_generic_handler("plugin.GRPCStdio", {
            "StreamStdio": grpc.unary_stream_rpc_method_handler(stream_stdio, **raw)}),
    ))


# ---------------------------------------------------------------- main

def main():
    if os.environ.get(MAGIC_COOKIE_KEY) != MAGIC_COOKIE_VALUE:
        sys.stderr.write(
            "This is an ocrbox OCR engine plugin; it is started by ocrbox, not by hand.\n"
            "Declare it as a [[plugins.engine]] in ocrbox's config.toml, or test it with\n"
            "  ocrbox plugin check %s\n" % os.path.realpath(__file__))
        return 1
    offered = [v for v in os.environ.get("PLUGIN_PROTOCOL_VERSIONS", "").split(",") if v]
    if offered and str(APP_PROTOCOL_VERSION) not in offered:
        sys.stderr.write("pytess speaks plugin protocol %d; the host offers %s\n"
                         % (APP_PROTOCOL_VERSION, ",".join(offered)))
        return 1
    try:
        import grpc
        import ocrbox_pb2
        import ocrbox_pb2_grpc
    except ImportError as e:
        sys.stderr.write("pytess: %s (Debian: apt install python3-grpcio python3-protobuf)\n" % e)
        return 1

    threads = max(8, (os.cpu_count() or 1) + 4)
    server = grpc.server(
        futures.ThreadPoolExecutor(max_workers=threads, thread_name_prefix="pytess"),
        options=[("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                 ("grpc.so_reuseport", 0)])
    done = threading.Event()

    def stop(*_):
        done.set()

    ocrbox_pb2_grpc.add_OCREngineServicer_to_server(Engine(ocrbox_pb2, grpc), server)
    add_go_plugin_services(grpc, server, stop)
    port = server.add_insecure_port("127.0.0.1:0")
    if not port:
        sys.stderr.write("pytess: cannot listen on 127.0.0.1\n")
        return 1
    server.start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)

    # The handshake: CORE|APP|NETWORK|ADDRESS|PROTOCOL on one stdout line.
    sys.stdout.write("%d|%d|tcp|127.0.0.1:%d|grpc\n" % (CORE_PROTOCOL_VERSION, APP_PROTOCOL_VERSION, port))
    sys.stdout.flush()
    sys.stdout = sys.stderr  # nothing else may reach the handshake channel
    log("info", "pytess plugin serving", version=PLUGIN_VERSION, address="127.0.0.1:%d" % port,
        python=sys.version.split()[0], grpcio=grpc.__version__, threads=threads)

    # The host normally kills this process (Shutdown, then SIGKILL; the
    # kernel's parent-death signal if the host itself dies). Should the host
    # vanish some other way, this process is re-parented: exit then too.
    parent = os.getppid()
    while not done.wait(1.0):
        if os.getppid() != parent:
            log("warn", "host process went away; exiting")
            break
    server.stop(grace=2).wait(3)
    log("info", "pytess plugin stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
