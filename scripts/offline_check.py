#!/usr/bin/env python3
"""Checks, in headless chromium, that the pages meant to work with no network really do: the server is
started, the pages are opened once, then the server is STOPPED (not merely emulated offline: a service
worker's own requests would not see an emulated outage), and the checks run against nothing.

Steps (each capability may add its own below `verifier_steps`):
  1. /verify opened online installs the service worker and keeps the trust list;
  2. with the server stopped, /verify still loads, accepts a code signed by this deployment and
     rejects the same code with one character changed;
  3. the server comes back, and the page works online again.

    python3 scripts/offline_check.py --binary .build/debug/epicommand --database /tmp/x/demo.sqlite [--port 8099] [--out DIR]

The database is used as is (demo data is not needed for the verifier); keys live beside it.
"""
import argparse, os, signal, subprocess, sys, tempfile, time, urllib.request
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait


class Server:
    def __init__(self, binary, database, port, log):
        # --demo seeds the demo (permits, certificates, accounts) into an empty database, once.
        self.args = [binary, "serve", "--demo", "--port", str(port), "--database", database]
        self.url = f"http://127.0.0.1:{port}"
        self.log, self.process = log, None

    def start(self):
        self.process = subprocess.Popen(self.args, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(120):
            try:
                urllib.request.urlopen(self.url + "/health", timeout=1)
                return
            except Exception:  # noqa: BLE001 - not up yet
                time.sleep(0.5)
        raise RuntimeError("server did not start")

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            self.process.wait(timeout=30)
        # Nothing may answer any more: the checks that follow are truly offline.
        try:
            urllib.request.urlopen(self.url + "/health", timeout=1)
            raise RuntimeError("the server still answers")
        except OSError:
            pass


def sample_code(binary, database, purpose):
    out = subprocess.run([binary, "keys", "sample", "--purpose", purpose, "--database", database], capture_output=True, text=True, check=True)
    return out.stdout.strip().splitlines()[-1]


class Check:
    def __init__(self, out):
        self.out, self.passed = out, 0
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=390,844", "--lang=vi"]:
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.wait = WebDriverWait(self.driver, 20)

    def step(self, name, fn):
        try:
            fn()
        except Exception as error:  # noqa: BLE001 - every failure is reported the same way
            shot = os.path.join(self.out, f"offline-failed-{self.passed + 1}.png")
            self.driver.save_screenshot(shot)
            print(f"FAIL {name}: {error!r}\n  url: {self.driver.current_url}\n  screenshot: {shot}")
            print(self.driver.page_source[:2000])
            self.driver.quit()
            print(f"offline check: {self.passed} steps passed, 1 failed")
            sys.exit(1)
        self.passed += 1
        self.driver.save_screenshot(os.path.join(self.out, f"offline-{self.passed}.png"))
        print(f"ok   {name}")

    def verdict(self, code):
        d = self.driver
        box = self.wait.until(EC.visibility_of_element_located((By.ID, "code-input")))
        box.clear()
        d.execute_script("arguments[0].value = arguments[1];", box, code)
        # The previous verdict goes first: waiting for "a verdict" must not find the last check's, which the
        # page is about to replace (a stale element).
        d.execute_script("var v = document.getElementById('verdict'); if (v) { v.remove(); }")
        d.find_element(By.ID, "verify-button").click()
        return self.wait.until(lambda _: d.find_element(By.ID, "verdict") if d.find_elements(By.ID, "verdict") else None)


def tampered(code):
    i = len(code) - 12
    return code[:i] + ("A" if code[i] != "A" else "B") + code[i + 1:]


def verifier_steps(c, server, binary, database):
    d = c.driver
    code = sample_code(binary, database, "declaration")

    def online_first():
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "Danh sách khóa tin cậy" in d.find_element(By.ID, "trust-info").text)
        # The service worker is in control before the network goes away (it claims the page on activation).
        controlled = "return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"
        try:
            WebDriverWait(d, 10).until(lambda _: d.execute_script(controlled))
        except Exception:  # noqa: BLE001 - one reload hands the page to an already active worker
            d.refresh()
            c.wait.until(lambda _: d.execute_script(controlled))
        v = c.verdict(code)
        assert v.get_attribute("data-status") == "valid", v.text

    def offline():
        server.stop()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "Không có mạng" in d.find_element(By.ID, "trust-info").text)
        v = c.verdict(code)
        assert v.get_attribute("data-status") == "valid", v.text
        assert "Hợp lệ" in v.text, v.text
        bad = c.verdict(tampered(code))
        assert bad.get_attribute("data-status") in ("bad_signature", "malformed"), bad.get_attribute("data-status")

    def back_online():
        server.start()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "vừa cập nhật" in d.find_element(By.ID, "trust-info").text)

    c.step("the verifier opened online keeps the trust list (service worker in control)", online_first)
    c.step("with the server stopped, the verifier accepts a signed code and rejects a changed one", offline)
    c.step("the server is back and the verifier works online again", back_online)


