"""The browser check of `make test`: every email the custom-message trigger
sends, rendered by the real binary and opened in headless Chromium.

Usage: browser_check.py [--out DIR] [--skip-self-test]

1. Renders every source in every shipped locale (and each locale of
   TEMPLATES_DIR when set) through the binary (scripts/preview.py), for three
   users: a typical one, one with the longest name the greeting shows, and a
   hostile one (markup, links, a bidi override and a 10 KB name in their
   attributes). Placeholders are replaced the way Cognito does.
2. Opens each email in headless Chromium (Debian's `chromium`), driven over
   the DevTools protocol on a pipe: no port is opened, and Chromium is started
   with every host name unresolvable and a dead loopback proxy (and, as root,
   in a network namespace with no interface up), so nothing leaves the
   machine whatever an email asks for; every load it attempts is still seen
   and fails the email. Every check in CHECKS must
   pass. A screenshot of each email at 360 px is saved, with a report page.
3. Opens the gallery of `make preview`, built from the same emails: it must
   load nothing but itself.
4. Self-test: renders the broken templates of
   functions/custom-message/testdata/browser-check/ and requires exactly the
   failures its expected.json lists, so a check that stops catching what it
   is for fails the run; their gallery must show the frames' CSP stopping the
   remote logo one of them links.

Exits 1 on any failure, naming the email and the check. Only the standard
library is used.
"""

import argparse
import base64
import fcntl
import html
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from html.parser import HTMLParser
from pathlib import Path

# The renderer, next to this file; no __pycache__ left in scripts/.
sys.dont_write_bytecode = True
sys.path.insert(0, str(Path(__file__).resolve().parent))
import preview  # noqa: E402

ROOT = preview.ROOT
FIXTURE = ROOT / "functions" / "custom-message" / "testdata" / "browser-check"
PHONE_WIDTH = 360
PHONE_HEIGHT = 740
# Guards against a hung browser; nothing is timed.
TIMEOUT = 60

CHECKS = {
    "well_formed": "every element the HTML opens is closed (an unclosed <a>, <table> or <div> swallows what follows it)",
    "subject_plain": "the subject is plain text: no markup, no HTML entity, no control character",
    "console": "renders with no console error, no uncaught exception and no dialog",
    "no_network": "loads nothing: no request besides the email itself, no remote resource in the markup",
    "fits_360": f"fits a {PHONE_WIDTH} px wide viewport: no horizontal scroll",
    "code_visible": "the code (and an invitation's username) is visible text: on screen, not hidden, clipped or covered, 10 px or larger, contrast 3:1 or more",
    "markup_as_text": "no markup, entity or raw placeholder shows as text (a placeholder put in an attribute, double escaping)",
    "inert": "no active content (script, event handler, javascript: URL, frame, form) and no attacker value in any URL",
    "bidi": "no text leaves a bidi embedding, override or isolate open",
    "rtl": "a right-to-left language is laid out right to left",
}

RTL_LANGUAGES = {"ar", "arc", "ckb", "dv", "fa", "he", "iw", "ks", "ku", "ps", "sd", "ug", "ur", "yi"}


# ---- Chromium over the DevTools protocol, on a pipe ------------------------------------


