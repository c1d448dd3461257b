#!/usr/bin/env python3
"""Sweeps every page every demo role can reach, on a phone and a desktop screen, in Vietnamese and English.

For each demo account the sweep signs in, crawls the same-origin links it is shown (breadth-first from
"/" and its menu, GET only, one page per route pattern), then visits every page found at each width and
in each language, and fails on what a user would see as broken:

  contrast   an interactive element (a, button, input[type=submit|button], select, summary) whose text
             colour is the same as the background it is drawn on (e.g. button.link white on white);
  overflow   the page scrolls sideways (documentElement.scrollWidth > innerWidth + 1); the outermost
             elements that stick out are reported;
  raw-words  developer words on a Vietnamese page: English status/action values, snake_case keys,
             template braces, Swift "Optional(", ISO week labels (2026-W49); the raw-key part
             (snake_case, braces, Optional() is also checked on English pages;
  vi-on-en   Vietnamese UI words, or Vietnamese thousands separators (30.000), on an English page;
  dashboard  the dashboard's key figures (#dashboard-figures) do not start within the first 1,000 px;
  error      a page reached by following a link answers an error (HTTP >= 400, the app's #error-page,
             or a bounce to the sign-in page).

Every page prints one line "ok" or "FAIL"; a summary grouped by problem follows; exit status 1 when
anything failed. Screenshots (full page, offending elements outlined in magenta) of each failing page,
and of the home page and the dashboard for every role/width/language, go to --out as
{role}-{width}-{lang}-{slug}.png; results.json there holds every finding.

    python3 scripts/browser_sweep.py --base-url http://127.0.0.1:8080 [--out DIR] [--roles p.minhkhai,q.haibatrung]
        [--widths 390,1440] [--langs vi,en] [--max-pages 35]

Each page is loaded once per language and checked at every width by resizing the window (the pages
are server-rendered, so the DOM does not depend on the width). <details> are opened after the
as-served checks, so text and overflow inside them count too.
"""
import argparse
import base64
import json
import os
import re
import sys
import tempfile
import time
import traceback
from collections import OrderedDict, defaultdict
from urllib.parse import urljoin, urlsplit, parse_qsl

from selenium import webdriver
from selenium.common.exceptions import TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

PASSWORD = "Demo@2021"

# Demo accounts of `serve --demo` (Sources/EpiApp/Seeding/DemoSeed.swift), in the order they are swept.
DEMO_ACCOUNTS = [
    "tp.chihuy",       # city command (Sở Chỉ huy Thành phố), unit 01
    "q.haibatrung",    # district command, Hai Bà Trưng (01/007)
    "p.minhkhai",      # ward command, Minh Khai (01/007/00295)
    "nl.minhkhai",     # ward data entry, Minh Khai
    "to.minhkhai",     # community COVID team, TDP 1 Minh Khai (01/007/00295/TDP01)
    "gs.minhkhai",     # supervisor (MTTQ), Minh Khai
    "p.bachmai",       # ward command, Bạch Mai (01/007/00286)
    "q.longbien",      # district command, Long Biên (01/004)
    "chot.minhkhai",   # checkpoint, Minh Khai
    "kcl.haibatrung",  # quarantine facility management, Hai Bà Trưng (01/007)
]
PUBLIC = "public"  # not signed in: the sign-in page and the public hotline directory
PUBLIC_START = ["/hotlines", "/login"]

