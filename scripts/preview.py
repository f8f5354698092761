"""`make preview`: every custom message, rendered by the real binary, in one
static HTML page.

Usage: preview.py [--out DIR]

Builds the custom-message binary, runs it under a minimal Lambda Runtime API
on 127.0.0.1 (the code path Cognito calls: init, template checks, the
handler), and sends it one event per source and locale: every shipped
locale, plus each locale folder of TEMPLATES_DIR when that is set. Then it
does what Cognito does next, replacing the placeholders with realistic
stand-ins, and writes a gallery: each email in a frame at phone and desktop
width, its subject and SMS text, the locale it was rendered in and whether
anything fell back. The page is self-contained (no script, style or image is
fetched from anywhere) and every email frame carries a Content-Security-Policy
that blocks any load an email might try.

The brand comes from APP_NAME, APP_URL, SUPPORT_EMAIL and DEFAULT_LOCALE when
set, else the demo's values.

This module is also the renderer of scripts/browser_check.py.
"""

import argparse
import base64
import hashlib
import html
import json
import os
import queue
import re
import subprocess
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Cargo's target folder, where the output goes: CARGO_TARGET_DIR (relative to
# the workspace root, as cargo run there and the e2e harness read it), else
# target/.
TARGET_DIR = ROOT / (os.environ.get("CARGO_TARGET_DIR") or "target")
FUNCTION = "custom-message"
SHIPPED_TEMPLATES = ROOT / "functions" / FUNCTION / "templates"
EVENTS = ROOT / "events" / FUNCTION

# (triggerSource, template stem, sample event in events/custom-message/)
SOURCES = [
    ("CustomMessage_SignUp", "sign_up", "sign-up"),
    ("CustomMessage_ResendCode", "resend_code", "resend-code"),
    ("CustomMessage_ForgotPassword", "forgot_password", "forgot-password"),
    ("CustomMessage_UpdateUserAttribute", "update_user_attribute", "update-user-attribute"),
    ("CustomMessage_VerifyUserAttribute", "verify_user_attribute", "verify-user-attribute"),
    ("CustomMessage_AdminCreateUser", "admin_create_user", "admin-create-user"),
    ("CustomMessage_Authentication", "authentication", "authentication"),
]

# The demo's brand (scripts/demo.sh), unless the environment says otherwise.
BRAND = {
    "APP_NAME": "Acme Notes",
    "APP_URL": "https://notes.example.com",
    "SUPPORT_EMAIL": "support@example.com",
    "DEFAULT_LOCALE": "en",
}

# What Cognito puts where its placeholders were. The code of an invitation is
# the temporary password.
CODE = "482913"
TEMPORARY_PASSWORD = "Kp4#vR9x"
USERNAME = "maria.silva@example.com"
LINK = (
    "https://acme-notes.auth.us-east-1.amazoncognito.com/confirmUser"
    "?client_id=4pq8f2ab3cd5ef6gh7ij8kl9mn&user_name=maria.silva%40example.com"
    "&confirmation_code=" + CODE
)
LINK_PLACEHOLDER = re.compile(r"\{##(.*?)##\}", re.S)

# The longest name the built-in greeting shows (message::NAME_MAX is 64), with
# no space to break at.
LONGEST_NAME = "Wolfeschlegelsteinhausenbergerdorffwelchevoralternwarengewissenh"
assert len(LONGEST_NAME) == 64

# Attribute values an attacker controls (their own sign-up), each of which
# must end up as inert text or not at all. "evil.example" and "xss" mark them.
HOSTILE_ATTRIBUTES = {
    "given_name": "N" * 10240,
    "family_name": '<script>console.error("xss family_name")</script>',
    "name": '<a href="https://evil.example/reset">Security team: reset your password</a>',
    "middle_name": "Ana \u202eelpmaxe.live",
    "nickname": '<img src="https://evil.example/pixel.png" onerror="console.error(\'xss nickname\')">',
    "website": "javascript:console.error('xss website')",
    "profile": "https://evil.example/profile",
}
HOSTILE_MARKERS = ("evil.example", "xss")