def find_chromium():
    """CHROMIUM if set, else Debian's binary itself (its /usr/bin/chromium
    wrapper adds flags that turn background networking back on), else the
    usual names on PATH."""
    candidates = [os.environ.get("CHROMIUM"), "/usr/lib/chromium/chromium"]
    candidates += [shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")]
    for candidate in candidates:
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    sys.exit(
        "browser check: chromium is required but not installed; "
        "`scripts/setup.sh browser` (run by `make test`) installs Debian's package"
    )


class Chromium:
    """A headless Chromium and its DevTools connection: JSON messages ending
    in NUL, written to its fd 3 and read from its fd 4
    (--remote-debugging-pipe)."""

    def __init__(self, executable, profile, log_path):
        to_browser_r, to_browser_w = os.pipe()
        from_browser_r, from_browser_w = os.pipe()
        # Above 4, so that placing them on 3 and 4 cannot clobber one another.
        child_in = fcntl.fcntl(to_browser_r, fcntl.F_DUPFD_CLOEXEC, 10)
        child_out = fcntl.fcntl(from_browser_w, fcntl.F_DUPFD_CLOEXEC, 10)
        os.close(to_browser_r)
        os.close(from_browser_w)

        def wire_pipes():
            os.dup2(child_in, 3)
            os.dup2(child_out, 4)

        flags = [
            "--headless",
            "--remote-debugging-pipe",
            f"--user-data-dir={profile}",
            "--no-first-run",
            "--no-default-browser-check",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-default-apps",
            "--disable-extensions",
            "--disable-client-side-phishing-detection",
            "--disable-domain-reliability",
            "--disable-features=Translate,MediaRouter,OptimizationHints,AutofillServerCommunication",
            "--no-pings",
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--hide-scrollbars",
            "--mute-audio",
            "--force-color-profile=srgb",
            "--font-render-hinting=none",
            # Nothing may leave the machine, even when an email asks: no host
            # name resolves, and every connection goes to a loopback proxy
            # that nothing listens on (port 9), loopback addresses included.
            "--host-resolver-rules=MAP * ~NOTFOUND",
            "--proxy-server=http://127.0.0.1:9",
            "--proxy-bypass-list=<-loopback>",
        ]
        command = [executable, *flags, "about:blank"]
        self.isolated = False
        if os.geteuid() == 0:
            # Chromium's sandbox refuses to run as root (CI and this machine
            # run as root). The pages are our own local files.
            flags.insert(0, "--no-sandbox")
            command = [executable, *flags, "about:blank"]
            # Where it can, Chromium also gets a network namespace of its own,
            # with no interface up: then nothing can leave, by construction.
            unshare = shutil.which("unshare")
            if unshare and subprocess.run([unshare, "--net", "true"], capture_output=True).returncode == 0:
                command = [unshare, "--net", "--", *command]
                self.isolated = True
        self._log = open(log_path, "wb")
        self.process = subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            close_fds=False,
            preexec_fn=wire_pipes,
        )
        os.close(child_in)
        os.close(child_out)
        self._out = to_browser_w
        self._in = from_browser_r
        self._write_lock = threading.Lock()
        self._changed = threading.Condition()
        self._replies = {}
        self._events = {}
        self._closed = False
        self._next_id = 0
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        buffer = bytearray()
        while True:
            chunk = os.read(self._in, 1 << 20)
            if not chunk:
                break
            buffer += chunk
            while True:
                end = buffer.find(b"\0")
                if end < 0:
                    break
                message = json.loads(bytes(buffer[:end]))
                del buffer[: end + 1]
                self._dispatch(message)
        with self._changed:
            self._closed = True
            self._changed.notify_all()

    def _dispatch(self, message):
        with self._changed:
            if "id" in message:
                self._replies[message["id"]] = message
            else:
                session = message.get("sessionId")
                self._events.setdefault(session, []).append((message["method"], message.get("params", {})))
                if message["method"] == "Page.javascriptDialogOpening":
                    # A dialog would block the page; it is recorded as a
                    # failure and dismissed.
                    self._post("Page.handleJavaScriptDialog", {"accept": False}, session)
            self._changed.notify_all()

    def _post(self, method, params, session):
        """Writes one command; returns its id. Never waits for the reply, so
        the reader thread can use it too."""
        with self._write_lock:
            self._next_id += 1
            message = {"id": self._next_id, "method": method, "params": params or {}}
            if session:
                message["sessionId"] = session
            data = json.dumps(message).encode() + b"\0"
            while data:
                data = data[os.write(self._out, data):]
            return message["id"]

    def send(self, method, params=None, session=None):
        """Sends one command and waits for its result."""
        ident = self._post(method, params, session)
        deadline = time.monotonic() + TIMEOUT
        with self._changed:
            while ident not in self._replies:
                if self._closed:
                    raise RuntimeError(f"chromium exited during {method}; see {self._log.name}")
                if not self._changed.wait(deadline - time.monotonic()):
                    raise RuntimeError(f"chromium did not answer {method}")
            reply = self._replies.pop(ident)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return reply.get("result", {})

    def events(self, session):
        with self._changed:
            return list(self._events.get(session, []))

    def wait_for_event(self, session, method):
        with self._changed:
            deadline = time.monotonic() + TIMEOUT
            while not any(m == method for m, _ in self._events.get(session, [])):
                if self._closed or not self._changed.wait(deadline - time.monotonic()):
                    raise RuntimeError(f"chromium sent no {method}")

    def close(self):
        try:
            self.send("Browser.close")
        except RuntimeError:
            pass
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        os.close(self._out)
        self._log.close()


