"""A student's view, in a real browser: JupyterLab runs the convolution lecture and the
filter-sliding widget answers when its slider moves.

JupyterLab is started on 127.0.0.1 (a free port, a token, settings and runtime folders of its
own) on a copy of the repository; headless Chromium from Debian (/usr/bin/chromium), driven by
Playwright for Python, opens course/01_convolution.ipynb, runs every cell from the Run menu,
reads the first filter-sliding widget's product-sum and output map (the lecture's worked
example), moves its position slider with the keyboard and checks that both changed to the next
window's product-sum and the next output cell. Screenshots go to test-artifacts/ (git-ignored).

Needs: `bash tools/ci-system-deps.sh` (chromium, chromium-driver, Japanese fonts) and the
`playwright` pip package (the test extra). Playwright's own browser download is never used.
Runtime: about 30 s.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = "course/01_convolution.ipynb"
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = Path("/usr/bin/chromium")
INSTALL_HINT = ("install it with `bash tools/ci-system-deps.sh` (as root: Debian's chromium, "
                "chromium-driver and fonts-noto-cjk) and `pip install -e '.[test]'` (playwright)")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]

# The lecture's worked example, written out by hand (input [[1,2,3,4],[4,3,2,1],[0,1,2,3],[3,2,1,2]],
# kernel [[1,0,2],[0,2,0],[1,1,-1]]): the windows at (0, 0) and (0, 1).
FIRST_WINDOW = "1×1 + 2×0 + 3×2 + 4×0 + 3×2 + 2×0 + 0×1 + 1×1 + 2×(−1) = 12"
SECOND_WINDOW = "2×1 + 3×0 + 4×2 + 3×0 + 2×2 + 1×0 + 1×1 + 2×1 + 3×(−1) = 14"

SERVER_START_S = 120
RUN_ALL_S = 240
WIDGET_CHANGE_S = 30

pytestmark = pytest.mark.timeout(600)


def _copy_repository(dest):
    """Copy the files a clone of the repository has (tracked or new, not ignored) to ``dest``."""
    listed = subprocess.run(["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
                            cwd=REPO, capture_output=True, check=True).stdout
    for name in filter(None, listed.decode().split("\0")):
        if (REPO / name).is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(REPO / name, dest / name)


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _write_lab_settings(settings_dir):
    """No news or update pop-ups over the notebook (they would need the network anyway)."""
    path = settings_dir / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    path.parent.mkdir(parents=True)
    path.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))


@pytest.fixture(scope="module")
def playwright_chromium():
    """Playwright's sync API and the path of Debian's Chromium; fail (never skip) if missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail(f"the playwright Python package is missing: {INSTALL_HINT}")
    if not (CHROMIUM.is_file() and os.access(CHROMIUM, os.X_OK)):
        pytest.fail(f"{CHROMIUM} is missing: {INSTALL_HINT}")
    return sync_playwright


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on 127.0.0.1 serving a copy of the repository; yields its base URL
    and token. The server is stopped (then killed if need be) when the module's tests end."""
    root = tmp_path_factory.mktemp("lab")
    served = root / "repo"
    served.mkdir()
    _copy_repository(served)
    for name in ("settings", "workspaces", "runtime", "config"):
        (root / name).mkdir()
    _write_lab_settings(root / "settings")

    token = secrets.token_hex(16)
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JUPYTER")}
    env.update(JUPYTERLAB_SETTINGS_DIR=str(root / "settings"),
               JUPYTERLAB_WORKSPACES_DIR=str(root / "workspaces"),
               JUPYTER_RUNTIME_DIR=str(root / "runtime"), JUPYTER_CONFIG_DIR=str(root / "config"),
               CNNLAB_LANG="ja", PYTHONUNBUFFERED="1")
    log_path = root / "jupyterlab.log"
    log = open(log_path, "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.open_browser=False",
         "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
         f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={served}",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         # no network here: the extension manager must not query PyPI
         "--LabApp.extension_manager=readonly",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        cwd=served, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True)  # its own process group: the kernels it starts end with it
    base = f"http://127.0.0.1:{port}"
    # Straight to 127.0.0.1, whatever http_proxy says.
    http = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    try:
        deadline = time.monotonic() + SERVER_START_S
        while True:
            if server.poll() is not None:
                pytest.fail(f"JupyterLab exited with {server.returncode}:\n{log_path.read_text()[-4000:]}")
            try:
                with http.open(f"{base}/api/status?token={token}", timeout=5) as reply:
                    if reply.status == 200:
                        break
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"JupyterLab did not answer within {SERVER_START_S} s:\n"
                            f"{log_path.read_text()[-4000:]}")
            time.sleep(0.5)
        yield {"base": base, "token": token, "log": log_path, "http": http}
    finally:
        _stop_server(server, http, base, token)
        log.close()


def _stop_server(server, http, base, token):
    """Ask JupyterLab to shut down (kernels included); terminate, then kill its group if it hangs."""
    if server.poll() is None:
        try:
            http.open(urllib.request.Request(f"{base}/api/shutdown?token={token}", method="POST"),
                      timeout=10).close()
        except OSError:
            pass
    for stop, wait_s in ((None, 20), (signal.SIGTERM, 15), (signal.SIGKILL, 15)):
        if stop is not None:
            try:
                os.killpg(server.pid, stop)
            except ProcessLookupError:
                pass
        try:
            server.wait(timeout=wait_s)
            break
        except subprocess.TimeoutExpired:
            continue
    try:  # a kernel that outlived the server: same process group
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