# The user attributes of each variant of an event; "typical" is what the
# gallery shows, the others are for the browser check.
VARIANTS = {
    "typical": {"given_name": "Maria"},
    "longest-name": {"given_name": LONGEST_NAME},
    "hostile": HOSTILE_ATTRIBUTES,
}

# How long to wait for the binary before giving up: it only guards against a
# hang, nothing is timed.
ANSWER_TIMEOUT = 60


# ---- A Lambda Runtime API on 127.0.0.1 ---------------------------------------------


class _RuntimeApi(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _RuntimeHandler)
        self.pending = queue.Queue()
        self.answers = {}
        self.init_error = queue.Queue()

    def handle_error(self, request, client_address):
        # The binary is killed mid-request (a long poll on /next) when the
        # preview ends; anything else is worth showing.
        if not isinstance(sys.exc_info()[1], (ConnectionError, OSError)):
            super().handle_error(request, client_address)


class _RuntimeHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    # Headers and body go out in two writes; without this each answer waits
    # for a delayed ACK (about 40 ms).
    disable_nagle_algorithm = True
    PREFIX = "/2018-06-01/runtime"

    def log_message(self, *args):
        pass

    def _reply(self, status, body=b"", headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _body(self):
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0], 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length", 0)))

    def do_GET(self):
        if self.path != self.PREFIX + "/invocation/next":
            return self._reply(404)
        request_id, event = self.server.pending.get()
        deadline = int((time.time() + 30) * 1000)
        self._reply(
            200,
            json.dumps(event).encode(),
            [
                ("Content-Type", "application/json"),
                ("Lambda-Runtime-Aws-Request-Id", request_id),
                ("Lambda-Runtime-Deadline-Ms", str(deadline)),
                (
                    "Lambda-Runtime-Invoked-Function-Arn",
                    f"arn:aws:lambda:us-east-1:123456789012:function:{FUNCTION}",
                ),
                ("Lambda-Runtime-Trace-Id", "Root=1-00000000-000000000000000000000000;Sampled=0"),
            ],
        )

    def do_POST(self):
        body = self._body()
        match = re.fullmatch(self.PREFIX + r"/invocation/([^/]+)/(response|error)", self.path)
        if match and match[1] in self.server.answers:
            self.server.answers[match[1]].put((match[2], body))
            return self._reply(202)
        if self.path == self.PREFIX + "/init/error":
            self.server.init_error.put(body)
            return self._reply(202)
        return self._reply(400)