# Runs in the page after it has loaded. Reports what the checks need; the
# verdicts are made in Python.
PROBE = r"""
(async (args) => {
  // Let anything the page schedules right after load happen first.
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
  const W = innerWidth;
  const root = document.documentElement, body = document.body || root;
  const out = {
    viewport: W,
    scrollWidth: Math.max(root.scrollWidth, body.scrollWidth),
    scrollHeight: Math.max(root.scrollHeight, body.scrollHeight),
    text: body.innerText || '',
    direction: getComputedStyle(body).direction,
    visible: {}, active: [], hostileUrls: [], resources: [], bidi: [],
  };

  const rgb = c => (c.match(/[\d.]+/g) || [0, 0, 0, 0]).map(Number);
  const luminance = ([r, g, b]) => {
    const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const background = el => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0) return c;
    }
    return [255, 255, 255];
  };
  const contrast = el => {
    const a = luminance(rgb(getComputedStyle(el).color)), b = luminance(background(el));
    return (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
  };

  const whyHidden = needle => {
    const walker = document.createTreeWalker(body, NodeFilter.SHOW_TEXT);
    const problems = [];
    while (walker.nextNode()) {
      const node = walker.currentNode, at = node.data.indexOf(needle);
      if (at < 0) continue;
      const el = node.parentElement, style = getComputedStyle(el);
      el.scrollIntoView({block: 'center', inline: 'nearest'});
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + needle.length);
      const box = range.getBoundingClientRect();
      let opacity = 1;
      for (let e = el; e; e = e.parentElement) opacity *= parseFloat(getComputedStyle(e).opacity);
      const why = [];
      // Where it is on the page, horizontal scrolling undone: a phone user
      // does not scroll sideways to find the code.
      const left = box.left + scrollX, right = box.right + scrollX;
      if (box.width < 1 || box.height < 1) why.push('it takes no space');
      else if (left < -0.5 || right > W + 0.5) why.push(`it lies outside the ${W} px viewport (x ${Math.round(left)} to ${Math.round(right)})`);
      else {
        const hit = document.elementFromPoint(box.left + box.width / 2, box.top + box.height / 2);
        if (!hit || !(hit === el || el.contains(hit))) why.push('it is clipped or covered');
      }
      if (style.visibility !== 'visible') why.push('visibility: ' + style.visibility);
      if (opacity < 0.5) why.push('opacity ' + opacity);
      if (parseFloat(style.fontSize) < 10) why.push('font-size ' + style.fontSize);
      const ratio = contrast(el);
      if (ratio < 3) why.push('contrast ' + ratio.toFixed(2) + ':1');
      if (!why.length) return null;
      problems.push(why.join(', '));
    }
    return problems.length ? problems.join('; ') : 'it is not in the text of the page';
  };
  for (const [name, needle] of Object.entries(args.needles)) out.visible[name] = whyHidden(needle);
  window.scrollTo(0, 0);

  const URL_ATTRIBUTES = ['href', 'src', 'srcset', 'action', 'formaction', 'background', 'poster',
                          'data', 'xlink:href', 'cite', 'longdesc', 'ping', 'lowsrc', 'dynsrc'];
  const RESOURCE = {img: ['src', 'srcset', 'lowsrc', 'dynsrc'], image: ['href', 'xlink:href'],
                    video: ['src', 'poster'], audio: ['src'], source: ['src', 'srcset'], track: ['src'],
                    input: ['src'], link: ['href'], embed: ['src'], object: ['data'], iframe: ['src'],
                    frame: ['src'], script: ['src']};
  const ACTIVE = ['script', 'iframe', 'frame', 'frameset', 'object', 'embed', 'applet', 'form', 'base', 'portal'];
  const isData = v => /^\s*data:/i.test(v);
  for (const el of document.querySelectorAll('*')) {
    const tag = el.localName;
    if (ACTIVE.includes(tag)) out.active.push(`<${tag}>`);
    if (tag === 'meta' && /refresh/i.test(el.getAttribute('http-equiv') || '')) out.active.push('<meta http-equiv=refresh>');
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase(), value = attr.value;
      if (name.startsWith('on')) out.active.push(`<${tag} ${name}>`);
      if (URL_ATTRIBUTES.includes(name)) {
        const bare = value.replace(/[\u0000-\u0020]/g, '').toLowerCase();
        if (/^(javascript|vbscript|livescript):|^data:text\/html/.test(bare)) out.active.push(`<${tag} ${name}="${value.slice(0, 60)}">`);
        if (args.markers.some(m => value.toLowerCase().includes(m))) out.hostileUrls.push(`<${tag} ${name}="${value.slice(0, 80)}">`);
      }
      if ((RESOURCE[tag] || []).includes(name) && value.trim() && !isData(value)) out.resources.push(`<${tag} ${name}="${value.slice(0, 80)}">`);
      if (name === 'background' && value.trim() && !isData(value)) out.resources.push(`<${tag} background="${value.slice(0, 80)}">`);
      if (name === 'style') {
        for (const m of value.matchAll(/url\(\s*['"]?([^'")]*)/gi)) if (!isData(m[1])) out.resources.push(`<${tag} style="…url(${m[1].slice(0, 80)})…">`);
        if (/expression\s*\(/i.test(value)) out.active.push(`<${tag} style="…expression(…">`);
      }
    }
    if (tag === 'style') {
      for (const m of el.textContent.matchAll(/url\(\s*['"]?([^'")]*)|@import\s+['"]([^'"]*)/gi)) {
        const url = m[1] || m[2] || '';
        if (!isData(url)) out.resources.push(`<style> url(${url.slice(0, 80)})`);
      }
    }
  }

  // Embeddings and overrides end at PDF, isolates at PDI.
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  while (walker.nextNode()) {
    const data = walker.currentNode.data;
    if (!/[\u202a-\u202e\u2066-\u2069]/.test(data)) continue;
    const open = [];
    for (let i = 0; i < data.length; i++) {
      const ch = data[i];
      if ('\u202a\u202b\u202d\u202e'.includes(ch)) open.push(['E', i]);
      else if ('\u2066\u2067\u2068'.includes(ch)) open.push(['I', i]);
      else if (ch === '\u202c') { if (open.length && open[open.length - 1][0] === 'E') open.pop(); }
      else if (ch === '\u2069') { while (open.length && open.pop()[0] !== 'I'); }
    }
    if (open.length) {
      const at = open[0][1];
      const code = 'U+' + data.charCodeAt(at).toString(16).toUpperCase();
      out.bidi.push(`${code} in ${JSON.stringify(data.slice(Math.max(0, at - 20), at + 20))}`);
    }
  }
  return out;
})
"""