# ---------------------------------------------------------------------------------------------------
# Word lists.
#
# English status values, audit actions and other stored enum values that must never show on a
# Vietnamese page. Matched as whole words and case-sensitively in lowercase anywhere in the visible
# text ("active" in a sentence is a leaked value; "Active" inside a name is not). A capitalised or
# upper-case form ("Pending", "OPEN") is also reported, but only when it is the whole text of an
# element (a badge or a table cell), where it is a leaked label rather than part of a name or sentence.
RAW_STATUS_WORDS = [
    # statuses asked for
    "active", "pending", "negative", "positive", "requested", "dispatched", "arrived", "cancelled",
    "completed", "released", "open", "closed", "done", "overdue",
    # other stored values of the domain's enums (tasks, jobs, cases, quarantine, zones, reports)
    "failed", "lifted", "recovered", "transferred", "died", "locked", "submitted", "handled", "urgent",
    "late", "missing", "asymptomatic", "mild", "moderate", "severe", "critical", "permanent", "temporary",
    "male", "female", "household", "workplace", "market", "transport", "healthcare", "community",
    "lockdown", "arrival", "hospital", "facility", "daily", "weekly", "queued", "running", "expired",
]
# Stored contact levels; "F0", "F1", "F2" are the Vietnamese terms, only the lowercase values are raw.
RAW_LEVEL_VALUES = ["f0", "f1", "f2", "f1_vaccinated"]
RAW_AUDIT_ACTIONS = [
    "login", "logout", "post", "view", "create", "update", "delete", "merge", "import", "export", "seed",
    "revoke", "remind", "recompute", "quarantine", "lift", "handle", "extend", "exposure", "close",
    "assess", "supply",
    "case_opened", "list_view", "search_view", "login_failed", "test_result",
]
# Field keys that are not snake_case (snake_case keys such as person_id, care_setting are caught by
# SNAKE_CASE below and need not be listed).
RAW_FIELD_KEYS = ["citizenId", "unitPath", "personId", "displayName", "caseId", "nil", "null", "undefined", "NaN"]
# snake_case identifiers: person_id, care_setting, ward_daily, case_opened ...
SNAKE_CASE = r"(?<![\w./:=-])[a-z]+(?:_[a-z0-9]+)+(?![\w])"
# CSV column names that the import pages document on purpose (the header a user's file must have:
# ResidentImport.header and the contact import of PersonContacts). They are not reported when a text
# lists at least three of them, i.e. in the column help; anywhere else they are raw keys.
CSV_COLUMN_NAMES = ["ho_ten", "gioi_tinh", "ngay_sinh", "so_dinh_danh", "cmnd", "so_dien_thoai", "dia_chi", "ma_phuong",
                    "to_dan_pho", "ma_ho", "tinh_trang_cu_tru", "cu_tru_den", "ngay_tiep_xuc", "hinh_thuc", "ghi_chu"]
# Template and Swift leftovers, checked on both languages (literal substrings).
RAW_TOKENS = ["{{", "}}", "[[\"", "Optional(", "<null>", "\\(", "%@"]
# ISO week labels (2026-W49): a Vietnamese page says "Tuần 49/2026".
ISO_WEEK = r"\b\d{4}-W\d{2}\b"

# Vietnamese UI words that must not show on an English page. Only words of the interface, never parts
# of people's or places' names (Nguyễn, Phường Minh Khai, Quận Hai Bà Trưng, Tổ dân phố ... are data).
# Matched as whole words, case-sensitively.
VIETNAMESE_UI_WORDS = [
    "Kịch bản", "Đúng hạn", "đúng hạn", "Muộn", "muộn", "giường", "Giường", "Chưa", "chưa", "Tổng", "tổng",
    "Đã", "đã", "Tuần", "tuần", "Ngày", "ngày", "Tháng", "tháng", "Năm", "năm", "Hạn", "hạn",
    "Báo cáo", "báo cáo", "Số liệu", "số liệu", "Xem", "xem", "Sửa", "sửa", "Thêm", "thêm", "Xóa", "xóa",
    "Lưu", "lưu", "Gửi", "gửi", "Hủy", "hủy", "Đóng", "đóng", "Mở", "mở", "Tìm", "tìm", "Không", "không",
    "Có", "có", "và", "của", "người", "Người", "ca", "Ca", "cách ly", "Cách ly", "xét nghiệm", "Xét nghiệm",
    "dương tính", "âm tính", "Dương tính", "Âm tính", "tiếp xúc", "Tiếp xúc", "khỏi", "Khỏi", "tử vong",
    "Tử vong", "nhà", "tại nhà", "Tại nhà", "trang", "Trang", "Đăng", "đăng", "nhập", "Nhập", "xuất", "Xuất",
    "Mức", "mức", "nguy cơ", "Nguy cơ", "vùng", "Vùng", "phong tỏa", "Phong tỏa", "Nhiệm vụ", "nhiệm vụ",
    "Trao đổi", "Điều hành", "Chỉ tiêu", "chỉ tiêu", "đơn vị", "Đơn vị", "Tất cả", "tất cả", "Mới", "mới",
    "Khẩn", "khẩn", "Xử lý", "xử lý", "Lý do", "lý do", "Ghi chú", "ghi chú", "Trạng thái", "trạng thái",
    "Công suất", "công suất", "chỗ", "Chỗ", "còn", "Còn", "trống", "Trống", "dự báo", "Dự báo",
]
# Vietnamese thousands separators (30.000, 1.234.567) on an English page. A leading zero (unit codes
# such as 01.007.00295) or a 2-digit group (dates such as 10.09.2021) does not match; the number may
# not be glued to other digits, dots or letters (versions 1.2.3, decimals 0.125, ids).
VI_THOUSANDS = r"(?<![\w.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\w.]|,\d)"