def movement_steps(c, server, database):
    """A checkpoint officer (demo account chot.minhkhai) checks a travel permit with the server stopped; the
    check waits on the phone and reaches the server once, when it is back. Needs a `serve --demo` database."""
    import sqlite3
    con = sqlite3.connect(database)
    row = con.execute("SELECT code, number FROM permits WHERE status = 'issued' AND code IS NOT NULL AND business_id IS NOT NULL ORDER BY number LIMIT 1").fetchone()
    officer = con.execute("SELECT 1 FROM users WHERE username = 'chot.minhkhai'").fetchone()
    # Bạch Mai's market voucher: valid only in Bạch Mai, so "wrong zone" at Minh Khai's checkpoint.
    elsewhere = con.execute("SELECT code, number FROM permits WHERE status = 'issued' AND code IS NOT NULL AND zones = '01/007/00286' ORDER BY number LIMIT 1").fetchone()
    con.close()
    if not row or not officer or not elsewhere:
        def missing():
            raise AssertionError("no demo permit or checkpoint account in this database")
        c.step("the demo has a permit and a checkpoint account", missing)
        return
    code, number = row
    d = c.driver
    queued = "return (JSON.parse(localStorage.getItem('epi.checkQueue') || '[]')).length"

    def rows(permit=number):
        con = sqlite3.connect(database)
        n = con.execute("SELECT COUNT(*) FROM checkpoint_checks WHERE permit_number = ? AND officer = 'chot.minhkhai'", (permit,)).fetchone()[0]
        con.close()
        return n

    def results(permit):
        con = sqlite3.connect(database)
        found = [r[0] for r in con.execute("SELECT result FROM checkpoint_checks WHERE permit_number = ? AND officer = 'chot.minhkhai'", (permit,))]
        con.close()
        return found

    before = {}

    def online():
        d.get(server.url + "/login")
        c.wait.until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#login-form input[name=username]"))).send_keys("chot.minhkhai")
        d.find_element(By.CSS_SELECTOR, "#login-form input[name=password]").send_keys("Demo@2021")
        d.find_element(By.CSS_SELECTOR, "#login-form button[type=submit], #login-form input[type=submit]").click()
        c.wait.until(lambda _: "/login" not in d.current_url)
        d.get(server.url + "/movement/check")
        c.wait.until(lambda _: d.execute_script("return !!localStorage.getItem('epi.checkpoint') && !!localStorage.getItem('epi.permitRevocations')"))
        d.get(server.url + "/verify")
        c.wait.until(lambda _: d.execute_script("return !!(navigator.serviceWorker && navigator.serviceWorker.controller)"))
        # The plug-in is kept on the phone too (the page asks the worker for its plug-ins).
        c.wait.until(lambda _: d.execute_script("return caches.match('/static/verify-permit.js').then(function (r) { return !!r; })"))
        before["n"] = rows()

    def offline():
        server.stop()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "Không có mạng" in d.find_element(By.ID, "trust-info").text)
        c.verdict(code)
        v = c.wait.until(EC.visibility_of_element_located((By.ID, "permit-verdict")))
        assert v.get_attribute("data-verdict") == "valid", v.text
        # The code's own dates are judged by the server's (demo) day too: no "expired" above a valid permit.
        assert d.find_element(By.ID, "verdict").get_attribute("data-status") == "valid", d.find_element(By.ID, "verdict").text
        assert d.execute_script(queued) == 1, d.execute_script(queued)
        before["queue"] = d.execute_script("return localStorage.getItem('epi.checkQueue')")

    def back_online():
        server.start()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: d.execute_script(queued) == 0)
        assert rows() == before["n"] + 1, (rows(), before["n"])
        # The same batch sent again (the phone lost the first answer) stores nothing twice.
        status = d.execute_async_script("""
            var done = arguments[arguments.length - 1], cfg = JSON.parse(localStorage.getItem('epi.checkpoint'));
            fetch('/api/v1/movement/checks/batch', {method: 'POST', credentials: 'same-origin',
              headers: {'Content-Type': 'application/json', 'X-CSRF-Token': cfg.csrf}, body: JSON.stringify({checks: JSON.parse(arguments[0])})})
              .then(function (r) { return r.json(); }).then(function (b) { done(b.data); }, function (e) { done(String(e)); });""", before["queue"])
        assert status.get("stored") == 0 and status.get("duplicates") == 1, status
        assert rows() == before["n"] + 1

    def wrong_zone():
        other_code, other_number = elsewhere
        before["elsewhere"] = results(other_number)
        server.stop()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "Không có mạng" in d.find_element(By.ID, "trust-info").text)
        c.verdict(other_code)
        v = c.wait.until(EC.visibility_of_element_located((By.ID, "permit-verdict")))
        assert v.get_attribute("data-verdict") == "wrong_zone", v.get_attribute("data-verdict")
        assert "Sai vùng" in v.text, v.text
        # The code is genuine and in date, and the headline is the permit's answer: one verdict, not "valid" above it.
        head = d.find_element(By.ID, "verdict")
        assert head.get_attribute("data-status") == "valid" and "Sai vùng" in head.text and "error" in head.get_attribute("class"), head.text
        assert d.execute_script(queued) == 1, d.execute_script(queued)
        d.save_screenshot(os.path.join(c.out, "offline-wrong-zone.png"))
        server.start()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: d.execute_script(queued) == 0)
        assert results(other_number) == before["elsewhere"] + ["wrong_zone"], results(other_number)

    c.step("a checkpoint officer opens the checkpoint page and the verifier online (keys, revocations kept)", online)
    c.step("with the server stopped, the officer checks a permit: valid, and the check waits on the phone", offline)
    c.step("the server is back: the queued check is uploaded once", back_online)
    c.step("offline, another ward's voucher reads 'Sai vùng' at this checkpoint; the check reaches the server as wrong_zone", wrong_zone)