def inspect(browser, url, needles, screenshot, width=PHONE_WIDTH):
    """Loads `url` in a new tab, at phone width unless told; returns what the page did
    (console, requests) and what the probe found. Saves a screenshot of the
    whole page, overflow included."""
    target = browser.send("Target.createTarget", {"url": "about:blank"})["targetId"]
    session = browser.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
    try:
        for domain in ("Page", "Runtime", "Log", "Network"):
            browser.send(f"{domain}.enable", session=session)
        browser.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": PHONE_HEIGHT, "deviceScaleFactor": 1, "mobile": False},
            session,
        )
        navigation = browser.send("Page.navigate", {"url": url}, session)
        if navigation.get("errorText"):
            raise RuntimeError(f"chromium could not open {url}: {navigation['errorText']}")
        browser.wait_for_event(session, "Page.loadEventFired")
        args = json.dumps({"needles": needles, "markers": list(preview.HOSTILE_MARKERS)})
        result = browser.send(
            "Runtime.evaluate",
            {"expression": f"({PROBE})({args})", "awaitPromise": True, "returnByValue": True},
            session,
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"the probe failed on {url}: {result['exceptionDetails']}")
        probe = result["result"]["value"]
        # Overflow shows as extra width, up to a desktop's.
        shot_width = min(max(width, probe["scrollWidth"]), 1440)
        height = min(max(probe["scrollHeight"], 1), 12000)
        shot = browser.send(
            "Page.captureScreenshot",
            {
                "format": "png",
                "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": shot_width, "height": height, "scale": 1},
            },
            session,
        )
        screenshot.write_bytes(base64.b64decode(shot["data"]))
        return browser.events(session), probe
    finally:
        browser.send("Target.closeTarget", {"targetId": target})