# ---------------------------------------------------------------------------------------------------
# Crawl rules.
SKIP_PATH = re.compile(r"^/(logout|lang/|static/|api/|health|metrics)|\.(csv|xlsx|xls|pdf|json|zip)$|export", re.I)
UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)
LONG_DIGITS = re.compile(r"^\d{4,}$")
UNIT = re.compile(r"^\d{2}(?:\.\d{3}(?:\.\d{5}(?:\.[A-Za-z0-9]+)?)?)?$")
PERIOD = re.compile(r"^\d{4}-(?:W\d{2}|\d{2}(?:-\d{2})?)$")
KEY_QUERY = ["view"]  # query parameters whose value makes a separate page variant

DASHBOARD_FIGURES = "#dashboard-figures"  # Sources/EpiReporting/Resources/templates/dashboard/show.mustache
DASHBOARD_FALLBACK = "#key-figures"
DASHBOARD_LIMIT = 1000

# ---------------------------------------------------------------------------------------------------
# In-page checks (one round trip per page and width).
PAGE_JS = r"""
const phase = arguments[0], wantText = arguments[1];
const out = {phase: phase};
function cssPath(el) {
  const parts = [];
  while (el && el.nodeType === 1 && parts.length < 5) {
    let p = el.tagName.toLowerCase();
    if (el.id) { parts.unshift(p + '#' + el.id); break; }
    const cls = [...el.classList].filter(c => !/^(active|open)$/.test(c)).slice(0, 2);
    if (cls.length) p += '.' + cls.join('.');
    if (p === 'body' || p === 'html') { parts.unshift(p); break; }
    const parent = el.parentElement;
    if (parent && !cls.length) {
      const same = [...parent.children].filter(c => c.tagName === el.tagName);
      if (same.length > 1) p += ':nth-of-type(' + (same.indexOf(el) + 1) + ')';
    }
    parts.unshift(p);
    el = parent;
  }
  return parts.join(' > ');
}
function visible(el) {
  if (!el.checkVisibility({visibilityProperty: true, opacityProperty: true})) return false;
  const r = el.getBoundingClientRect();
  return r.width > 0 && r.height > 0;
}
function parseColor(c) {
  const m = /rgba?\(([^)]+)\)/.exec(c || '');
  if (!m) return null;
  const v = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
  return {r: v[0], g: v[1], b: v[2], a: v.length > 3 ? v[3] : 1};
}
function over(top, below) {  // alpha compositing of an rgba colour over an opaque one
  return {r: top.r * top.a + below.r * (1 - top.a), g: top.g * top.a + below.g * (1 - top.a),
          b: top.b * top.a + below.b * (1 - top.a), a: 1};
}
function effectiveBackground(el) {
  const layers = [];
  for (let e = el; e; e = e.parentElement) {
    const s = getComputedStyle(e);
    if (s.backgroundImage && s.backgroundImage !== 'none') return null;  // gradient or image: unknown
    const c = parseColor(s.backgroundColor);
    if (c && c.a > 0) { layers.push(c); if (c.a >= 1) break; }
  }
  let bg = {r: 255, g: 255, b: 255, a: 1};  // the canvas
  for (let i = layers.length - 1; i >= 0; i--) bg = over(layers[i], bg);
  return bg;
}
function lum(c) {
  const f = v => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b);
}
function hex(c) { return '#' + [c.r, c.g, c.b].map(v => Math.round(v).toString(16).padStart(2, '0')).join(''); }

// 1. interactive elements drawn in the colour of their background
out.contrast = [];
for (const el of document.querySelectorAll('a, button, input[type=submit], input[type=button], select, summary')) {
  if (!visible(el)) continue;
  let text = el.tagName === 'INPUT' ? el.value : el.tagName === 'SELECT' ? (el.selectedOptions[0] || {}).text || '' : el.innerText;
  text = (text || '').trim();
  if (!text) continue;
  const s = getComputedStyle(el);
  let fg = parseColor(s.color), bg = effectiveBackground(el);
  if (!fg || !bg) continue;
  if (fg.a < 1) fg = over(fg, bg);
  const l1 = lum(fg), l2 = lum(bg);
  const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
  if (ratio < 1.5) {
    el.setAttribute('data-sweep-bad', '1');
    out.contrast.push({path: cssPath(el), text: text.slice(0, 60), fg: hex(fg), bg: hex(bg), ratio: Math.round(ratio * 100) / 100});
  }
}

// 2. sideways scrolling
const de = document.documentElement;
out.scrollWidth = de.scrollWidth; out.innerWidth = window.innerWidth; out.clientWidth = de.clientWidth;
out.overflow = [];
if (de.scrollWidth > window.innerWidth + 1) {
  const limit = window.innerWidth + 1;
  const clipped = el => {  // inside a scroll/clip container other than the page itself
    for (let e = el.parentElement; e && e !== document.body && e !== de; e = e.parentElement) {
      const ox = getComputedStyle(e).overflowX;
      if (ox !== 'visible') return true;
    }
    return false;
  };
  const sticks = el => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right + window.scrollX > limit; };
  for (const el of document.body.querySelectorAll('*')) {
    if (!sticks(el) || clipped(el)) continue;
    const p = el.parentElement;
    if (p && p !== document.body && sticks(p)) continue;  // report the outermost element that sticks out
    const r = el.getBoundingClientRect();
    out.overflow.push({path: cssPath(el), width: Math.round(r.width), right: Math.round(r.right + window.scrollX)});
    el.setAttribute('data-sweep-bad', '1');
  }
  out.overflow.sort((a, b) => b.right - a.right || b.width - a.width);
  out.overflow = out.overflow.slice(0, 5);
}

// 3/4. visible text, with where it is
if (wantText) {
  const SKIP = 'code, pre, script, style, textarea, noscript, template, [data-raw]';
  const chunks = [['title', document.title, true]];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Map();
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue;
    if (!t || !t.trim()) continue;
    const p = n.parentElement;
    if (!p || p.closest(SKIP)) continue;
    const sel = p.closest('select');
    if (sel ? !visible(sel) : !p.checkVisibility({visibilityProperty: true})) continue;
    chunks.push([cssPath(p), t, (p.textContent || '').trim() === t.trim()]);
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button], input[type=reset], input[placeholder]')) {
    if (el.closest('[data-raw]') || !visible(el)) continue;
    const t = el.matches('[placeholder]') && !el.matches('[type=submit],[type=button],[type=reset]') ? (el.value ? '' : el.placeholder) : el.value;
    if (t && t.trim()) chunks.push([cssPath(el), t, true]);
  }
  out.text = chunks;
}

// 5. dashboard key figures
const fig = document.querySelector(arguments[2]) || document.querySelector(arguments[3]);
out.figures = fig ? {selector: fig.id ? '#' + fig.id : cssPath(fig), top: Math.round(fig.getBoundingClientRect().top + window.scrollY)} : null;

// 6. error page
const nav = performance.getEntriesByType('navigation')[0];
out.status = nav && nav.responseStatus ? nav.responseStatus : 0;
const ep = document.getElementById('error-page');
out.errorPage = ep ? ep.innerText.replace(/\s+/g, ' ').trim().slice(0, 200) : null;
out.lang = de.lang;
out.height = Math.max(de.scrollHeight, document.body ? document.body.scrollHeight : 0);
return out;
"""

