#!/usr/bin/env python3
"""Build corpus.jsonl for the Studybot retrieval benchmark.

Sources: documentation that Debian packages install under /usr/share/doc
(see SOURCES below).  Each source file's owning package is read from dpkg's
file lists and its licence from /usr/share/doc/<pkg>/copyright.  Files are
parsed (HTML or Markdown), split into passages of 60-250 words at
paragraph/section boundaries, filtered (boilerplate, code-heavy text,
navigation, near-duplicates) and sampled per source with a fixed hash so the
output is deterministic.

Only the Python standard library is used.  This script is run once by hand
(the output, corpus.jsonl, is committed); the benchmark itself never reads
/usr/share/doc.

  python3 build_corpus.py [--out corpus.jsonl] [--sources-out sources.json]
"""
import argparse
import glob
import gzip
import hashlib
import html
import html.parser
import json
import os
import re
import sys
import zlib

DOC = "/usr/share/doc"

# (abbrev, package dir, glob patterns relative to /usr/share/doc, format, cap)
# cap = maximum number of passages kept from this source (sampled by hash).
SOURCES = [
    ("py", "python3.11-doc", ["python3.11/html/tutorial/*.html", "python3.11/html/library/*.html",
                               "python3.11/html/howto/*.html", "python3.11/html/faq/*.html",
                               "python3.11/html/reference/*.html", "python3.11/html/using/*.html",
                               "python3.11/html/extending/*.html"], "html", 600),
    ("pg", "postgresql-doc-15", ["postgresql-doc-15/html/*.html"], "html", 600),
    ("sqlite", "sqlite3-doc", ["sqlite3/*.html"], "html", 360),
    ("git", "git-doc", ["git-doc/*.html"], "html", 360),
    ("node", "nodejs", ["nodejs/api/*.md"], "md", 360),
    ("valgrind", "valgrind", ["valgrind/html/*.html"], "html", 140),
    ("socat", "socat", ["socat/*.html"], "html", 50),
    ("libffi", "libffi8", ["libffi8/html/*.html"], "html", 40),
    ("catch2", "catch2", ["catch2/docs/*.md", "catch2/docs/*.md.gz"], "md", 60),
    ("ninja", "ninja-build", ["ninja-build/manual.html"], "html", 50),
    ("bzip2", "bzip2", ["bzip2/manual.html"], "html", 40),
    ("nettle", "nettle-dev", ["nettle-dev/nettle.html"], "html", 50),
    ("fontconfig", "fontconfig", ["fontconfig/fontconfig-user.html"], "html", 25),
    ("mime", "shared-mime-info", ["shared-mime-info/shared-mime-info-spec.html/*.html"], "html", 30),
    ("zlib", "zlib1g-dev", ["zlib1g-dev/examples/zlib_how.html"], "html", 20),
    ("passwd", "base-passwd", ["base-passwd/users-and-groups.html"], "html", 20),
    ("bc", "bc", ["bc/bc.html"], "html", 40),
    ("systemd", "systemd", ["systemd/*.md", "systemd/*.md.gz"], "md", 50),
]

# Whole files that are boilerplate, navigation or change logs.
EXCLUDE_FILE = re.compile(
    r"(^|/)(index|genindex[-\w]*|contents|bookindex|search|py-modindex|sitemap|doclist|docs|"
    r"changes|chronology|releaselog|copyright[-\w]*|license[-\w]*|legalnotice|bugs|copyright|"
    r"license\.[\w.]+|requirements|oldnews|news|history|whatsnew|release[-\w]*|relnotes|news|changelog[-\w]*|acknowledgements?|appendix-obsolete[-\w]*|"
    r"deprecations|release-notes|release-process|commercial-users|opensource-users|list-of-examples|"
    r"contributing|codeofconduct|codeofethics|crew|consortium[-\w]*|famous|books|download|support|"
    r"prosupport|all|index\.md|doc_[-\w]*|CODING_STYLE|HACKING|TRANSLATORS|dist\.[-\w.]*|"
    r"bki[-\w]*|errcodes-appendix|catalogs-overview|unsupported-features-sql-standard|features-sql-standard|"
    r"sourcerepo[-\w]*|docguide[-\w]*)\.(html|md|md\.gz)$", re.I)