# ---- The checks -------------------------------------------------------------------------

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param",
        "source", "track", "wbr", "basefont", "bgsound", "frame", "keygen"}
# Elements whose end tag HTML allows to be left out.
OPTIONAL_END = {"html", "head", "body", "p", "li", "dt", "dd", "tr", "td", "th", "thead",
                "tbody", "tfoot", "option", "optgroup", "colgroup", "caption", "rt", "rp"}


class _Structure(HTMLParser):
    """Tracks open elements the way a strict reader would: HTML's parser
    recovers from a missing end tag silently, by swallowing what follows."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.open = []
        self.problems = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.open.append((tag, self.getpos()[0]))

    def handle_endtag(self, tag):
        if tag in VOID:
            return
        names = [name for name, _ in self.open]
        if tag not in names:
            self.problems.append(f"</{tag}> on line {self.getpos()[0]} closes nothing")
            return
        while self.open:
            name, line = self.open.pop()
            if name == tag:
                break
            if name not in OPTIONAL_END:
                self.problems.append(f"<{name}> from line {line} is not closed before </{tag}>")

    def close(self):
        super().close()
        for name, line in self.open:
            if name not in OPTIONAL_END:
                self.problems.append(f"<{name}> from line {line} is never closed")


def check_structure(email):
    parser = _Structure()
    parser.feed(email)
    parser.close()
    return "; ".join(parser.problems[:5]) or None


def check_subject(subject):
    if subject is None:
        return None
    problems = []
    if re.search(r"<[a-zA-Z/!]", subject):
        problems.append("markup")
    if re.search(r"&(#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);", subject):
        problems.append("an HTML entity")
    if re.search(r"[\x00-\x1f\x7f]", subject):
        problems.append("a control character")
    return f"{', '.join(problems)} in {subject!r}" if problems else None


MARKUP_AS_TEXT = re.compile(r"<a\s|</a>|href=|<img|\">|&(lt|gt|amp|quot|#\d+|#x[0-9a-f]+);|\{####\}|\{username\}|\{##", re.I)


def page_events(events, url):
    """What a page did that it must not: console errors, uncaught
    exceptions and dialogs; every request besides `url` itself; and, of those,
    the ones the page's own Content-Security-Policy did not stop (DevTools
    also reports the loads a CSP stops before they leave, as blocked:csp)."""
    console = []
    requests = {}
    blocked = set()
    for method, params in events:
        if method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "assert"):
            text = " ".join(str(arg.get("value", arg.get("description", ""))) for arg in params.get("args", []))
            console.append(f"console.{params['type']}: {text[:120]}")
        elif method == "Runtime.exceptionThrown":
            details = params.get("exceptionDetails", {})
            console.append("uncaught: " + details.get("exception", {}).get("description", details.get("text", ""))[:120])
        elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
            if params["entry"].get("source") == "network":
                continue  # a failed load: the network check reports it
            console.append(f"log: {params['entry'].get('text', '')[:120]}")
        elif method == "Page.javascriptDialogOpening":
            console.append(f"a {params.get('type')} dialog: {params.get('message', '')[:80]}")
        elif method == "Network.requestWillBeSent":
            request_url = params.get("request", {}).get("url", "")
            if request_url != url and not request_url.startswith("data:"):
                requests[params["requestId"]] = f"request {request_url[:100]}"
        elif method == "Network.loadingFailed" and params.get("blockedReason") == "csp":
            blocked.add(params["requestId"])
        elif method == "Network.webSocketCreated":
            requests[params["requestId"]] = f"websocket {params.get('url', '')[:100]}"
    attempted = list(requests.values())
    unstopped = [text for ident, text in requests.items() if ident not in blocked]
    return console, attempted, unstopped


def verdicts(message, events, probe, url):
    """Every browser check's verdict: None when it passes, else what broke."""
    found = {}
    console, requests, _ = page_events(events, url)
    found["console"] = "; ".join(console) or None
    found["no_network"] = "; ".join(requests + [f"remote resource {r}" for r in probe["resources"]]) or None
    found["fits_360"] = (
        f"the content is {probe['scrollWidth']} px wide" if probe["scrollWidth"] > probe["viewport"] else None
    )
    hidden = [f"{name}: {why}" for name, why in probe["visible"].items() if why]
    found["code_visible"] = "; ".join(hidden) or None
    text = probe["text"]
    for value in preview.HOSTILE_ATTRIBUTES.values():
        text = text.replace(value, "")
    leaked = sorted({match[0] for match in MARKUP_AS_TEXT.finditer(text)})
    found["markup_as_text"] = f"the page shows {', '.join(map(repr, leaked))} as text" if leaked else None
    inert = probe["active"] + [f"attacker value in {u}" for u in probe["hostileUrls"]]
    found["inert"] = "; ".join(inert) or None
    found["bidi"] = ("left open in " + "; ".join(probe["bidi"][:3])) if probe["bidi"] else None
    language = message["used_locale"].split("-")[0].lower()
    found["rtl"] = (
        f"{message['used_locale']} is laid out {probe['direction']}"
        if language in RTL_LANGUAGES and probe["direction"] != "rtl"
        else None
    )
    return found