@pytest.fixture
def page(playwright_chromium, lab):
    """A fresh headless Chromium page; console errors are collected in ``page.console_errors``."""
    with playwright_chromium() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS,
                                    headless=True, timeout=60_000)
        try:
            context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="ja-JP")
            page = context.new_page()
            page.set_default_timeout(60_000)
            page.console_errors = []
            page.on("console", lambda m: m.type == "error" and page.console_errors.append(m.text))
            page.on("pageerror", lambda e: page.console_errors.append(str(e)))
            yield page
        finally:
            browser.close()


def _filled_cells(widget):
    """The texts of the output map's filled cells, in reading order."""
    return widget.locator("table.cnnlab-output-map td.filled").all_inner_texts()


def _snapshot(widget):
    return {"product_sum": widget.locator(".cnnlab-product-sum").first.inner_text().strip(),
            "filled": _filled_cells(widget)}


def _wait_for_change(page, widget, before, timeout_s):
    """Poll the widget until both the product-sum and the filled cells differ from ``before``."""
    deadline = time.monotonic() + timeout_s
    now = _snapshot(widget)
    while time.monotonic() < deadline:
        now = _snapshot(widget)
        if now["product_sum"] != before["product_sum"] and now["filled"] != before["filled"]:
            return now
        page.wait_for_timeout(200)
    return now


def _fail_with_screenshot(page, name, message):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    pytest.fail(f"{message} (screenshot: test-artifacts/{name})")


def _wait_for_kernel(lab, timeout_s=120):
    """Until the notebook's kernel is up, idle and the browser is connected to it.

    The toolbar's execution indicator says "idle" even before a kernel exists, so ask the server.
    """
    deadline = time.monotonic() + timeout_s
    kernels = []
    while time.monotonic() < deadline:
        with lab["http"].open(f"{lab['base']}/api/kernels?token={lab['token']}", timeout=10) as reply:
            kernels = json.load(reply)
        if any(k["execution_state"] == "idle" and k["connections"] >= 1 for k in kernels):
            return
        time.sleep(0.5)
    pytest.fail(f"no connected, idle kernel within {timeout_s} s: {kernels}")


def _run_all_cells(page):
    """Run ▸ Run All Cells, as a student would, and wait until every code cell has run."""
    notebook = page.locator(".jp-NotebookPanel:not(.lm-mod-hidden) .jp-Notebook")
    prompts_of_code = notebook.locator(".jp-CodeCell .jp-InputArea-prompt")

    def prompts():
        return [p.strip() for p in prompts_of_code.all_text_contents()]  # off-screen cells too

    notebook.locator(".jp-Cell").first.click()  # the notebook, not the file browser, is current
    page.locator(".lm-MenuBar-item", has_text=re.compile(r"^(Run|実行)$")).click()
    page.locator('.lm-Menu-item[data-command="runmenu:run-all"]').click()
    deadline = time.monotonic() + RUN_ALL_S
    while True:
        now = prompts()
        if now and all(re.fullmatch(r"\[\d+\]:", p) for p in now):
            return notebook
        if time.monotonic() > deadline:
            _fail_with_screenshot(page, "browser_run_all_failed.png",
                                  f"the notebook did not finish running within {RUN_ALL_S} s; prompts: {now}")
        page.wait_for_timeout(500)


def test_filter_sliding_widget_moves_in_jupyterlab(page, lab):
    ARTIFACTS.mkdir(exist_ok=True)
    url = f"{lab['base']}/lab/tree/{NOTEBOOK}?token={lab['token']}"
    page.goto(url, wait_until="domcontentloaded")
    page.locator(".jp-NotebookPanel .jp-Notebook .jp-Cell").first.wait_for(state="visible")
    _wait_for_kernel(lab)

    notebook = _run_all_cells(page)
    errors = notebook.locator('.jp-OutputArea-output[data-mime-type="application/vnd.jupyter.stderr"]')
    tracebacks = [t for t in errors.all_inner_texts() if "Traceback" in t or "Error" in t]
    assert not tracebacks, "a cell failed in the browser:\n" + "\n---\n".join(tracebacks)

    # The first filter-sliding widget: the output area that holds a position slider.
    slider = notebook.locator(".cnnlab-position").first
    slider.wait_for(state="visible", timeout=60_000)
    widget = notebook.locator(".jp-OutputArea").filter(has=page.locator(".cnnlab-position")).first
    widget.locator(".cnnlab-product-sum").first.wait_for(state="visible")
    widget.locator("table.cnnlab-output-map").first.wait_for(state="visible")
    assert widget.locator("table.cnnlab-input-grid").count() >= 1, "the input grid is not drawn"
    widget.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "browser_filter_sliding_before.png"))

    # The first widget is the lecture's worked example (curriculum.md): a 4x4 input, a 3x3 kernel.
    before = _snapshot(widget)
    assert FIRST_WINDOW in before["product_sum"], before
    assert before["filled"] == ["12"], before

    # Move the filter one step: focus the slider's handle and press the right arrow key.
    handle = slider.locator(".noUi-handle").first
    handle.click()
    handle.press("ArrowRight")
    after = _wait_for_change(page, widget, before, WIDGET_CHANGE_S)
    widget.scroll_into_view_if_needed()
    page.screenshot(path=str(ARTIFACTS / "browser_filter_sliding.png"))
    widget.screenshot(path=str(ARTIFACTS / "browser_filter_sliding_widget.png"))

    assert after["product_sum"] != before["product_sum"], (
        f"the product-sum did not change when the slider moved: {before['product_sum']!r}")
    assert after["filled"] != before["filled"], (
        f"the output map did not change when the slider moved: {before['filled']} -> {after['filled']}")
    # One step right: the window's top-left corner is now (0, 1).
    assert SECOND_WINDOW in after["product_sum"], after
    assert after["filled"] == ["12", "14"], after
    assert not [e for e in page.console_errors if "widget" in e.lower()], page.console_errors