BOILERPLATE = re.compile(
    r"GNU (General|Lesser|Free Documentation) (Public )?License|Permission is hereby granted|"
    r"WITHOUT ANY WARRANTY|MERCHANTABILITY|This program is free software|All rights reserved|"
    r"Table of Contents|Copyright \(c\)|Copyright ©|Creative Commons|hereby (dedicate|place)|"
    r"Licensed under the Apache", re.I)

SKIP_TAGS = {"script", "style", "nav", "noscript", "form", "select", "svg", "button", "map"}
SKIP_CLASS = re.compile(
    r"\b(navheader|navfooter|sphinxsidebar|sphinxsidebarwrapper|related|footer|toc|fancy_toc|headerlink|"
    r"menu|mainmenu|submenu|searchmenu|nosearch|breadcrumbs?|highlight-pycon|"
    r"highlight-python3?-?\w*|docs-nav|mobile-nav|indexterm|footnotes?|synopsis|cmdsynopsis|funcsynopsis|"
    r"navigation|copyright|legalnotice|titlepage-only|rst-versions|sphinxsidebar|"
    r"api_stability|api_metadata)\b", re.I)
SKIP_ID = re.compile(r"^(toc|column1|gtoc|header|footer|nav|navbar|sidebar|TOC|search.*)$")
VOID = {"br", "img", "hr", "meta", "link", "input", "col", "area", "base", "wbr", "source", "param"}
BLOCK = {"p", "li", "dd", "dt", "blockquote", "div", "section", "table", "tr", "ul", "ol", "dl",
         "article", "main", "body", "html", "center", "caption", "figure", "figcaption", "td", "th"}
HEAD = {"h1": 1, "h2": 2, "h3": 3, "h4": 4, "h5": 5, "h6": 6}

ADMONITIONS = {"note", "tip", "warning", "important", "caution", "hint"}
WORD = re.compile(r"\S+")
ALPHA = re.compile(r"^[(\"'“‘]*[A-Za-z][A-Za-z'’-]*[)\"'”’.,;:!?]*$")