def check_messages(browser, messages, out_dir):
    """Checks each message; returns one result per message."""
    emails = out_dir / "emails"
    shots = out_dir / "screenshots"
    emails.mkdir(parents=True, exist_ok=True)
    shots.mkdir(parents=True, exist_ok=True)
    results = []
    for message in messages:
        name = f"{message['locale']}-{message['stem']}-{message['variant']}"
        failures = {
            "subject_plain": check_subject(message["subject"]),
        }
        screenshot = None
        email = message["email_delivered"]
        if email is not None:
            failures["well_formed"] = check_structure(email)
            path = emails / f"{name}.html"
            path.write_text(email, encoding="utf-8")
            screenshot = shots / f"{name}.png"
            needles = {"code": message["code"]}
            if message["username"]:
                needles["username"] = message["username"]
            events, probe = inspect(browser, path.as_uri(), needles, screenshot)
            failures.update(verdicts(message, events, probe, path.as_uri()))
        results.append({
            "name": name,
            "message": message,
            "failures": {check: why for check, why in failures.items() if why},
            "screenshot": screenshot,
        })
    return results


def write_report(results, out_dir, title):
    rows = []
    for result in results:
        failures = "".join(
            f"<li><b>{check}</b>: {html.escape(why)}</li>" for check, why in result["failures"].items()
        )
        verdict = f"<ul>{failures}</ul>" if failures else "<p>all checks pass</p>"
        image = (
            f'<img src="{result["screenshot"].relative_to(out_dir).as_posix()}" width="{PHONE_WIDTH}" alt="">'
            if result["screenshot"] else "<p>no email body (pool default)</p>"
        )
        rows.append(
            f'<section><h2>{html.escape(result["name"])}</h2>{verdict}{image}</section>'
        )
    checks = "".join(f"<li><b>{name}</b>: {html.escape(text)}</li>" for name, text in CHECKS.items())
    page = (
        f"<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; img-src 'self'; style-src 'unsafe-inline'\">"
        "<style>body{font-family:Arial,sans-serif;margin:24px}section{display:inline-block;vertical-align:top;"
        "margin:0 16px 24px 0;width:380px}h2{font-size:14px}img{border:1px solid #ccc}</style></head><body>"
        f"<h1>{title}</h1><p>Screenshots at {PHONE_WIDTH} px; overflow shows as extra width.</p><ul>{checks}</ul>"
        f"{''.join(rows)}</body></html>\n"
    )
    path = out_dir / "report.html"
    path.write_text(page, encoding="utf-8")
    return path


# ---- The runs -------------------------------------------------------------------------------


def run(browser, env, out_dir, locales, stems=None):
    function = preview.Function(preview.build_binary(), env)
    try:
        messages = preview.render(function, locales, list(preview.VARIANTS), stems)
    finally:
        function.stop()
    return check_messages(browser, messages, out_dir)