HIGHLIGHT_JS = r"""
if (!document.getElementById('sweep-style')) {
  const st = document.createElement('style'); st.id = 'sweep-style';
  st.textContent = '[data-sweep-bad]{outline:3px solid #f0f !important; outline-offset:1px}';
  document.head.appendChild(st);
}
"""

LINKS_JS = r"""
const out = [];
for (const a of document.querySelectorAll('a[href]')) {  // includes SVG <a>, whose .href is not a string
  if (a.hasAttribute('download')) continue;
  try { out.push(new URL(a.getAttribute('href'), document.baseURI).href); } catch (e) {}
}
return out;
"""


def route_key(url):
    """Route pattern of a URL: ids, unit slugs and periods replaced, query left out (except ?view=)."""
    parts = urlsplit(url)
    segs = []
    for seg in parts.path.split("/"):
        if UUID.match(seg) or LONG_DIGITS.match(seg):
            seg = ":id"
        elif UNIT.match(seg):
            seg = ":unit"
        elif PERIOD.match(seg):
            seg = ":period"
        segs.append(seg)
    key = "/".join(segs) or "/"
    extra = [f"{k}={v}" for k, v in parse_qsl(parts.query) if k in KEY_QUERY]
    return key + ("?" + "&".join(extra) if extra else "")