class HtmlBlocks(html.parser.HTMLParser):
    """Turn an HTML page into blocks: ("h", level, text) | ("p", 0, text) | ("pre", 0, text)."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.blocks = []
        self.buf = []
        self.link_words = 0
        self.skip_tag = None
        self.skip_depth = 0
        self.in_pre = 0
        self.in_head = None
        self.in_a = 0
        self.in_table = 0
        self.title = ""
        self.in_title = False

    def flush(self):
        if self.in_head is not None or self.in_pre:
            return
        text = "".join(self.buf)
        self.buf = []
        lw, self.link_words = self.link_words, 0
        if self.in_pre:
            return
        text = re.sub(r"\s+", " ", text).strip()
        if not text:
            return
        if self.in_head is not None:
            return
        nw = len(text.split())
        if nw and lw / nw > 0.5:          # navigation-like: mostly link text
            return
        self.blocks.append(("tbl" if self.in_table else "p", 0, text))

    def handle_starttag(self, tag, attrs):
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth += 1
            return
        a = dict(attrs)
        if tag == "title":
            self.in_title = True
            return
        cls = a.get("class") or ""
        if (tag in SKIP_TAGS or (cls and SKIP_CLASS.search(cls)) or SKIP_ID.match(a.get("id") or "")) \
                and tag not in VOID:
            self.flush()
            self.skip_tag, self.skip_depth = tag, 1
            return
        if tag in HEAD:
            self.flush()
            self.in_head = HEAD[tag]
            self.buf = []
        elif tag == "pre":
            self.flush()
            self.in_pre += 1
        elif tag in BLOCK:
            if tag == "table":
                self.in_table += 1
            self.flush()
        elif tag == "br":
            self.buf.append(" ")
        elif tag == "a":
            self.in_a += 1

    def handle_endtag(self, tag):
        if self.skip_tag:
            if tag == self.skip_tag:
                self.skip_depth -= 1
                if self.skip_depth == 0:
                    self.skip_tag = None
            return
        if tag == "title":
            self.in_title = False
            return
        if tag in HEAD and self.in_head is not None:
            text = re.sub(r"\s+", " ", "".join(self.buf)).strip().rstrip("¶").strip()
            text = re.sub(r"^(\d+(\.\d+)*\.?|[A-Z]\.\d+(\.\d+)*\.?|Chapter \d+\.)\s+", "", text)
            self.blocks.append(("h", self.in_head, text))
            self.buf = []
            self.link_words = 0
            self.in_head = None
        elif tag == "pre" and self.in_pre:
            text = "".join(self.buf)
            self.buf = []
            self.link_words = 0
            self.in_pre -= 1
            if text.strip():
                self.blocks.append(("pre", 0, text.strip("\n")))
        elif tag in BLOCK:
            self.flush()
            if tag == "table" and self.in_table:
                self.in_table -= 1
        elif tag == "a" and self.in_a:
            self.in_a -= 1

    def handle_data(self, data):
        if self.skip_tag:
            return
        if self.in_title:
            self.title += data
            return
        self.buf.append(data)
        if self.in_a:
            self.link_words += len(data.split())


def html_blocks(raw):
    p = HtmlBlocks()
    p.feed(raw)
    p.close()
    p.flush()
    return re.sub(r"\s+", " ", html.unescape(p.title)).strip(), p.blocks


MD_LINK = re.compile(r"!?\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\[[^\]]*\]")


def md_inline(s):
    s = MD_LINK.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), s)
    s = re.sub(r"<[^>]+>", "", s)
    s = s.replace("`", "")
    s = re.sub(r"(\*\*|__)(.+?)\1", r"\2", s)
    s = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?!\w)", r"\1", s)
    return html.unescape(s)


def md_blocks(raw):
    raw = re.sub(r"<!--.*?-->", "", raw, flags=re.S)
    raw = re.sub(r"(?m)^\[[^\]\n]+\]:\s*\S+.*$", "", raw)       # reference-style link definitions
    title = ""
    blocks = []
    para = []
    fence = None
    code = []

    def flush():
        if para:
            text = re.sub(r"\s+", " ", md_inline(" ".join(para))).strip()
            if text:
                blocks.append(("p", 0, text))
            para.clear()

    for line in raw.split("\n"):
        if fence:
            if line.strip().startswith(fence):
                blocks.append(("pre", 0, "\n".join(code)))
                fence, code = None, []
            else:
                code.append(line)
            continue
        st = line.strip()
        if st.startswith("```") or st.startswith("~~~"):
            flush()
            fence = st[:3]
            continue
        m = re.match(r"^(#{1,6})\s+(.*?)\s*#*\s*$", line)
        if m:
            flush()
            text = re.sub(r"\s+", " ", md_inline(m.group(2))).strip()
            blocks.append(("h", len(m.group(1)), text))
            if not title and len(m.group(1)) == 1:
                title = text
            continue
        if not st:
            flush()
            continue
        if re.match(r"^\s*([*+-]|\d+\.)\s+", line) and para and not re.match(r"^\s*([*+-]|\d+\.)\s+", para[0]):
            flush()
        if st.startswith("|") or re.match(r"^[-=]{3,}$", st) or st.startswith(">"):
            if st.startswith(">"):
                para.append(st.lstrip("> "))
            else:
                flush()
            continue
        para.append(st)
    flush()
    return title, blocks


def read_text(path):
    opener = gzip.open if path.endswith(".gz") else open
    with opener(path, "rb") as f:
        data = f.read()
    for enc in ("utf-8", "latin-1"):
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    return data.decode("utf-8", "replace")


def clean_title(t, fallback):
    t = re.sub(r"\s*(—|&#8212;|-)\s*Python 3\.\d+(\.\d+)? documentation\s*$", "", t)
    t = re.sub(r"^PostgreSQL: Documentation: \d+: ", "", t)
    t = re.sub(r"^(\d+(\.\d+)*\.?|[A-Z]\.\d+(\.\d+)*\.?|Chapter \d+\.)\s+", "", t)
    t = re.sub(r"\s+", " ", t).strip()
    return t or fallback


def words(s):
    return WORD.findall(s)


def split_long(text, limit=200):
    """Split an over-long paragraph at sentence boundaries into pieces <= limit words."""
    sents = re.split(r"(?<=[.!?])\s+(?=[A-Z(])", text)
    out, cur, n = [], [], 0
    for s in sents:
        k = len(s.split())
        if cur and n + k > limit:
            out.append(" ".join(cur))
            cur, n = [], 0
        cur.append(s)
        n += k
    if cur:
        out.append(" ".join(cur))
    # A single monster sentence: hard split.
    res = []
    for piece in out:
        w = piece.split()
        while len(w) > 250:
            res.append(" ".join(w[:limit]))
            w = w[limit:]
        res.append(" ".join(w))
    return res


def passages_from_blocks(page_title, blocks):
    """Yield (heading_path, text) passages of 60-250 words at section/paragraph boundaries."""
    heads = {}
    sections = []          # (heading path, [paragraph texts])
    cur = []
    path = []

    def close():
        if cur:
            sections.append((list(path), list(cur)))
            cur.clear()

    for kind, level, text in blocks:
        if kind == "h":
            if text.rstrip(":").lower() in ADMONITIONS:
                continue
            close()
            heads = {k: v for k, v in heads.items() if k < level}
            heads[level] = text
            path = [heads[k] for k in sorted(heads)]
            continue
        if kind == "pre":
            lines = text.split("\n")
            if len(lines) <= 8 and len(text.split()) <= 50:
                cur.append("\n".join(l.rstrip() for l in lines))
            continue
        if kind == "tbl":
            continue
        cur.append(text)
    close()

    out = []
    for hpath, paras in sections:
        pieces = []
        for p in paras:
            if len(p.split()) > 250:
                pieces.extend(split_long(p))
            else:
                pieces.append(p)
        acc, n = [], 0
        emitted = []
        for p in pieces:
            k = len(p.split())
            if acc and n + k > 220 and n >= 60:
                emitted.append(acc)
                acc, n = [], 0
            if acc and n + k > 250:
                emitted.append(acc)  # short remainder, may be dropped below
                acc, n = [], 0
            acc.append(p)
            n += k
        if acc:
            if n < 60 and emitted and sum(len(x.split()) for x in emitted[-1]) + n <= 250:
                emitted[-1].extend(acc)
            else:
                emitted.append(acc)
        for e in emitted:
            text = "\n\n".join(e)
            nw = len(text.split())
            if 60 <= nw <= 250:
                out.append((hpath, text))
    return out


def good_passage(text):
    toks = text.split()
    if not toks:
        return False
    alpha = sum(1 for t in toks if ALPHA.match(t))
    if alpha / len(toks) < 0.65:
        return False
    if len(re.findall(r"[a-z][.!?](\s|$)", text)) < 2:
        return False
    if BOILERPLATE.search(text):
        return False
    return True


def shingles(text, n=8):
    w = re.findall(r"[a-z0-9]+", text.lower())
    return {zlib.crc32(" ".join(w[i:i + n]).encode()) for i in range(max(1, len(w) - n + 1))}


def dpkg_owners():
    owners = {}
    for lst in glob.glob("/var/lib/dpkg/info/*.list"):
        pkg = os.path.basename(lst)[:-5].split(":")[0]
        try:
            with open(lst, encoding="utf-8", errors="replace") as f:
                for line in f:
                    line = line.rstrip("\n")
                    if line.startswith(DOC + "/"):
                        owners.setdefault(line, pkg)
        except OSError:
            pass
    return owners


KNOWN_LICENSE_MARKERS = [
    (r"PYTHON SOFTWARE FOUNDATION LICENSE VERSION 2", "PSF-2.0"),
    (r"Permission is hereby granted, free of charge", "MIT"),
    (r"Permission to use, copy, modify, distribute, and sell this software", "HPND"),
    (r"General Public License as published by\s+the Free Software Foundation; either version 2", "GPL-2+"),
    (r"GPL version 2|GNU General Public License.{0,40}version 2", "GPL-2"),
]


def package_license(pkg):
    """License of the documentation files, read from the package's copyright file."""
    path = os.path.join(DOC, pkg, "copyright")
    try:
        txt = read_text(path)
    except OSError:
        return "unknown", path
    if "copyright-format" in txt.split("\n", 3)[0] or txt.startswith("Format:"):
        stanzas = re.split(r"\n\s*\n", txt)
        doc_lic, star_lic = None, None
        for s in stanzas:
            m = re.search(r"^Files:\s*(.+(?:\n[ \t]+.+)*)", s, re.M)
            lm = re.search(r"^License:\s*(.+)$", s, re.M)
            if not m or not lm:
                continue
            files = m.group(1).split()
            lic = lm.group(1).strip()
            if "*" in files and star_lic is None:
                star_lic = lic
            if any(re.match(r"(doc|docs|Documentation|manual)[/.]", f) for f in files) and doc_lic is None:
                doc_lic = lic
        return (doc_lic or star_lic or "unknown"), path
    # Not machine-readable: take the licence whose marker appears first in the file.
    found = []
    for pat, lic in KNOWN_LICENSE_MARKERS:
        m = re.search(pat, txt, re.I | re.S)
        if m:
            found.append((m.start(), lic))
    return (min(found)[1] if found else "unknown"), path


