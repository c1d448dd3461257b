#!/usr/bin/env python3
"""Sweeps every page every demo role can reach, on a phone and a desktop screen, in Vietnamese and English.

For each demo account (and once without signing in: /login, /hotlines) the sweep signs in, crawls the
same-origin links it is shown (breadth-first from "/" and its menu; <a href> only, GET only, never a
form; no /logout, /lang/, downloads or exports), keeps one page per route pattern (two for detail
pages such as /cases/:id), and checks every page at each width and in each language. It fails on
what a user would see as broken:

  error            a page reached by following a link answers an error: HTTP >= 400, the app's
                   error page (#error-page, templates/error.mustache), or a bounce to the sign-in page;
  contrast         a visible interactive element (a, button, input[type=submit|button], select,
                   summary) whose text colour is its background colour (first non-transparent
                   background up the ancestors, alpha composited; contrast ratio < 1.5), e.g.
                   button.link white on white;
  overflow         the page scrolls sideways (documentElement.scrollWidth > innerWidth + 1); the
                   outermost elements that stick out are reported with their width;
  dashboard        on /dashboard the key figures (#dashboard-figures) do not start within the first
                   1,000 px of the page (#key-figures is accepted too);
  raw-words        developer words: snake_case keys, template braces, "Optional(" on any page; on a
                   Vietnamese page also English status/action values, ISO week labels (2026-W49) and
                   time-zone ids;
  en-on-vi         English sentences left on a Vietnamese page ("[unsure] isolation until ...");
  vi-on-en         Vietnamese UI words on an English page (not names of people or places);
  vi-number-on-en  Vietnamese thousands separators (30.000) on an English page.
Text inside <code>, <pre>, <textarea>, input values, [data-raw] and elements marked with another lang is not looked at; the word lists
below say what is matched and why.

Every page check prints one line "ok" or "FAIL" (role, width, language, path); a summary grouped by
problem kind follows, then exit status 1 if anything failed. Screenshots (full page, offending
elements outlined in magenta) of each failing page, and of the home page and the dashboard for every
role/width/language, go to --out as {role}-{width}-{lang}-{route}.png; results.json there holds every
finding.

    python3 scripts/browser_sweep.py --base-url http://127.0.0.1:8080 [--out DIR]
        [--roles p.minhkhai,q.haibatrung,public] [--widths 390,1440] [--langs vi,en] [--max-pages 80]

Each page is loaded once per language and checked at every width by resizing the window (the pages
are server-rendered, so the DOM does not depend on the width). Checks run on the page as served, then
again with every <details> opened, so text and overflow a user can unfold count too. The whole sweep
(10 roles + public, about 415 pages, 1,660 checks) takes about 5 minutes on 2 cores.
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
    "lab.cdc",         # laboratory (Phòng xét nghiệm CDC Hà Nội, located in Minh Khai 01/007/00295)
    "dn.minhkhai",     # business account (Công ty TNHH Thực phẩm sạch Minh Khai, MovementDemo)
    "vax.minhkhai",    # vaccination site (Trạm Y tế phường Minh Khai, 01/007/00295)
]
PUBLIC = "public"  # not signed in: the sign-in page and the public hotline directory
PUBLIC_START = ["/hotlines", "/login", "/khai-bao-y-te"]  # the public health declaration (EpiMovement)

# ---------------------------------------------------------------------------------------------------
# Word lists. All matching is on whole words (a letter, digit or "_" on either side, Vietnamese letters
# included, means no match) and case-sensitive.
#
# raw-words (Vietnamese pages): English status values, audit actions and other stored enum values.
# Matched in lowercase anywhere in the visible text ("active" in a sentence is a leaked value, "Active"
# inside a name is not). A capitalised or upper-case form ("Pending", "OPEN") is reported only when it
# is the whole text of an element (a badge, a table cell): there it is a leaked label, not a name.
RAW_STATUS_WORDS = [
    # statuses
    "active", "pending", "negative", "positive", "requested", "dispatched", "arrived", "cancelled",
    "completed", "released", "open", "closed", "done", "overdue",
    # other stored values of the domain's enums (tasks, jobs, cases, quarantine, zones, reports)
    "failed", "lifted", "recovered", "transferred", "died", "locked", "submitted", "handled", "urgent",
    "late", "missing", "asymptomatic", "mild", "moderate", "severe", "critical", "permanent", "temporary",
    "male", "female", "household", "workplace", "market", "transport", "healthcare", "community",
    "lockdown", "arrival", "hospital", "facility", "home", "daily", "weekly", "queued", "running", "expired",
]
# Stored contact levels: "F0", "F1", "F2" are the Vietnamese terms, only the lowercase values are raw.
RAW_LEVEL_VALUES = ["f0", "f1", "f2", "f1_vaccinated"]
RAW_AUDIT_ACTIONS = [
    "login", "logout", "post", "view", "create", "update", "delete", "merge", "import", "export", "seed",
    "revoke", "remind", "recompute", "quarantine", "lift", "handle", "extend", "exposure", "close",
    "assess", "supply", "case_opened", "list_view", "search_view", "login_failed", "test_result",
]
# Field keys that are not snake_case (snake_case ones such as person_id, care_setting are caught by
# SNAKE_CASE and need not be listed), and programming leftovers.
RAW_FIELD_KEYS = ["citizenId", "unitPath", "personId", "displayName", "caseId", "nil", "null", "undefined", "NaN"]
# snake_case identifiers: person_id, care_setting, ward_daily, case_opened, own_figures ... (also on
# English pages). Not when glued to a path, URL, file name or "key=value".
SNAKE_CASE = r"(?<![\w./:=-])[a-z]+(?:_[a-z0-9]+)+(?![\w])"
# Template and Swift leftovers, checked on both languages (literal substrings).
RAW_TOKENS = ["{{", "}}", "[[\"", "Optional(", "<null>", "\\(", "%@"]
# ISO week labels (2026-W49) and time-zone identifiers (Asia/Ho_Chi_Minh) on a Vietnamese page; it says
# "Tuần 49/2026" and "giờ Việt Nam".
ISO_WEEK = r"\b\d{4}-W\d{2}\b"
TIME_ZONE_ID = r"\b(?:Asia|Europe|America|Etc)/[A-Z][A-Za-z_]+\b"
# en-on-vi (Vietnamese pages): English words of sentences and notes left untranslated ("[unsure]
# isolation until negative, about 14 days", "MoH guidance 2021", "· system ·"). Only words that are not
# also Vietnamese syllables written without marks ("in", "to", "do", "an", "ban", "long", "sang" are).
ENGLISH_WORDS = [
    "the", "and", "with", "from", "until", "about", "after", "before", "days", "date", "start", "stops",
    "unsure", "assumed", "isolation", "treatment", "monitoring", "guidance", "practice", "informal",
    "chain", "rule", "rules", "default", "print", "system", "unknown", "error", "none", "true", "false",
]
# Text that documents what a user must type (CSV column names, the report field syntax) names keys and
# English keywords on purpose: snake_case and English words are not reported in a text that contains
# one of these markers (template braces and "Optional(" still are).
FORMAT_HELP_MARKERS = ["Cột", "cột:", "Column", "column:", "Mỗi dòng", "per row", "One field per line"]

# vi-on-en (English pages): Vietnamese words of the interface. Only UI words and phrases, never parts
# of people's or places' names (Nguyễn, Phường Minh Khai, Quận Hai Bà Trưng, Xã Phù Lưu, Phường Hàng
# Trống ... are data), and no bare everyday words ("đã", "ngày", "người", "Gửi"), which free text that
# users type (messages, tasks, notes, report answers) is full of.
VIETNAMESE_UI_WORDS = [
    # report timeliness, capacity, totals, weeks
    "Kịch bản", "Đúng hạn", "đúng hạn", "Muộn", "muộn", "Chưa", "chưa gửi", "chưa đến hạn", "giường",
    "Tổng", "Tổng hợp", "Tuần", "Báo cáo", "Hạn gửi",
    "Đã gửi", "Đã khóa", "Đã xử lý", "Đã hủy", "Đã đến", "Đã điều xe",
    # history and audit lines written by the app
    "Hiện trong danh sách", "Xem hồ sơ", "Xem chuỗi", "Mở hồ sơ", "Mở danh sách", "Xuất", "Đăng nhập",
    "Đăng xuất", "Ghi nhận", "Cập nhật", "Bắt đầu", "Hoàn thành", "Chuyển đi", "Khỏi bệnh", "Tử vong",
    "Cách ly", "Tại nhà", "Đang điều trị",
    # rule and risk-table notes written by the app
    "tiêm đủ", "tại nhà", "âm tính", "dương tính", "theo dõi", "thí điểm", "cấp", "mức",
]
# Vietnamese thousands separators (30.000, 1.234.567) on an English page. A leading zero (unit codes
# such as 01.007.00295) or a 2-digit group (dates such as 10.09.2021) does not match; the number may
# not be glued to letters, digits or dots (versions 1.2.3, decimals 0.125). Numbers inside Vietnamese
# free text (a report answer "46.375 người ...", a message "Thiếu 2.000 test") are the user's words and
# not reported: only texts without Vietnamese letters are looked at.
VI_THOUSANDS = r"(?<![\w.,])[1-9]\d{0,2}(?:\.\d{3})+(?![\w.]|,\d)"
VIETNAMESE_LETTER = r"[àáạảãâầấậẩẫăằắặẳẵèéẹẻẽêềếệểễìíịỉĩòóọỏõôồốộổỗơờớợởỡùúụủũưừứựửữỳýỵỷỹđ]"

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
    if (!sticks(el) || clipped(el) || !el.checkVisibility({visibilityProperty: true})) continue;
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
  const tag = el => {  // a stable mark, so that the elements holding flagged text can be outlined
    if (!el.hasAttribute('data-sweep-t')) el.setAttribute('data-sweep-t', String(window.__sweepSeq = (window.__sweepSeq || 0) + 1));
    return el.getAttribute('data-sweep-t');
  };
  const chunks = [['title', document.title, true, null]];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const t = n.nodeValue;
    if (!t || !t.trim()) continue;
    const p = n.parentElement;
    if (!p || p.closest(SKIP)) continue;
    // Text marked as another language (a record kept as written, e.g. a Vietnamese audit summary) is not UI text.
    const marked = p.closest('[lang]');
    if (marked && marked.getAttribute('lang') !== document.documentElement.lang) continue;
    const sel = p.closest('select');
    if (sel ? !visible(sel) : !p.checkVisibility({visibilityProperty: true})) continue;
    chunks.push([cssPath(p), t, (p.textContent || '').trim() === t.trim(), tag(p)]);
  }
  for (const el of document.querySelectorAll('input[type=submit], input[type=button], input[type=reset], input[placeholder]')) {
    if (el.closest('[data-raw]') || !visible(el)) continue;
    const t = el.matches('[placeholder]') && !el.matches('[type=submit],[type=button],[type=reset]') ? (el.value ? '' : el.placeholder) : el.value;
    if (t && t.trim()) chunks.push([cssPath(el), t, true, tag(el)]);
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
// CSSOM, not a <style> element: the app's Content-Security-Policy blocks inline style sheets.
document.querySelectorAll('[data-sweep-bad]').forEach(e => {
  e.style.setProperty('outline', '3px solid #f0f', 'important');
  e.style.setProperty('outline-offset', '1px', 'important');
});
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


def slug(key):
    """File-name part for a route key: /cases/:id -> cases-id, /contacts?view=ended -> contacts-view-ended."""
    s = re.sub(r"[^A-Za-z0-9_]+", "-", key).strip("-") or "home"
    return s[:80]


def word_pattern(words):
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(r"(?<![\w])(?:" + alternatives + r")(?![\w])")


RAW_WORDS_RE = word_pattern(RAW_STATUS_WORDS + RAW_LEVEL_VALUES + RAW_AUDIT_ACTIONS + RAW_FIELD_KEYS)
RAW_TITLE_RE = re.compile(r"^(?:" + "|".join(re.escape(w.capitalize()) + "|" + re.escape(w.upper()) for w in RAW_STATUS_WORDS) + r")$")
SNAKE_RE = re.compile(SNAKE_CASE)
ISO_WEEK_RE = re.compile(ISO_WEEK)
TIME_ZONE_RE = re.compile(TIME_ZONE_ID)
ENGLISH_RE = word_pattern(ENGLISH_WORDS)
VI_WORDS_RE = word_pattern(VIETNAMESE_UI_WORDS)
VI_THOUSANDS_RE = re.compile(VI_THOUSANDS)
VIETNAMESE_RE = re.compile(VIETNAMESE_LETTER, re.I)
NUMBER_LABEL = "#.### (Vietnamese thousands separator)"


def text_findings(chunks, lang):
    """(kind, offending word, css path, context, element mark) for the visible text of a page."""
    found = []
    for path, text, whole, *mark in chunks:
        context = " ".join(text.split())[:100]

        def add(kind, word):
            found.append((kind, word, path, context, mark[0] if mark else None))

        format_help = any(marker in text for marker in FORMAT_HELP_MARKERS)
        for token in RAW_TOKENS:
            if token in text:
                add("raw-words", token)
        if not format_help:
            for m in SNAKE_RE.finditer(text):
                add("raw-words", m.group(0))
        if lang == "vi":
            for m in RAW_WORDS_RE.finditer(text):
                if "_" not in m.group(0) and not format_help:  # snake_case ones are reported above
                    add("raw-words", m.group(0))
            if whole and RAW_TITLE_RE.match(text.strip()):
                add("raw-words", text.strip())
            for m in ISO_WEEK_RE.finditer(text):
                add("raw-words", m.group(0))
            for m in TIME_ZONE_RE.finditer(text):
                add("raw-words", m.group(0))
            if not format_help:
                for m in ENGLISH_RE.finditer(text):
                    if not RAW_WORDS_RE.fullmatch(m.group(0)):
                        add("en-on-vi", m.group(0))
        else:
            for m in VI_WORDS_RE.finditer(text):
                add("vi-on-en", m.group(0))
            if not VIETNAMESE_RE.search(text):
                for m in VI_THOUSANDS_RE.finditer(text):
                    add("vi-number-on-en", NUMBER_LABEL)
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
        self.shots = set()
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
        opened = d.execute_script("const ds = [...document.querySelectorAll('details:not([open])')]; ds.forEach(x => { x.open = true; x.setAttribute('data-sweep-opened', '1'); }); return ds.length")
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
        marks = set()
        if want_text:
            texts = first["text"] + (second["text"] if second else [])
            if self.dump:
                self.dump.write(json.dumps({"role": role, "width": width, "lang": lang, "path": url_path, "key": key, "text": first["text"] if not second else texts}, ensure_ascii=False) + "\n")
            seen = set()
            for kind, word, where, context, mark in text_findings(texts, lang):
                if mark:
                    marks.add(mark)
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
        if marks:
            d.execute_script("for (const m of arguments[0]) document.querySelectorAll('[data-sweep-t=\"' + m + '\"]').forEach(e => e.setAttribute('data-sweep-bad', '1'))", sorted(marks))
        if problems or extra_shot:
            # the page as served, except <details> holding something outlined stay open
            d.execute_script("document.querySelectorAll('details[data-sweep-opened]').forEach(x => { if (!x.querySelector('[data-sweep-bad]')) x.open = false; })")
            name = f"{role}-{width}-{lang}-{extra_shot or slug(key)}"
            n = 2
            while name + ".png" in self.shots:  # a second example of the same route
                name, n = f"{role}-{width}-{lang}-{extra_shot or slug(key)}-{n}", n + 1
            name += ".png"
            self.shots.add(name)
            self.screenshot(name, max(first["height"], second["height"] if second else 0))
        d.execute_script("document.querySelectorAll('[data-sweep-bad]').forEach(e => { e.removeAttribute('data-sweep-bad'); e.style.removeProperty('outline'); e.style.removeProperty('outline-offset'); })")
        result = {"role": role, "width": width, "lang": lang, "path": url_path, "key": key,
                  "scroll_width": max(first["scrollWidth"], second["scrollWidth"] if second else 0),
                  "figures_top": first["figures"]["top"] if first["figures"] else None,
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
        pages = OrderedDict()  # path visited -> route key
        queue = list(start)
        queued = defaultdict(list)  # route key -> paths queued for it
        for s in start:
            queued[route_key(self.base + s)].append(s)
        order = list(widths)
        for li, lang in enumerate(langs):
            self.set_lang(lang)
            if li == 0:
                # discovery: breadth-first over the links this role is shown ("/" first, then its menu)
                while queue and len(pages) < max_pages:
                    path = queue.pop(0)
                    self.get(path)
                    final = route_key(d.current_url)
                    if final != route_key(self.base + path) and final in pages.values():
                        continue  # a redirect to a page already swept (e.g. /units -> /units/01)
                    if not queued[final]:
                        queued[final].append(self.path_of(d.current_url))
                    pages[path] = route_key(self.base + path)
                    found = OrderedDict()  # route key -> new paths linked from this page, in order
                    for url in d.execute_script(LINKS_JS):
                        if not self.allowed(url) or (role == PUBLIC and urlsplit(url).path not in PUBLIC_START):
                            continue
                        found.setdefault(route_key(url), [])
                        if self.path_of(url) not in found[route_key(url)]:
                            found[route_key(url)].append(self.path_of(url))
                    for k, paths in found.items():
                        # one example of each route; detail pages (":id") get up to --examples, taken
                        # from both ends of the list that links them (e.g. the newest and the oldest case)
                        room = (self.args.examples if ":id" in k else 1) - len(queued[k])
                        candidates = dict.fromkeys(paths[:1] + paths[-1:] + paths[1:-1])
                        for p in [p for p in candidates if p not in queued[k]][:max(room, 0)]:
                            queued[k].append(p)
                            queue.append(p)
                            self.linked_from[p] = path
                    self.check_widths(role, order, lang, path)
                    order.reverse()
            else:
                for path in pages:
                    self.get(path)
                    self.check_widths(role, order, lang, path)
                    order.reverse()
        if queue:
            print(f"-- {role}: {len(queue)} more pages not visited (--max-pages {max_pages}): "
                  + " ".join(sorted({route_key(self.base + q) for q in queue})), flush=True)
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


WORD_KINDS = ["raw-words", "en-on-vi", "vi-on-en", "vi-number-on-en"]


def norm_path(path):
    return re.sub(r":nth-of-type\(\d+\)", "", path)


def combos(seen, all_combos):
    """'all: p.minhkhai, q.haibatrung; 390/vi, 1440/vi: tp.chihuy' for a list of (role, width, lang, ...)."""
    roles = OrderedDict()
    for role, width, lang, *_ in seen:
        roles.setdefault(role, set()).add((width, lang))
    by_label = OrderedDict()
    for role, got in roles.items():
        label = "all widths and languages" if got >= all_combos else ", ".join(f"{w}/{l}" for w, l in sorted(got))
        by_label.setdefault(label, []).append(role)
    return "; ".join(f"[{label}] {', '.join(rs)}" for label, rs in by_label.items())


def summarise(results, out, widths, langs):
    failed = [r for r in results if r["problems"]]
    all_combos = {(w, l) for w in widths for l in langs}
    groups = defaultdict(lambda: defaultdict(list))  # kind -> signature -> [(role, width, lang, path, problem)]
    for r in failed:
        for p in r["problems"]:
            where = norm_path(p["where"])
            if p["kind"] in WORD_KINDS:
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
              "raw-words": "Developer words (raw keys, stored English values) in the UI",
              "en-on-vi": "English words on Vietnamese pages",
              "vi-on-en": "Vietnamese UI words on English pages",
              "vi-number-on-en": "Vietnamese thousands separators on English pages"}
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
    for kind in WORD_KINDS:
        sigs = groups.get(kind)
        if not sigs:
            continue
        words = {sig[0] for sig in sigs}
        print(f"\n## {titles[kind]}: {len(words)} distinct words, {len(sigs)} places, {sum(len(v) for v in sigs.values())} findings")
        if kind == "raw-words":
            # by word: every distinct offending word and where it shows
            by_word = defaultdict(list)
            for sig, seen in sigs.items():
                by_word[sig[0]].append((sig, seen))
            for word in sorted(by_word, key=lambda w: (w.lower(), w)):
                places = sorted(by_word[word], key=lambda x: (x[0][1], x[0][2]))
                print(f"- '{word}' on {', '.join(sorted({sig[1] for sig, _ in places}))}")
                for sig, seen in places:
                    print(f"    {sig[1]}  {sig[2]}  \"{seen[0][4]['context']}\"")
                    print(f"        {combos(seen, all_combos)}  (e.g. {seen[0][3]})")
        else:
            # by place: the untranslated text, with the words that gave it away
            by_place = OrderedDict()
            for sig, seen in sorted(sigs.items(), key=lambda kv: (kv[0][1], kv[0][2])):
                entry = by_place.setdefault((sig[1], sig[2]), {"words": set(), "seen": [], "contexts": []})
                entry["words"].add(sig[0])
                entry["seen"] += seen
                for item in seen:
                    if item[4]["context"] not in entry["contexts"]:
                        entry["contexts"].append(item[4]["context"])
            for (route, where), entry in by_place.items():
                examples = " | ".join(f'"{c}"' for c in entry["contexts"][:3]) + (f" (+{len(entry['contexts']) - 3} more)" if len(entry["contexts"]) > 3 else "")
                label = "" if kind == "vi-number-on-en" else f"[{', '.join(sorted(entry['words']))}] "
                print(f"- {route}  {where}  {label}{examples}")
                print(f"        {combos(entry['seen'], all_combos)}  (e.g. {entry['seen'][0][3]})")
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
    parser.add_argument("--max-pages", type=int, default=80, help="pages per role (default 80: every route of every demo role)")
    parser.add_argument("--examples", type=int, default=2, help="pages visited per detail route such as /cases/:id (default 2)")
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