def build_binary():
    """Builds the function (debug, as the tests run it) and returns its path.
    Cargo decides the target folder (CARGO_TARGET_DIR is honoured)."""
    command = [
        "cargo", "build", "--locked", "--quiet", "-p", FUNCTION, "--bin", FUNCTION,
        "--message-format=json-render-diagnostics",
    ]
    result = subprocess.run(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    if result.returncode != 0:
        sys.exit(f"preview: `{' '.join(command)}` failed")
    for line in result.stdout.splitlines():
        message = json.loads(line)
        if message.get("reason") == "compiler-artifact" and message.get("executable"):
            if message["target"]["name"] == FUNCTION:
                return Path(message["executable"])
    sys.exit("preview: cargo built no custom-message binary")


class Function:
    """The custom-message binary, run the way Lambda runs it. The child's
    environment holds only Lambda's variables and the brand, like the e2e
    harness (tests/src/runtime_api.rs)."""

    def __init__(self, binary, env):
        self.api = _RuntimeApi()
        threading.Thread(target=self.api.serve_forever, daemon=True).start()
        host, port = self.api.server_address
        self.lines = []
        self._lines_changed = threading.Condition()
        self.process = subprocess.Popen(
            [str(binary)],
            env={
                "PATH": os.environ.get("PATH", ""),
                "AWS_LAMBDA_RUNTIME_API": f"{host}:{port}",
                "AWS_LAMBDA_FUNCTION_NAME": FUNCTION,
                "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
                "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "128",
                "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{FUNCTION}",
                "AWS_LAMBDA_LOG_STREAM_NAME": "preview",
                "AWS_REGION": "us-east-1",
                "TZ": ":UTC",
                **env,
            },
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        threading.Thread(target=self._read_output, daemon=True).start()
        self._count = 0

    def _read_output(self):
        for line in self.process.stdout:
            with self._lines_changed:
                self.lines.append(line.rstrip("\n"))
                self._lines_changed.notify_all()

    def invoke(self, event):
        """Sends one event; returns (response, the 'custom message composed'
        log record). Exits with the function's init error, if it reports one."""
        self._count += 1
        request_id = f"preview-{os.getpid()}-{self._count}"
        answer = queue.Queue()
        self.api.answers[request_id] = answer
        self.api.pending.put((request_id, event))
        waited = 0
        while True:
            try:
                kind, body = answer.get(timeout=0.2)
                break
            except queue.Empty:
                waited += 0.2
                if not self.api.init_error.empty() or self.process.poll() is not None:
                    self.fail_init()
                if waited > ANSWER_TIMEOUT:
                    sys.exit(f"preview: {FUNCTION} gave no answer; its output:\n" + "\n".join(self.lines))
        if kind != "response":
            sys.exit(f"preview: {FUNCTION} answered with an error: {body.decode(errors='replace')}")
        return json.loads(body), self._composed_record(request_id)

    def _composed_record(self, request_id):
        """The function's log line for this request: which locale it used and
        how each text was made. Output is read asynchronously, so wait."""
        deadline = time.monotonic() + ANSWER_TIMEOUT
        with self._lines_changed:
            while True:
                for line in reversed(self.lines):
                    if request_id in line and "custom message composed" in line:
                        record = json.loads(line)
                        spans = record.get("spans") or [{}]
                        if any(span.get("requestId") == request_id for span in spans):
                            return record
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    sys.exit(f"preview: no log line for {request_id}; output:\n" + "\n".join(self.lines))
                self._lines_changed.wait(remaining)

    def fail_init(self):
        try:
            report = json.loads(self.api.init_error.get(timeout=5))
            message = report.get("errorMessage", report)
        except (queue.Empty, ValueError):
            message = "\n".join(self.lines[-20:])
        sys.exit(f"preview: {FUNCTION} failed to start: {message}")

    def stop(self):
        self.process.kill()
        self.process.wait()
        self.api.shutdown()
        self.api.server_close()


# ---- What to render ----------------------------------------------------------------


def brand_env():
    env = {key: os.environ.get(key) or value for key, value in BRAND.items()}
    if os.environ.get("TEMPLATES_DIR"):
        env["TEMPLATES_DIR"] = str(Path(os.environ["TEMPLATES_DIR"]).resolve())
    return env


def locale_folders(folder):
    """The locale folders of a templates folder. A folder that cannot be read
    gives none: the function's init reports it, naming it."""
    folder = Path(folder)
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and not p.name.startswith("."))


def locales_to_render(templates_dir):
    """The shipped locales, then any other locale folder of TEMPLATES_DIR."""
    locales = locale_folders(SHIPPED_TEMPLATES)
    if templates_dir:
        known = {locale.lower() for locale in locales}
        locales += [tag for tag in locale_folders(templates_dir) if tag.lower() not in known]
    return locales


def event_for(trigger, sample, locale, variant):
    event = json.loads((EVENTS / f"{sample}.json").read_text(encoding="utf-8"))
    assert event["triggerSource"] == trigger, f"events/{FUNCTION}/{sample}.json"
    attributes = event["request"]["userAttributes"]
    for key in ("given_name", "name", "family_name"):
        attributes.pop(key, None)
    attributes.update(VARIANTS[variant])
    # The user's locale alone decides, so a locale that lacks a source falls
    # back to DEFAULT_LOCALE, as it would for most users.
    attributes["locale"] = locale
    metadata = event["request"].get("clientMetadata")
    if isinstance(metadata, dict):
        metadata.pop("locale", None)
    return event


def render(function, locales, variants, stems=None):
    """Every (locale, source, variant), through the binary. Returns one dict
    per message, with the texts as the function returned them and as the
    user receives them (placeholders replaced)."""
    messages = []
    for locale in locales:
        for trigger, stem, sample in SOURCES:
            if stems is not None and (locale, stem) not in stems:
                continue
            for variant in variants:
                event = event_for(trigger, sample, locale, variant)
                response, record = function.invoke(event)
                fields = response["response"]
                request = event["request"]
                code = TEMPORARY_PASSWORD if stem == "admin_create_user" else CODE
                steps = {
                    channel: record.get(key, "?")
                    for channel, key in (
                        ("subject", "email_subject"),
                        ("email", "email_message"),
                        ("sms", "sms_message"),
                    )
                }
                messages.append({
                    "locale": locale,
                    "used_locale": record.get("locale", "?"),
                    "stem": stem,
                    "trigger": trigger,
                    "variant": variant,
                    "steps": steps,
                    "code": code,
                    "username": USERNAME if request.get("usernameParameter") else None,
                    "placeholders": {
                        "code": request.get("codeParameter"),
                        "username": request.get("usernameParameter"),
                        "link": request.get("linkParameter"),
                    },
                    "subject": fields.get("emailSubject"),
                    "email": fields.get("emailMessage"),
                    "sms": fields.get("smsMessage"),
                })
                for channel in ("email", "sms"):
                    text = messages[-1][channel]
                    messages[-1][f"{channel}_delivered"] = (
                        None if text is None else deliver(text, messages[-1], marked=False)
                    )
    return messages


# ---- Cognito's substitution -----------------------------------------------------------

_RAW_TEXT = ("title", "textarea", "style", "script", "xmp")


def _in_markup(text, at):
    """Whether offset `at` of an HTML text is inside a tag or a raw-text
    element, where a <mark> would not be markup."""
    if text.rfind("<", 0, at) > text.rfind(">", 0, at):
        return True
    lower = text[:at].lower()
    for name in _RAW_TEXT:
        if lower.rfind("<" + name) > lower.rfind("</" + name):
            return True
    return False


def deliver(text, message, marked):
    """The text as the user receives it: Cognito's placeholders replaced, the
    way Cognito does it, by plain text substitution. `marked` wraps each
    stand-in in a visible <mark> (where it is text, not inside a tag), for the
    gallery."""
    placeholders = message["placeholders"]
    values = []
    if placeholders["code"]:
        values.append(("code", placeholders["code"], message["code"]))
    if placeholders["username"]:
        values.append(("username", placeholders["username"], USERNAME))
    spans = []
    for name, placeholder, value in values:
        start = text.find(placeholder)
        while start >= 0:
            spans.append((start, start + len(placeholder), name, placeholder, html.escape(value, quote=False)))
            start = text.find(placeholder, start + len(placeholder))
    if placeholders["link"]:
        for match in LINK_PLACEHOLDER.finditer(text):
            if match[0] == placeholders["link"]:
                anchor = f'<a href="{html.escape(LINK)}">{match[1]}</a>'
                spans.append((match.start(), match.end(), "link", match[0], anchor))
    spans.sort()
    out, last = [], 0
    for start, end, name, placeholder, value in spans:
        if start < last:
            continue
        out.append(text[last:start])
        if marked and not _in_markup(text, start):
            out.append(
                f'<mark data-placeholder="{name}" title="Cognito fills in {html.escape(placeholder)}"'
                ' style="background:#fff1a8;color:inherit;outline:2px dashed #d97706;">'
                f"{value}</mark>"
            )
        else:
            out.append(value)
        last = end
    out.append(text[last:])
    return "".join(out)


# ---- The gallery -----------------------------------------------------------------------

# Blocks every load and every script in an email frame: the gallery must not
# fetch anything, whatever a template links to.
FRAME_CSP = (
    '<meta http-equiv="Content-Security-Policy" '
    "content=\"default-src 'none'; style-src 'unsafe-inline'; img-src data:\">"
)


def with_csp(document):
    """Puts the CSP at the start of the document's head; never before the
    doctype, which would switch the frame to quirks mode."""
    for pattern in (r"<head\b[^>]*>", r"<html\b[^>]*>", r"<!doctype[^>]*>"):
        match = re.search(pattern, document, re.I)
        if match:
            return document[: match.end()] + FRAME_CSP + document[match.end():]
    return FRAME_CSP + document


GALLERY_STYLE = """
body{margin:0;font-family:system-ui,-apple-system,'Segoe UI',Roboto,Arial,sans-serif;color:#1f2328;background:#eef0f3}
header{padding:16px 24px;background:#1f2328;color:#fff}
header h1{margin:0 0 4px;font-size:20px}
header p{margin:0;font-size:13px;color:#c9d1d9}
nav{padding:8px 24px;font-size:13px;background:#fff;border-bottom:1px solid #d0d7de}
nav a{margin-right:12px}
section.message{margin:16px 24px;padding:16px;background:#fff;border:1px solid #d0d7de;border-radius:8px}
section.message h2{margin:0 0 8px;font-size:16px}
.meta{font-size:13px;margin:0 0 8px}
.badge{display:inline-block;padding:1px 8px;border-radius:10px;font-size:12px;margin-right:6px;background:#ddf4ff;color:#0969da}
.badge.warn{background:#fff8c5;color:#7d4e00}
.badge.bad{background:#ffebe9;color:#cf222e}
dl{display:grid;grid-template-columns:90px 1fr;gap:4px 12px;font-size:14px;margin:8px 0 12px}
dt{color:#57606a}
dd{margin:0;white-space:pre-wrap;word-break:break-word}
.frames{display:flex;gap:16px;align-items:flex-start;overflow-x:auto}
figure{margin:0}
figcaption{font-size:12px;color:#57606a;margin-bottom:4px}
iframe{border:1px solid #d0d7de;background:#fff;height:560px}
mark{background:#fff1a8;outline:2px dashed #d97706}
"""

# Fits each frame to its email's height. The frames are sandboxed without
# allow-scripts, so nothing in an email runs; allow-same-origin only lets this
# script read their height.
GALLERY_SCRIPT = """
for (const frame of document.querySelectorAll('iframe')) {
  frame.addEventListener('load', () => {
    const doc = frame.contentDocument;
    if (doc && doc.documentElement) {
      frame.style.height = Math.max(200, doc.documentElement.scrollHeight + 4) + 'px';
    }
  });
}
"""

STEP_TEXT = {
    "full": None,
    "without_user_data": "fell back: rendered without user data",
    "pool_default": "fell back: null, Cognito sends the pool's default text",
}


def _badges(message):
    badges = [f'<span class="badge">{html.escape(message["trigger"])}</span>']
    if message["used_locale"].lower() != message["locale"].lower():
        badges.append(
            f'<span class="badge warn">locale fell back: {html.escape(message["locale"])}'
            f' &rarr; {html.escape(message["used_locale"])}</span>'
        )
    else:
        badges.append(f'<span class="badge">locale {html.escape(message["used_locale"])}</span>')
    for channel, step in message["steps"].items():
        if STEP_TEXT.get(step):
            kind = "bad" if step == "pool_default" else "warn"
            badges.append(f'<span class="badge {kind}">{channel} {STEP_TEXT[step]}</span>')
    return "".join(badges)


def _frames(message):
    if message["email"] is None:
        return "<p><em>No email body: Cognito sends the pool's default message.</em></p>"
    document = html.escape(with_csp(deliver(message["email"], message, marked=True)), quote=True)
    frames = []
    for label, width in (("phone, 360 px", 360), ("desktop, 760 px", 760)):
        frames.append(
            f'<figure><figcaption>{label}</figcaption><iframe sandbox="allow-same-origin" '
            f'width="{width}" title="{label}" srcdoc="{document}"></iframe></figure>'
        )
    return '<div class="frames">' + "".join(frames) + "</div>"


def _text(value, message):
    if value is None:
        return "<em>null: Cognito sends the pool's default text</em>"
    return deliver(html.escape(value, quote=False), message, marked=True)


def write_gallery(messages, out_dir, brand, templates_dir):
    out_dir.mkdir(parents=True, exist_ok=True)
    sections, nav = [], []
    for message in messages:
        anchor = f'{message["locale"]}-{message["stem"]}'
        nav.append(f'<a href="#{html.escape(anchor)}">{html.escape(anchor)}</a>')
        sections.append(
            f'<section class="message" id="{html.escape(anchor)}">'
            f'<h2>{html.escape(message["stem"])} &middot; {html.escape(message["locale"])}</h2>'
            f'<p class="meta">{_badges(message)}</p>'
            "<dl>"
            f'<dt>Subject</dt><dd>{_text(message["subject"], message)}</dd>'
            f'<dt>SMS</dt><dd>{_text(message["sms"], message)}</dd>'
            "</dl>"
            f"{_frames(message)}</section>"
        )
    source = "built-in templates" + (
        f" and TEMPLATES_DIR={html.escape(templates_dir)}" if templates_dir else ""
    )
    page = (
        "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
        f"<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        f"style-src 'unsafe-inline'; script-src 'sha256-{_sha256(GALLERY_SCRIPT)}'; img-src data:; frame-src 'self'\">"
        f"<title>{FUNCTION} preview</title><style>{GALLERY_STYLE}</style></head><body>"
        f"<header><h1>{FUNCTION}: every message, as users receive it</h1>"
        f"<p>{len(messages)} messages from the {source}, rendered by the real binary. "
        f"Brand: APP_NAME={html.escape(brand['APP_NAME'])}, APP_URL={html.escape(brand['APP_URL'])}, "
        f"SUPPORT_EMAIL={html.escape(brand['SUPPORT_EMAIL'])}, DEFAULT_LOCALE={html.escape(brand['DEFAULT_LOCALE'])}. "
        "<mark>Marked</mark> text is a stand-in for what Cognito fills in: the code "
        f"({CODE}; the temporary password {html.escape(TEMPORARY_PASSWORD)} in invitations), the username, "
        "the confirmation link. The user's name is Maria.</p></header>"
        f"<nav>{' '.join(nav)}</nav>{''.join(sections)}"
        f"<script>{GALLERY_SCRIPT}</script></body></html>\n"
    )
    path = out_dir / "index.html"
    path.write_text(page, encoding="utf-8")
    return path


def _sha256(text):
    return base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")


def start_function(env):
    return Function(build_binary(), env)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(TARGET_DIR / "preview"), help="where the gallery goes")
    args = parser.parse_args()
    env = brand_env()
    templates_dir = env.get("TEMPLATES_DIR")
    function = start_function(env)
    try:
        messages = render(function, locales_to_render(templates_dir), ["typical"])
    finally:
        function.stop()
    path = write_gallery(messages, Path(args.out), env, templates_dir)
    fell_back = sum(
        1 for m in messages
        if m["used_locale"].lower() != m["locale"].lower() or set(m["steps"].values()) != {"full"}
    )
    print(f"preview: {len(messages)} messages ({fell_back} with a fallback) in {path}")


if __name__ == "__main__":
    main()