def slug(path):
    s = re.sub(r"[^A-Za-z0-9]+", "_", path.split("?")[0]).strip("_") or "home"
    return s[:80]


def word_pattern(words):
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(r"(?<![\w])(?:" + alternatives + r")(?![\w])")


RAW_WORDS_RE = word_pattern(RAW_STATUS_WORDS + RAW_LEVEL_VALUES + RAW_AUDIT_ACTIONS + RAW_FIELD_KEYS)
RAW_TITLE_RE = re.compile(r"^(?:" + "|".join(re.escape(w.capitalize()) + "|" + re.escape(w.upper()) for w in RAW_STATUS_WORDS) + r")$")
SNAKE_RE = re.compile(SNAKE_CASE)
ISO_WEEK_RE = re.compile(ISO_WEEK)
VI_WORDS_RE = word_pattern(VIETNAMESE_UI_WORDS)
VI_THOUSANDS_RE = re.compile(VI_THOUSANDS)


def text_findings(chunks, lang):
    """(kind, offending text, css path, context) for the visible text of a page."""
    found = []
    for path, text, whole in chunks:
        context = " ".join(text.split())[:90]

        def add(kind, word):
            found.append((kind, word, path, context))

        for token in RAW_TOKENS:
            if token in text:
                add("raw-words", token)
        snakes = [m.group(0) for m in SNAKE_RE.finditer(text)]
        column_help = sum(1 for w in set(snakes) if w in CSV_COLUMN_NAMES) >= 3
        for word in snakes:
            if not (column_help and word in CSV_COLUMN_NAMES):
                add("raw-words", word)
        if lang == "vi":
            for m in RAW_WORDS_RE.finditer(text):
                if "_" not in m.group(0):  # snake_case ones are reported above
                    add("raw-words", m.group(0))
            if whole and RAW_TITLE_RE.match(text.strip()):
                add("raw-words", text.strip())
            for m in ISO_WEEK_RE.finditer(text):
                add("raw-words", m.group(0))
        else:
            for m in VI_WORDS_RE.finditer(text):
                add("vi-on-en", m.group(0))
            for m in VI_THOUSANDS_RE.finditer(text):
                add("vi-on-en", m.group(0))
    return found