def stable_rank(pid):
    return hashlib.sha1(pid.encode()).hexdigest()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "corpus.jsonl"))
    ap.add_argument("--sources-out", default=os.path.join(here, "sources.json"))
    args = ap.parse_args()

    owners = dpkg_owners()
    seen_real = set()
    seen_shingles = set()
    corpus = []
    source_files = {}
    for abbr, pkgdir, patterns, fmt, cap in SOURCES:
        files = sorted({f for pat in patterns for f in glob.glob(os.path.join(DOC, pat)) if os.path.isfile(f)})
        cands = []
        for f in files:
            rel = os.path.relpath(f, DOC)
            if EXCLUDE_FILE.search(rel):
                continue
            real = os.path.realpath(f)
            if real in seen_real:
                continue
            seen_real.add(real)
            pkg = owners.get(f) or owners.get(real) or pkgdir
            raw = read_text(f)
            if fmt == "html":
                title, blocks = html_blocks(raw)
            else:
                title, blocks = md_blocks(raw)
            stem = re.sub(r"\.(html|md)(\.gz)?$", "", os.path.basename(rel))
            title = clean_title(title, stem)
            sub = os.path.basename(os.path.dirname(rel)) if abbr == "py" else ""
            idbase = f"{abbr}/{sub + '/' if sub else ''}{stem}"
            for k, (hpath, text) in enumerate(passages_from_blocks(title, blocks)):
                if not good_passage(text):
                    continue
                sec = hpath[-1] if hpath else ""
                if sec and sec.lower() != title.lower():
                    ptitle = f"{title} — {sec}"
                else:
                    ptitle = title
                cands.append({"id": f"{idbase}/{k}", "title": ptitle[:200], "source_package": pkg,
                              "source_file": "/usr/share/doc/" + rel, "text": text})
        # Sample deterministically, drop near-duplicates against everything kept so far.
        cands.sort(key=lambda c: stable_rank(c["id"]))
        kept = []
        for c in cands:
            if len(kept) >= cap:
                break
            sh = shingles(c["text"])
            dup = len(sh & seen_shingles) / max(1, len(sh))
            if dup >= 0.5:
                continue
            seen_shingles |= sh
            kept.append(c)
        kept.sort(key=lambda c: (c["source_file"], int(c["id"].rsplit("/", 1)[1])))
        for c in kept:
            lic, cpath = package_license(c["source_package"])
            c["license"] = lic
            source_files.setdefault(c["source_file"], {"package": c["source_package"], "license": lic,
                                                       "copyright_file": cpath, "passages": 0})
            source_files[c["source_file"]]["passages"] += 1
        corpus.extend(kept)
        print(f"{abbr:10s} {pkgdir:20s} files={len(files):4d} candidates={len(cands):5d} kept={len(kept):4d}",
              file=sys.stderr)

    with open(args.out, "w", encoding="utf-8") as f:
        for c in corpus:
            f.write(json.dumps({k: c[k] for k in ("id", "title", "source_package", "source_file", "license", "text")},
                               ensure_ascii=False) + "\n")
    pkgs = {}
    for sf, info in source_files.items():
        p = pkgs.setdefault(info["package"], {"license": info["license"], "copyright_file": info["copyright_file"],
                                              "files": 0, "passages": 0})
        p["files"] += 1
        p["passages"] += info["passages"]
    with open(args.sources_out, "w", encoding="utf-8") as f:
        json.dump({"packages": pkgs, "files": source_files}, f, indent=1, sort_keys=True)
    size = os.path.getsize(args.out)
    print(f"total passages={len(corpus)} source files={len(source_files)} packages={len(pkgs)} "
          f"bytes={size}", file=sys.stderr)


if __name__ == "__main__":
    main()