def vaccination_steps(c, server, database):
    """Certificates of the demo database (VaccinationDemo): one valid, one revoked. Skipped without them."""
    import sqlite3
    try:
        with sqlite3.connect(database) as db:
            rows = db.execute("SELECT c.payload, EXISTS (SELECT 1 FROM certificate_revocations r WHERE r.uvci = c.uvci) FROM vaccine_certificates c").fetchall()
    except sqlite3.Error:
        rows = []
    valid = next((p for p, r in rows if not r), None)
    revoked = next((p for p, r in rows if r), None)
    if not valid or not revoked:
        def missing():
            raise AssertionError("no demo certificates (valid and revoked) in the database")
        c.step("the demo has a valid and a revoked certificate", missing)
        return
    d = c.driver

    def online():
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "vừa cập nhật" in d.find_element(By.ID, "trust-info").text)
        v = c.verdict(valid)
        assert v.get_attribute("data-status") == "valid", v.text
        assert d.find_elements(By.ID, "holder"), "no holder shown"
        r = c.verdict(revoked)
        assert r.get_attribute("data-status") == "revoked", r.get_attribute("data-status")

    def offline():
        server.stop()
        d.get(server.url + "/verify")
        c.wait.until(lambda _: "Không có mạng" in d.find_element(By.ID, "trust-info").text)
        v = c.verdict(valid)
        assert v.get_attribute("data-status") == "valid", v.text
        assert "Ngày sinh" in d.find_element(By.ID, "holder").text
        r = c.verdict(revoked)
        assert r.get_attribute("data-status") == "revoked", r.get_attribute("data-status")
        bad = c.verdict(tampered(valid))
        assert bad.get_attribute("data-status") in ("bad_signature", "malformed"), bad.get_attribute("data-status")
        server.start()

    c.step("online, a vaccination certificate shows its holder and a revoked one reads revoked", online)
    c.step("with the server stopped, the certificate is valid, the revoked one revoked (last sync), a changed one rejected", offline)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", default=".build/debug/epicommand")
    parser.add_argument("--database", required=True)
    parser.add_argument("--port", type=int, default=8099)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="epi-offline-")
    os.makedirs(out, exist_ok=True)
    log = open(os.path.join(out, "server.log"), "ab")
    server = Server(args.binary, args.database, args.port, log)
    server.start()
    c = Check(out)
    try:
        verifier_steps(c, server, args.binary, args.database)
        movement_steps(c, server, args.database)
        vaccination_steps(c, server, args.database)
    finally:
        c.driver.quit()
        server.stop() if server.process and server.process.poll() is None else None
    print(f"offline check: {c.passed} steps passed, 0 failed (screenshots in {out})")


if __name__ == "__main__":
    main()