class Sweep:
    def __init__(self, args, out):
        self.base, self.out, self.args = args.base_url.rstrip("/"), out, args
        options = webdriver.ChromeOptions()
        options.binary_location = "/usr/bin/chromium"
        for arg in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--disable-gpu",
                    "--hide-scrollbars", "--window-size=1440,900", "--lang=vi"]:
            options.add_argument(arg)
        self.driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
        self.driver.set_page_load_timeout(30)
        self.linked_from = {}
        self.sizes = {}  # width -> window size that gives a viewport of width x height
        self.results = []  # one dict per (role, width, lang, page)
        self.dump = open(args.dump_text, "w") if args.dump_text else None

    # -- browser helpers
    def resize(self, width):
        height = 844 if width < 600 else 900
        if width not in self.sizes:
            self.driver.set_window_size(width, height)
            iw, ih = self.driver.execute_script("return [innerWidth, innerHeight]")
            self.sizes[width] = (width + (width - iw), height + (height - ih))
        self.driver.set_window_size(*self.sizes[width])

    def get(self, path):
        try:
            self.driver.get(urljoin(self.base + "/", path.lstrip("/")) if not path.startswith("http") else path)
        except TimeoutException:
            pass

    def path_of(self, url):
        parts = urlsplit(url)
        return parts.path + ("?" + parts.query if parts.query else "")

    def login(self, username):
        d = self.driver
        d.delete_all_cookies()
        self.get("/login")
        WebDriverWait(d, 15).until(EC.visibility_of_element_located((By.CSS_SELECTOR, "#login-form input[name=username]"))).send_keys(username)
        d.find_element(By.CSS_SELECTOR, "#login-form input[name=password]").send_keys(PASSWORD)
        d.find_element(By.CSS_SELECTOR, "#login-form button[type=submit]").click()
        WebDriverWait(d, 20).until(EC.presence_of_element_located((By.CSS_SELECTOR, "#current-user")))

    def set_lang(self, lang):
        self.get(f"/lang/{lang}")

    def screenshot(self, name, height):
        path = os.path.join(self.out, name)
        self.driver.execute_script(HIGHLIGHT_JS)
        try:
            w = self.driver.execute_script("return document.documentElement.scrollWidth")
            shot = self.driver.execute_cdp_cmd("Page.captureScreenshot", {
                "format": "png", "captureBeyondViewport": True,
                "clip": {"x": 0, "y": 0, "width": w, "height": min(max(height, 100), 8000), "scale": 1}})
            with open(path, "wb") as f:
                f.write(base64.b64decode(shot["data"]))
        except WebDriverException:
            self.driver.save_screenshot(path)
        return path

    # -- discovery
    def allowed(self, url):
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.netloc != urlsplit(self.base).netloc:
            return False
        return not SKIP_PATH.search(parts.path)

    # -- checks
    def check(self, role, width, lang, path, expected_lang, want_text=True, extra_shot=None):
        d = self.driver
        problems = []
        url_path = self.path_of(d.current_url)
        key = route_key(d.current_url)
        first = d.execute_script(PAGE_JS, "as-served", want_text, DASHBOARD_FIGURES, DASHBOARD_FALLBACK)
        # open every <details> a user could open, and look again
        opened = d.execute_script("const ds=[...document.querySelectorAll('details:not([open])')]; ds.forEach(x=>x.open=true); return ds.length")
        second = d.execute_script(PAGE_JS, "details-open", want_text, DASHBOARD_FIGURES, DASHBOARD_FALLBACK) if opened else None

        requested = urlsplit(path).path
        if role != PUBLIC and urlsplit(d.current_url).path == "/login" and requested != "/login":
            problems.append(("error", "redirected to the sign-in page", "", f"linked from {self.linked_from.get(path, '(start)')}"))
        elif first["status"] >= 400 or first["errorPage"]:
            problems.append(("error", f"HTTP {first['status']}", "#error-page" if first["errorPage"] else "",
                             f"linked from {self.linked_from.get(path, '(start)')}: " + (first["errorPage"] or "")))
        seen_contrast = set()
        for res in (first, second):
            if not res:
                continue
            for c in res["contrast"]:
                sig = (norm_path(c["path"]), c["text"])
                if sig in seen_contrast:
                    continue
                seen_contrast.add(sig)
                problems.append(("contrast", f"'{c['text']}' {c['fg']} on {c['bg']} (ratio {c['ratio']})", c["path"], res["phase"]))
        over = first if first["overflow"] or first["scrollWidth"] > first["innerWidth"] + 1 else second
        if over and over["scrollWidth"] > over["innerWidth"] + 1:
            widest = over["overflow"][0] if over["overflow"] else {"path": "?", "width": 0, "right": 0}
            problems.append(("overflow", f"scrollWidth {over['scrollWidth']} > {over['innerWidth']}; {widest['path']} width {widest['width']} right edge {widest['right']}",
                             widest["path"], over["phase"] + "; others: " + ", ".join(f"{o['path']} ({o['width']}px)" for o in over["overflow"][1:])))
        if want_text:
            texts = first["text"] + (second["text"] if second else [])
            if self.dump:
                self.dump.write(json.dumps({"role": role, "width": width, "lang": lang, "path": url_path, "key": key, "text": first["text"] if not second else texts}, ensure_ascii=False) + "\n")
            seen = set()
            for kind, word, where, context in text_findings(texts, lang):
                if (kind, word, where) in seen:
                    continue
                seen.add((kind, word, where))
                problems.append((kind, word, where, context))
        if expected_lang and first["lang"] != expected_lang:
            problems.append(("error", f"html lang is '{first['lang']}', expected '{expected_lang}'", "html", ""))
        if key == "/dashboard":
            fig = first["figures"]
            if not fig:
                problems.append(("dashboard", f"key figures ({DASHBOARD_FIGURES} / {DASHBOARD_FALLBACK}) missing", DASHBOARD_FIGURES, ""))
            elif fig["top"] >= DASHBOARD_LIMIT:
                problems.append(("dashboard", f"key figures start at {fig['top']} px (limit {DASHBOARD_LIMIT})", fig["selector"], ""))

        name = None
        if problems or extra_shot:
            name = f"{role}-{width}-{lang}-{extra_shot or slug(url_path)}.png"
            self.screenshot(name, max(first["height"], second["height"] if second else 0))
        d.execute_script("document.querySelectorAll('[data-sweep-bad]').forEach(e=>e.removeAttribute('data-sweep-bad')); const st=document.getElementById('sweep-style'); if (st) st.remove();")
        result = {"role": role, "width": width, "lang": lang, "path": url_path, "key": key,
                  "problems": [dict(zip(("kind", "what", "where", "context"), p)) for p in problems],
                  "screenshot": name}
        self.results.append(result)
        status = "FAIL" if problems else "ok  "
        kinds = ", ".join(sorted({p[0] for p in problems}))
        print(f"{status} {role:<15} {width:>4} {lang} {url_path}" + (f"  [{kinds}]" if problems else ""), flush=True)
        return result

    def crawl_and_check(self, role, widths, langs, max_pages):
        """Signs in, discovers the role's pages while checking them in the first language, then
        checks the same pages in the other languages. Each page is loaded once per language and
        checked at every width (alternating the order, so the window is resized once per page)."""
        d = self.driver
        if role != PUBLIC:
            self.login(role)
            start = ["/"]
        else:
            d.delete_all_cookies()
            start = list(PUBLIC_START)
        self.linked_from = {}  # path -> the page whose link led there
        pages = OrderedDict()  # route key -> path visited
        queue = list(start)
        queued = {route_key(self.base + s) for s in start}
        order = list(widths)
        for li, lang in enumerate(langs):
            self.set_lang(lang)
            if li == 0:
                # discovery: breadth-first over the links this role is shown ("/" first, then its menu)
                while queue and len(pages) < max_pages:
                    path = queue.pop(0)
                    self.get(path)
                    final = route_key(d.current_url)
                    if final != route_key(self.base + path) and final in pages:
                        continue  # a redirect to a page already swept (e.g. /units -> /units/01)
                    queued.add(final)
                    pages[route_key(self.base + path)] = path
                    for url in d.execute_script(LINKS_JS):
                        if not self.allowed(url):
                            continue
                        if role == PUBLIC and urlsplit(url).path not in PUBLIC_START:
                            continue
                        k = route_key(url)
                        if k not in queued:
                            queued.add(k)
                            queue.append(self.path_of(url))
                            self.linked_from[self.path_of(url)] = path
                    self.check_widths(role, order, lang, path)
                    order.reverse()
            else:
                for path in pages.values():
                    self.get(path)
                    self.check_widths(role, order, lang, path)
                    order.reverse()
        if queue:
            print(f"-- {role}: {len(queue)} more route patterns not visited (--max-pages {max_pages}): "
                  + " ".join(route_key(self.base + q) for q in queue), flush=True)
        return pages

    def check_widths(self, role, order, lang, path):
        key = route_key(self.base + path)
        shot = None
        if key == "/" and role != PUBLIC:
            shot = "home"
        elif key == "/dashboard":
            shot = "dashboard"
        elif role == PUBLIC and key == "/hotlines":
            shot = "hotlines"
        for width in order:
            self.resize(width)
            self.check(role, width, lang, path, lang, extra_shot=shot)