def check_gallery(browser, results, env, out_dir, broken):
    """The gallery of `make preview`, built from the same messages, must load
    nothing but itself: its email frames carry a CSP that stops whatever an
    email asks for. With the broken fixtures (`broken`), the CSP must be seen
    stopping the fixture's remote logo, and the console may show what it
    blocked; otherwise the console must be clean too."""
    typical = [r["message"] for r in results if r["message"]["variant"] == "typical"]
    path = preview.write_gallery(typical, out_dir / "gallery", env, env.get("TEMPLATES_DIR"))
    events, _ = inspect(browser, path.as_uri(), {}, out_dir / "gallery" / "screenshot.png", width=1280)
    console, attempted, unstopped = page_events(events, path.as_uri())
    problems = [f"{text} was not stopped by the frame's CSP" for text in unstopped]
    if broken and len(attempted) == len(unstopped):
        problems.append("no load was stopped by the frame CSP, yet a fixture links a remote logo")
    return problems + ([] if broken else console)


def self_test(browser, out_dir):
    """The broken fixture templates must fail exactly as expected.json says."""
    expected = json.loads((FIXTURE / "expected.json").read_text(encoding="utf-8"))["cases"]
    templates = FIXTURE / "templates"
    env = {**preview.BRAND, "TEMPLATES_DIR": str(templates)}
    stems = {tuple(case.split("/")) for case in expected}
    locales = sorted({locale for locale, _ in stems})
    results = run(browser, env, out_dir, locales, stems)
    problems = []
    caught = set()
    for result in results:
        message = result["message"]
        case = f"{message['locale']}/{message['stem']}"
        want = set(expected[case].get(message["variant"], []))
        got = set(result["failures"])
        caught |= got & want
        if got != want:
            problems.append(
                f"{result['name']}: expected failures {sorted(want) or 'none'}, got {sorted(got) or 'none'}"
                + "".join(f"\n      {check}: {why}" for check, why in result["failures"].items())
            )
    missing = set(CHECKS) - caught
    if missing:
        problems.append(f"no fixture proves that these checks can fail: {sorted(missing)}")
    problems += [f"gallery: {p}" for p in check_gallery(browser, results, env, out_dir, broken=True)]
    return results, problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default=str(preview.TARGET_DIR / "browser-check"))
    parser.add_argument("--skip-self-test", action="store_true", help="only check the real templates")
    args = parser.parse_args()
    out_dir = Path(args.out).resolve()
    if out_dir.exists():
        shutil.rmtree(out_dir)
    out_dir.mkdir(parents=True)

    env = preview.brand_env()
    locales = preview.locales_to_render(env.get("TEMPLATES_DIR"))
    with tempfile.TemporaryDirectory(prefix="browser-check-") as profile:
        browser = Chromium(find_chromium(), profile, out_dir / "chromium.log")
        try:
            version = browser.send("Browser.getVersion")["product"]
            results = run(browser, env, out_dir, locales)
            gallery_problems = check_gallery(browser, results, env, out_dir, broken=False)
            self_results, self_problems = ([], []) if args.skip_self_test else self_test(browser, out_dir / "self-test")
        finally:
            browser.close()

    report = write_report(results, out_dir, "custom-message: browser check")
    failed = [r for r in results if r["failures"]]
    isolation = "in a network namespace with no interface up" if browser.isolated else "host names unresolvable"
    print(f"browser check ({version}, {isolation}): {len(results)} emails, {len(CHECKS)} checks each")
    for result in failed:
        for check, why in result["failures"].items():
            print(f"  FAIL {result['name']}: {check}: {why}")
    for problem in gallery_problems:
        print(f"  FAIL gallery: {problem}")
    if not args.skip_self_test:
        write_report(self_results, out_dir / "self-test", "custom-message: browser check, broken fixtures")
        if self_problems:
            print(f"  self-test FAILED on the broken templates of {FIXTURE.relative_to(ROOT)}:")
            for problem in self_problems:
                print(f"    {problem}")
        else:
            print(f"  self-test: the {len(self_results)} broken-fixture emails fail exactly as expected")
    print(f"  screenshots and report: {report}")
    if failed or gallery_problems or self_problems:
        sys.exit(1)


if __name__ == "__main__":
    main()