def norm_path(path):
    return re.sub(r":nth-of-type\(\d+\)", "", path)


def combos(seen, all_combos):
    """'p.minhkhai [390/vi, 1440/vi]; q.haibatrung [all]' for a list of (role, width, lang, ...)."""
    roles = OrderedDict()
    for role, width, lang, *_ in seen:
        roles.setdefault(role, set()).add((width, lang))
    parts = []
    for role, got in roles.items():
        label = "all" if got >= all_combos else ", ".join(f"{w}/{l}" for w, l in sorted(got))
        parts.append(f"{role} [{label}]")
    return "; ".join(parts)


def summarise(results, out, widths, langs):
    failed = [r for r in results if r["problems"]]
    all_combos = {(w, l) for w in widths for l in langs}
    groups = defaultdict(lambda: defaultdict(list))  # kind -> signature -> [(role, width, lang, path, problem)]
    for r in failed:
        for p in r["problems"]:
            where = norm_path(p["where"])
            if p["kind"] in ("raw-words", "vi-on-en"):
                sig = (p["what"], r["key"], where)
            elif p["kind"] == "overflow":
                sig = (r["key"], where)
            elif p["kind"] == "contrast":
                sig = (r["key"], where, re.sub(r" \(ratio.*", "", p["what"]))
            else:
                sig = (r["key"], p["what"], where)
            groups[p["kind"]][sig].append((r["role"], r["width"], r["lang"], r["path"], p))
    print()
    print("=" * 100)
    print(f"{len(results)} page checks, {len(failed)} failed")
    titles = {"error": "Error pages", "contrast": "Invisible interactive elements (text colour = background)",
              "overflow": "Horizontal overflow (page scrolls sideways)", "dashboard": "Dashboard key figures not within the first 1000 px",
              "raw-words": "Developer words (raw keys, English values) in the UI",
              "vi-on-en": "Vietnamese UI words / Vietnamese number format on English pages"}
    for kind in ["error", "contrast", "overflow", "dashboard"]:
        sigs = groups.get(kind)
        if not sigs:
            continue
        print(f"\n## {titles[kind]}: {len(sigs)} distinct, {sum(len(v) for v in sigs.values())} page checks")
        for sig, seen in sorted(sigs.items()):
            p = seen[0][4]
            if kind == "overflow":
                widest = max(seen, key=lambda s: s[4]["what"])
                head = f"{sig[0]}: {sig[1]} sticks out — e.g. {widest[1]}px: {widest[4]['what']}"
            elif kind == "contrast":
                head = f"{sig[0]}: {sig[1]} {sig[2]}"
            elif kind == "error":
                head = f"{sig[0]}: {sig[1]}" + (f" — {p['context']}" if p["context"] else "")
            else:
                head = f"{sig[0]}: {sig[1]} ({sig[2]})"
            print(f"- {head}")
            print(f"    {combos(seen, all_combos)}  (e.g. {seen[0][3]})")
    for kind in ["raw-words", "vi-on-en"]:
        sigs = groups.get(kind)
        if not sigs:
            continue
        by_word = defaultdict(list)
        for sig, seen in sigs.items():
            by_word[sig[0]].append((sig, seen))
        print(f"\n## {titles[kind]}: {len(by_word)} distinct words, {len(sigs)} places, {sum(len(v) for v in sigs.values())} findings")
        for word in sorted(by_word, key=lambda w: (w.lower(), w)):
            places = sorted(by_word[word], key=lambda x: (x[0][1], x[0][2]))
            routes = sorted({sig[1] for sig, _ in places})
            print(f"- '{word}' on {', '.join(routes)}")
            for sig, seen in places:
                print(f"    {sig[1]}  {sig[2]}  \"{seen[0][4]['context']}\"")
                print(f"        {combos(seen, all_combos)}  (e.g. {seen[0][3]})")
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, ensure_ascii=False, indent=1)
    return len(failed)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--out", default=None, help="folder for screenshots and results.json (default: a new temp folder)")
    parser.add_argument("--roles", default=",".join(DEMO_ACCOUNTS + [PUBLIC]), help="comma list of demo usernames, and 'public'")
    parser.add_argument("--widths", default="390,1440")
    parser.add_argument("--langs", default="vi,en")
    parser.add_argument("--max-pages", type=int, default=60, help="pages (route patterns) per role")
    parser.add_argument("--dump-text", default=None, help=argparse.SUPPRESS)  # debugging: every page's visible text, JSON lines
    args = parser.parse_args()
    out = args.out or tempfile.mkdtemp(prefix="epi-sweep-")
    os.makedirs(out, exist_ok=True)
    widths = [int(w) for w in args.widths.split(",") if w]
    langs = [l for l in args.langs.split(",") if l]
    roles = [r for r in args.roles.split(",") if r]
    started = time.monotonic()
    sweep = Sweep(args, out)
    try:
        for role in roles:
            t = time.monotonic()
            try:
                pages = sweep.crawl_and_check(role, widths, langs, args.max_pages)
                print(f"-- {role}: {len(pages)} pages in {time.monotonic() - t:.0f} s", flush=True)
            except Exception as error:  # noqa: BLE001 - a role that cannot be swept is a failure, the others go on
                name = f"{role}-sweep-error.png"
                sweep.driver.save_screenshot(os.path.join(out, name))
                sweep.results.append({"role": role, "width": 0, "lang": "", "path": sweep.driver.current_url, "key": "(sweep)",
                                      "problems": [{"kind": "error", "what": f"sweep stopped: {error!r}"[:300], "where": "", "context": ""}],
                                      "screenshot": name})
                print(f"FAIL {role}: sweep stopped: {error!r}"[:400], flush=True)
                traceback.print_exc()
    finally:
        sweep.driver.quit()
        if sweep.dump:
            sweep.dump.close()
    failed = summarise(sweep.results, out, widths, langs)
    print(f"\nbrowser sweep: {len(sweep.results)} page checks in {time.monotonic() - started:.0f} s, {failed} failed; screenshots and results.json in {out}")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
